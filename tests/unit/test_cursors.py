from __future__ import annotations

import pytest

from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.errors import InvalidCursor

KEY = b"k" * 32
LAST = {"pk": {"S": "AGENDA#agd_1"}, "sk": {"S": "#AGENDA"}}


def test_a_cursor_round_trips_for_its_own_query():
    fingerprint = query_fingerprint(route="agendas", after=None)

    assert decode_cursor(encode_cursor(LAST, fingerprint, KEY), fingerprint, KEY) == LAST


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # signature
        lambda c: ("e" if c[0] != "e" else "f") + c[1:],  # payload
        lambda c: c.split(".")[0],  # no signature
        lambda c: c + ".x",
        lambda c: "",
        lambda c: "%%%",
        lambda c: "a" * 5000,
    ],
)
def test_a_tampered_cursor_is_refused(mangle):
    fingerprint = query_fingerprint(route="agendas")
    cursor = encode_cursor(LAST, fingerprint, KEY)

    with pytest.raises(InvalidCursor):
        decode_cursor(mangle(cursor), fingerprint, KEY)


def test_a_cursor_is_bound_to_its_query_and_key():
    cursor = encode_cursor(LAST, query_fingerprint(route="agendas", after="2027-01-01"), KEY)

    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, query_fingerprint(route="agendas", after="2027-01-02"), KEY)
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, query_fingerprint(route="agendas", after="2027-01-01"), b"other" * 8)
