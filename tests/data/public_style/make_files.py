"""Write the public-style network files of this folder (run from anywhere; seeded, so the output is stable).

Each file imitates the layout of a kind of file users bring, written here from scratch with made-up
content (nothing is copied from a published data set):

    newman_books.gml        Newman-style GML: a Creator line, ``graph [ directed 0 node [ id label value ] ]``,
                            ``value`` is the class (text), one duplicate-free undirected edge list
    newman_teams.gml        the same with integer ``value`` classes and an edge ``value`` weight
    gephi_export.gexf       a Gephi 0.10 GEXF 1.3 export: meta, attributes (modularity_class, Group, degree),
                            attvalues, viz:size/position/color elements, directed edges with ids and weights,
                            one reciprocal pair and one self-loop
    letters_edges.csv       a digital-humanities CSV edge list: Source,Target,Type,Id,Label,timeset,Weight
    letters_nodes.csv       its node table: Id,Label,timeset,Group,birth_year (edges use the Label names)
    club_edges.json         networkx node-link JSON with the "edges" key (networkx >= 3.4 default)
    club_links.json         the same graph with the older "links" key and an extra numeric attribute
    yed_like.graphml        GraphML with typed keys, a default value, and a node attribute used as the class
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _communities(rng: random.Random, n: int, groups: int, p_in: float, p_out: float) -> tuple[list[int], list]:
    group = [i * groups // n for i in range(n)]
    edges = [(i, j) for i in range(n) for j in range(i + 1, n)
             if rng.random() < (p_in if group[i] == group[j] else p_out)]
    return group, edges


def newman_gml(name: str, classes, weighted: bool, seed: int) -> None:
    rng = random.Random(seed)
    group, edges = _communities(rng, 36, len(classes), 0.35, 0.03)
    out = ['Creator "GraphCL Studio tests, in the style of M. Newman\'s collection"', "graph", "[", "  directed 0"]
    for i, g in enumerate(group):
        value = classes[g] if isinstance(classes[g], int) else f'"{classes[g]}"'
        out += ["  node", "  [", f"    id {i}", f'    label "Item {i:02d}"', f"    value {value}", "  ]"]
    for a, b in edges:
        out += ["  edge", "  [", f"    source {a}", f"    target {b}"]
        if weighted:
            out.append(f"    value {rng.randint(1, 5)}")
        out.append("  ]")
    out.append("]")
    (HERE / name).write_text("\n".join(out) + "\n", encoding="utf-8")


def gephi_gexf() -> None:
    rng = random.Random(3)
    group, edges = _communities(rng, 30, 3, 0.4, 0.04)
    edges = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
    edges += [(edges[0][1], edges[0][0]), (5, 5)]  # one reciprocal pair, one self-loop
    names = ["Group A", "Group B", "Group C"]
    deg = [sum(i in e for e in edges) for i in range(30)]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gexf xmlns="http://gexf.net/1.3" version="1.3" xmlns:viz="http://gexf.net/1.3/viz" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd">',
           '  <meta lastmodifieddate="2024-05-01">', "    <creator>Gephi 0.10.1</creator>",
           "    <description></description>", "  </meta>",
           '  <graph defaultedgetype="directed" mode="static">',
           '    <attributes class="node" mode="static">',
           '      <attribute id="modularity_class" title="Modularity Class" type="integer"></attribute>',
           '      <attribute id="group" title="Group" type="string"></attribute>',
           '      <attribute id="degree" title="Degree" type="integer"></attribute>',
           "    </attributes>", "    <nodes>"]
    for i in range(30):
        out += [f'      <node id="{i}" label="Person {i}">', "        <attvalues>",
                f'          <attvalue for="modularity_class" value="{(group[i] + i % 2) % 3}"></attvalue>',
                f'          <attvalue for="group" value="{names[group[i]]}"></attvalue>',
                f'          <attvalue for="degree" value="{deg[i]}"></attvalue>', "        </attvalues>",
                f'        <viz:size value="{10 + deg[i]:.1f}"></viz:size>',
                f'        <viz:position x="{rng.uniform(-500, 500):.4f}" y="{rng.uniform(-500, 500):.4f}" '
                'z="0.0"></viz:position>',
                '        <viz:color r="66" g="135" b="245"></viz:color>', "      </node>"]
    out += ["    </nodes>", "    <edges>"]
    for k, (a, b) in enumerate(edges):
        out.append(f'      <edge id="{k}" source="{a}" target="{b}" weight="{rng.choice([1.0, 2.0, 0.5])}">'
                   '</edge>')
    out += ["    </edges>", "  </graph>", "</gexf>"]
    (HERE / "gephi_export.gexf").write_text("\n".join(out) + "\n", encoding="utf-8")


def letters_csv() -> None:
    rng = random.Random(4)
    group, edges = _communities(rng, 28, 2, 0.35, 0.05)
    people = [f"{first} {last}" for first, last in zip(
        ["Anne", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Kai", "Lena", "Max",
         "Nora", "Otto", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Uli", "Vera", "Wim", "Xenia", "Yann", "Zoe",
         "Arno", "Bea"], ["Abt", "Berg", "Claus", "Dorn"] * 7)]
    rows = ["Source,Target,Type,Id,Label,timeset,Weight"]
    for k, (a, b) in enumerate(edges):
        rows.append(f"{people[a]},{people[b]},Undirected,{k},letter,,{rng.randint(1, 12)}")
    (HERE / "letters_edges.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    rows = ["Id,Label,timeset,Group,birth_year"]
    for i, p in enumerate(people + ["Carl Lone", "Dora Lone"]):  # two correspondents without letters
        rows.append(f"{100 + i},{p},,{'scholars' if i % 28 < 14 else 'printers'},{1700 + rng.randint(0, 40)}")
    (HERE / "letters_nodes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def club_json() -> None:
    rng = random.Random(5)
    group, edges = _communities(rng, 24, 2, 0.45, 0.06)
    nodes = [{"id": i, "club": ["Red", "Blue"][g], "age": 20 + rng.randint(0, 30)} for i, g in enumerate(group)]
    doc = {"directed": False, "multigraph": False, "graph": {"name": "club"}, "nodes": nodes,
           "edges": [{"source": a, "target": b, "weight": 1 + (a + b) % 3} for a, b in edges]}
    (HERE / "club_edges.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    for nd in nodes:
        nd["score"] = round(rng.uniform(0, 1), 3)
    links = {**doc, "links": doc["edges"]}
    del links["edges"]
    (HERE / "club_links.json").write_text(json.dumps(links, indent=1), encoding="utf-8")


def graphml() -> None:
    rng = random.Random(6)
    group, edges = _communities(rng, 26, 2, 0.4, 0.05)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
           '  <key attr.name="kind" attr.type="string" for="node" id="d0"><default>plain</default></key>',
           '  <key attr.name="size" attr.type="double" for="node" id="d1"/>',
           '  <key attr.name="team" attr.type="int" for="node" id="d2"/>',
           '  <key attr.name="weight" attr.type="double" for="edge" id="d3"/>',
           '  <graph edgedefault="undirected" id="G">']
    for i, g in enumerate(group):
        kind = '<data key="d0">hub</data>' if i % 9 == 0 else ""
        out.append(f'    <node id="n{i}">{kind}<data key="d1">{rng.uniform(1, 3):.2f}</data>'
                   f'<data key="d2">{g + 1}</data></node>')
    for a, b in edges:
        out.append(f'    <edge source="n{a}" target="n{b}"><data key="d3">{rng.randint(1, 4)}</data></edge>')
    out += ["  </graph>", "</graphml>"]
    (HERE / "yed_like.graphml").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    newman_gml("newman_books.gml", ["liberal", "neutral", "conservative"], weighted=False, seed=1)
    newman_gml("newman_teams.gml", [0, 1, 2, 3], weighted=True, seed=2)
    gephi_gexf()
    letters_csv()
    club_json()
    graphml()
