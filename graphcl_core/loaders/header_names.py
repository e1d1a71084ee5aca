"""The column and attribute names the loaders recognise by themselves, in one table, language by language.

Why a table: people upload the spreadsheets they have, and a German edge list says ``von;nach;Gewicht``,
a French one ``source,cible,poids``. Each role (edge ends, edge weight, node id, node label, node display
name) lists its names per language; English comes first, and within a role earlier names win when a
header has several. A name matches whatever its case and accents (``Catégorie`` = ``categorie``), but
not other spellings: ``node-1`` is not ``node1``, because such names are also plausible node ids.

To recognise another language or synonym, add it here; the loaders read nothing else.
"""

from __future__ import annotations

import unicodedata
from itertools import chain

# (source, target) pairs; found in a first row, they make it a header.
ENDPOINT_PAIRS = {
    "en": (("source", "target"), ("from", "to"), ("src", "dst"), ("node1", "node2"), ("node_1", "node_2"),
           ("node_a", "node_b"), ("source_id", "target_id"), ("id1", "id2"), ("start", "end"),
           ("head", "tail"), ("sender", "receiver")),
    "de": (("quelle", "ziel"), ("von", "nach"), ("start", "ziel"), ("quellknoten", "zielknoten"),
           ("startknoten", "zielknoten"), ("knoten1", "knoten2"), ("knoten_1", "knoten_2"),
           ("sender", "empfänger")),
    "fr": (("source", "cible"), ("source", "destination"), ("origine", "destination"), ("départ", "arrivée"),
           ("noeud1", "noeud2"), ("nœud1", "nœud2"), ("émetteur", "récepteur")),
    "es": (("origen", "destino"), ("fuente", "destino"), ("desde", "hasta"), ("nodo1", "nodo2"),
           ("emisor", "receptor")),
    "it": (("sorgente", "destinazione"), ("origine", "destinazione"), ("nodo1", "nodo2"),
           ("mittente", "destinatario")),
    "pt": (("origem", "destino"), ("fonte", "alvo"), ("nó1", "nó2")),
    "nl": (("bron", "doel"), ("van", "naar"), ("knoop1", "knoop2")),
}
# Short names that are also plausible node ids: they name columns only in a row already known to be a header.
HEADER_ONLY_PAIRS = {
    "en": (("u", "v"), ("a", "b"), ("i", "j")),
    "fr": (("de", "à"), ("de", "vers")),
    "es": (("de", "a"),),
    "it": (("da", "a"),),
    "pt": (("de", "para"),),
}
EDGE_WEIGHT = {
    "en": ("weight", "weights", "w", "value", "strength", "count"),
    "de": ("gewicht", "gewichtung", "wert", "stärke", "anzahl"),
    "fr": ("poids", "valeur", "force"),
    "es": ("peso", "valor", "fuerza", "cantidad"),
    "it": ("peso", "valore", "forza"),
    "pt": ("peso", "valor", "força", "quantidade"),
    "nl": ("gewicht", "waarde", "sterkte", "aantal"),
}
# A node table's id column, when its ids tie with another column's (no "nombre": in French it is a count).
NODE_ID = {
    "en": ("id", "node", "node_id", "nodeid", "name"),
    "de": ("knoten", "knoten_id", "knotenid"),
    "fr": ("noeud", "nœud", "identifiant", "nom"),
    "es": ("nodo", "identificador"),
    "it": ("nodo", "nome"),
    "pt": ("nome",),  # not "nó": without its accent it is the "No" of a row-number column
    "nl": ("knoop", "naam"),
}
# A graph file's class-like node attribute (the label when the user picks none).
NODE_LABEL = {
    "en": ("class", "label", "labels", "club", "community", "group", "category", "faction", "target", "y", "value"),
    "de": ("klasse", "gruppe", "kategorie", "gemeinschaft", "fraktion", "verein"),
    "fr": ("classe", "groupe", "catégorie", "communauté", "étiquette"),
    "es": ("clase", "grupo", "categoría", "comunidad", "etiqueta"),
    "it": ("classe", "gruppo", "categoria", "comunità", "etichetta"),
    "pt": ("classe", "grupo", "categoria", "comunidade", "rótulo"),
    "nl": ("klasse", "groep", "categorie", "gemeenschap"),
}
# A graph file's node attribute that names the nodes (a unique one), never a feature.
NODE_NAME = {
    "en": ("name", "label", "title"),
    "de": ("bezeichnung", "titel"),
    "fr": ("nom", "titre"),
    "es": ("título",),
    "it": ("nome", "titolo"),
    "pt": ("nome", "título"),
    "nl": ("naam", "titel"),
}


def name_key(name: str) -> str:
    """How a header cell is compared with the table: no quotes or outer spaces, any case, no accents."""
    text = unicodedata.normalize("NFKD", name.strip().strip('"').strip().casefold())
    text = text.replace("œ", "oe").replace("æ", "ae")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _keys(words) -> tuple[str, ...]:
    """The table's words as keys, first occurrence kept (languages share words: "peso", "classe")."""
    return tuple(dict.fromkeys(name_key(w) for w in words))


def _pairs(table: dict) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((name_key(a), name_key(b)) for a, b in chain.from_iterable(table.values())))


ENDPOINT_KEYS = _pairs(ENDPOINT_PAIRS)
HEADER_ONLY_KEYS = _pairs(HEADER_ONLY_PAIRS)
WEIGHT_KEYS = _keys(chain.from_iterable(EDGE_WEIGHT.values()))
ID_KEYS = _keys(chain.from_iterable(NODE_ID.values()))
LABEL_KEYS = _keys(chain.from_iterable(NODE_LABEL.values()))
NAME_KEYS = _keys(chain.from_iterable(NODE_NAME.values()))
