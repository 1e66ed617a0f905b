from __future__ import annotations

import re

import pytest

from agenda_core.schemas.common import SLUG_PATTERN
from agenda_core.services.slugs import slugify, with_random_suffix


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("DemoCon 2026: Köln!", "democon-2026-koln"),
        ("  --Hello   World--  ", "hello-world"),
        ("会议", "agenda"),
        ("!!!", "agenda"),
        ("a" * 100, "a" * 58),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug
    assert re.match(SLUG_PATTERN, slug)


def test_suffixed_slugs_stay_valid_and_short():
    slug = with_random_suffix("a" * 64)
    assert re.match(SLUG_PATTERN, slug) and len(slug) <= 64
    assert with_random_suffix("x") != with_random_suffix("x")
