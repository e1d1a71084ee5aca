"""Following an ``st.page_link`` in AppTest, which cannot click one: the link's page and query string are
read from its element and opened the way the browser would (the new page, with the link's parameters)."""

from __future__ import annotations

from urllib.parse import parse_qsl


def page_link(at, label: str):
    """The page link labelled ``label`` (its proto: ``page``, ``query_string``); fails if there is none."""
    links = [e.proto for e in at.get("page_link") if e.proto.label == label]
    assert links, f"no page link {label!r} on the page: {[e.proto.label for e in at.get('page_link')]}"
    return links[0]


def follow(at, label: str, page_file: str):
    """Open ``page_file`` as a click on the link ``label`` does: with exactly the link's query parameters."""
    link = page_link(at, label)
    params = dict(parse_qsl(link.query_string, keep_blank_values=True))
    for k in list(at.query_params):
        del at.query_params[k]
    at.query_params.update(params)
    return at.switch_page(page_file).run()
