"""One colour per label, the same in every view (drawing, projection, label bars, sweep grid, animations).

Labels take the palette in order, except a label that names a colour ("red", "team Blau", "vert"): it is
drawn in that colour. Before, the k-th label always took the k-th palette colour, so a label "red" could
be drawn blue beside a label "blue" drawn red (a stranger's file of colour-named classes). The colours
named are claimed first; the other labels then take the palette in order, passing over the entries too
close to a claimed colour, so no other label looks like the "red" one. A colour named by two labels
("light blue", "dark blue") goes to the first; the second takes the palette.
"""

from __future__ import annotations

import re
from typing import Sequence

from plotly.colors import qualitative

PALETTE = list(qualitative.Plotly) + list(qualitative.Dark24) + list(qualitative.Light24)
NO_LABEL = "#BDBDBD"

# Readable on a white page (white and yellow a shade darker, black a dark grey so its outline shows).
_NAMED = {
    "red": "#D62728", "blue": "#1F77B4", "green": "#2CA02C", "yellow": "#E6C300", "orange": "#FF7F0E",
    "purple": "#9467BD", "pink": "#E377C2", "brown": "#8C564B", "black": "#262626", "white": "#E8E8E8",
    "grey": "#7F7F7F", "cyan": "#17BECF", "magenta": "#D62AD0", "teal": "#138D90",
}
# The colour words of the languages whose upload headers the loaders read (loaders/header_names.py).
COLOUR_WORDS = {
    "red": "red", "rot": "red", "rouge": "red", "rojo": "red", "roja": "red", "rosso": "red", "rossa": "red",
    "vermelho": "red", "vermelha": "red", "rood": "red",
    "blue": "blue", "blau": "blue", "bleu": "blue", "bleue": "blue", "azul": "blue", "blu": "blue",
    "blauw": "blue",
    "green": "green", "grün": "green", "gruen": "green", "vert": "green", "verte": "green", "verde": "green",
    "groen": "green",
    "yellow": "yellow", "gelb": "yellow", "jaune": "yellow", "amarillo": "yellow", "amarilla": "yellow",
    "giallo": "yellow", "gialla": "yellow", "amarelo": "yellow", "amarela": "yellow", "geel": "yellow",
    "orange": "orange", "naranja": "orange", "arancione": "orange", "laranja": "orange", "oranje": "orange",
    "purple": "purple", "violet": "purple", "lila": "purple", "violett": "purple", "morado": "purple",
    "morada": "purple", "viola": "purple", "roxo": "purple", "roxa": "purple", "paars": "purple",
    "pink": "pink", "rosa": "pink", "rose": "pink", "roze": "pink",
    "brown": "brown", "braun": "brown", "marron": "brown", "marrón": "brown", "marrone": "brown",
    "marrom": "brown", "bruin": "brown",
    "black": "black", "schwarz": "black", "noir": "black", "noire": "black", "negro": "black", "negra": "black",
    "nero": "black", "nera": "black", "preto": "black", "preta": "black", "zwart": "black",
    "white": "white", "weiß": "white", "weiss": "white", "blanc": "white", "blanche": "white",
    "blanco": "white", "blanca": "white", "bianco": "white", "bianca": "white", "branco": "white",
    "branca": "white", "wit": "white",
    "grey": "grey", "gray": "grey", "grau": "grey", "gris": "grey", "grigio": "grey", "grigia": "grey",
    "cinza": "grey", "grijs": "grey",
    "cyan": "cyan", "magenta": "magenta", "teal": "teal",
}
# Palette entries nearer than this (RGB distance, 0-441) to a claimed colour are passed over.
_TOO_CLOSE = 110.0


def named_colour(label: str) -> str | None:
    """The colour ``label`` names (its words, case and accents as written), or None: no colour word, or
    words of two different colours ("red-green")."""
    named = {COLOUR_WORDS[w] for w in re.findall(r"\w+", str(label).casefold()) if w in COLOUR_WORDS}
    return _NAMED[named.pop()] if len(named) == 1 else None


def label_colours(names: Sequence[str]) -> list[str]:
    """The colour of each of ``names`` (the labels in their category order)."""
    out: list[str | None] = [None] * len(names)
    taken: list[str] = []
    for i, name in enumerate(names):
        c = named_colour(name)
        if c is not None and c not in taken:
            out[i] = c
            taken.append(c)
    free = [p for p in PALETTE if not any(too_close(p, t) for t in taken)] or PALETTE
    k = 0
    for i in range(len(names)):
        if out[i] is None:
            out[i] = free[k % len(free)]
            k += 1
    return out  # type: ignore[return-value]


def colour_of(category: int, colours: Sequence[str]) -> str:
    """A node's colour: its category's, or ``NO_LABEL`` for -1."""
    return colours[category] if 0 <= category < len(colours) else NO_LABEL


def too_close(a: str, b: str) -> bool:
    """Two ``#RRGGBB`` colours a viewer could take for one another beside each other."""
    ra, rb = _rgb(a), _rgb(b)
    return sum((x - y) ** 2 for x, y in zip(ra, rb)) ** 0.5 < _TOO_CLOSE


def _rgb(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
