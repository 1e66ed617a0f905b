"""The plaintext API token format (services/token_format.py): pure, no AWS."""

from __future__ import annotations

import hashlib
import re

from agenda_core.db.ids import new_id
from agenda_core.services import token_format
from agenda_core.services.token_format import BASE62, checksum, new_token, secret_hash, token_id_of


def test_a_new_token_has_the_documented_shape_and_names_its_id():
    token_id = new_id("token")

    token = new_token(token_id)

    assert re.fullmatch(r"agt_[0-9A-HJKMNP-TV-Z]{26}[0-9A-Za-z]{40}[0-9A-Za-z]{6}", token)
    assert len(token) == token_format.LENGTH == 76
    assert token[4:30] == token_id.removeprefix("tok_")
    assert token[-6:] == checksum(token[:-6])
    assert token_id_of(token) == token_id


def test_tokens_are_random():
    token_id = new_id("token")

    assert len({new_token(token_id)[30:70] for _ in range(50)}) == 50


def test_every_single_character_typo_is_caught():
    token = new_token(new_id("token"))

    for i in range(4, len(token)):
        for replacement in (
            BASE62[(BASE62.index(token[i]) + 1) % 62],
            BASE62[(BASE62.index(token[i]) + 31) % 62],
        ):
            typo = token[:i] + replacement + token[i + 1 :]
            assert token_id_of(typo) is None, (i, replacement)


def test_malformed_tokens_have_no_id():
    token = new_token(new_id("token"))

    for bad in (
        "",
        "agt_",
        token[:-1],
        token + "0",
        token.replace("agt_", "AGT_"),
        "x" + token[1:],
        token[:4] + "I" * 26 + token[30:],
    ):
        assert token_id_of(bad) is None


def test_the_checksum_is_six_base62_digits_even_when_small():
    assert checksum("") == "000000"  # crc32("") == 0
    assert all(len(checksum(str(n))) == 6 for n in range(200))
    assert token_format._base62(62**6 - 1, 6) == "z" * 6


def test_the_stored_hash_is_sha256_of_the_whole_token():
    token = new_token(new_id("token"))

    assert secret_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in secret_hash(token)
