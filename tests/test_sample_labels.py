"""Bundled graphs' labels name no colour: a label naming one is drawn in it (``label_colours``), which
would take that colour from the palette's order; the samples keep neutral names ('group 1'...) and
their colours in palette order."""

from __future__ import annotations

import re

import pytest

from graphcl_core.label_colours import COLOUR_WORDS
from graphcl_core.loaders import list_bundled, load_graph


def colour_words(name: str) -> set[str]:
    return set(re.findall(r"\w+", name.casefold())) & COLOUR_WORDS.keys()


def test_colour_words_are_found_in_a_label():
    assert colour_words("Red") == {"red"} and colour_words("team grün") == {"grün"}
    assert colour_words("group 1") == set() and colour_words("Reduced") == set()


@pytest.mark.parametrize("name", [g.name for g in list_bundled()])
def test_bundled_labels_name_no_colour(name):
    b = load_graph(name)
    assert not [n for n in b.label_names or [] if colour_words(n)], b.label_names
