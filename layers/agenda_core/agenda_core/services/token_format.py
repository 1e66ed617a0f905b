"""The plaintext form of an API token, after GitHub's token format (pure: no I/O).

    agt_<26-char ULID of the tok_ id><40 random base62><6-char base62 CRC32 of everything before>

- The ``agt_`` prefix tells an API token from a JWT at a glance, and lets secret scanners find
  leaked ones (https://github.blog/engineering/behind-githubs-new-authentication-token-formats/).
- The checksum catches typos and truncation without a database call; it is no protection against
  forgery (CRC32 is public), which is what the 40 random characters (~238 bits) are for.
- The token id inside makes verification one GetItem by primary key; the id is not secret (it is
  in the token's URL), the random part is.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

from agenda_core.schemas.common import ULID_PATTERN

PREFIX = "agt_"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 40
CHECKSUM_LENGTH = 6  # 62**6 > 2**32: every CRC32 fits
LENGTH = len(PREFIX) + 26 + RANDOM_LENGTH + CHECKSUM_LENGTH
_TOKEN_RE = re.compile(
    rf"^{PREFIX}({ULID_PATTERN})[0-9A-Za-z]{{{RANDOM_LENGTH}}}([0-9A-Za-z]{{{CHECKSUM_LENGTH}}})$"
)


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, BASE62[0])


def checksum(body: str) -> str:
    """The last six characters of a token whose other characters are ``body``."""
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def new_token(token_id: str, *, seed: bytes | None = None) -> str:
    """A plaintext token for ``token_id`` (``tok_<ULID>``): random, or, given ``seed`` (at least
    32 bytes a keyed HMAC made, see services/api_tokens.py), the one token that seed names."""
    ulid = token_id.removeprefix("tok_")
    if seed is None:
        secret = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    else:
        # 256 bits into 40 base62 digits (~238 bits): the bias of the modulo is below 2**-18.
        secret = _base62(int.from_bytes(seed) % 62**RANDOM_LENGTH, RANDOM_LENGTH)
    body = PREFIX + ulid + secret
    return body + checksum(body)


def token_id_of(token: str) -> str | None:
    """The ``tok_`` id inside a well-formed token whose checksum holds; ``None`` otherwise."""
    match = _TOKEN_RE.match(token)
    if match is None or checksum(token[:-CHECKSUM_LENGTH]) != match.group(2):
        return None
    return f"tok_{match.group(1)}"


def secret_hash(token: str) -> str:
    """What is stored instead of the token. A plain SHA-256 suffices (no salt, no stretching):
    the token carries ~238 random bits, so there is nothing to guess from a leaked hash."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
