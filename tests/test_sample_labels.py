"""Bundled graphs' labels name no colour. The drawing, the projection and the label bars colour the k-th
label (alphabetical) with the k-th palette colour whatever its name, so a label 'red' would be drawn in
Plotly blue (a stranger's report about colour-named labels). The samples keep neutral names
('group 1'...), so what a viewer reads in the legend never contradicts what they see."""

from __future__ import annotations

import re

import pytest

from graphcl_core.loaders import list_bundled, load_graph

COLOUR_WORDS = {
    "red", "blue", "green", "yellow", "orange", "purple", "violet", "pink", "brown", "black", "white", "grey",
    "gray", "cyan", "magenta", "teal", "rot", "blau", "grün", "gelb", "lila", "rosa", "braun", "schwarz",
    "weiß", "grau", "rouge", "bleu", "vert", "jaune", "rojo", "azul", "verde", "amarillo", "negro", "blanco"}


def colour_words(name: str) -> set[str]:
    return set(re.findall(r"\w+", name.casefold())) & COLOUR_WORDS


def test_colour_words_are_found_in_a_label():
    assert colour_words("Red") == {"red"} and colour_words("team grün") == {"grün"}
    assert colour_words("group 1") == set() and colour_words("Reduced") == set()


@pytest.mark.parametrize("name", [g.name for g in list_bundled()])
def test_bundled_labels_name_no_colour(name):
    b = load_graph(name)
    assert not [n for n in b.label_names or [] if colour_words(n)], b.label_names
