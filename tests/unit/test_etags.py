from __future__ import annotations

from agenda_core.etags import if_match_versions, if_none_match_hit, make_etag


def test_etags_are_strong_and_differ_by_variant_but_not_by_call():
    assert make_etag(3, "full", "public") == make_etag(3, "full", "public")
    assert make_etag(3, "full", "public") != make_etag(3, "full", "member")
    assert make_etag(3, "full", "public").startswith('"3.')
    assert not make_etag(3, "x").startswith("W/")


def test_if_match_accepts_any_representation_of_the_version():
    assert if_match_versions(None) is None
    assert if_match_versions("*") is None
    assert if_match_versions('"3.abc", W/"4.def"') == {3, 4}
    assert if_match_versions("garbage") == set()


def test_if_none_match_uses_weak_comparison():
    etag = make_etag(5, "full")
    assert if_none_match_hit(etag, etag)
    assert if_none_match_hit(f'"1.x", W/{etag}', etag)
    assert if_none_match_hit("*", etag)
    assert not if_none_match_hit('"4.x"', etag)
    assert not if_none_match_hit(None, etag)


def test_if_none_match_parses_entity_tag_lists_and_junk_matches_nothing():
    etag = make_etag(5, "full")
    bare = etag.strip('"')
    assert if_none_match_hit(f"  W/{etag} ", etag)
    assert if_none_match_hit(f'"a,b", {etag}', etag)  # a comma inside a tag is not a separator
    assert if_none_match_hit(f"junk, {etag}", etag)  # the junk element is skipped, the tag still counts
    for junk in (
        bare,
        f"W/{bare}",
        f'"{bare}',
        f"{etag}x",
        f"w/{etag}",
        f"{etag} junk",
        '""',
        "",
        ",",
        "*, x",
    ):
        assert not if_none_match_hit(junk, etag), junk
