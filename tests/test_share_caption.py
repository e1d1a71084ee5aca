"""The sidebar's share text (ui/shell.share_caption) and the Graph page's line on links
(ui/graphs.link_note): an uploaded graph is not in a link, and the text says so."""

from ui import graphs, shell


def test_share_caption_for_a_named_graph_promises_the_graph():
    text = shell.share_caption("karate")
    assert "same graph and hyperparameters" in text and "does not carry your runs" in text


def test_share_caption_for_an_upload_says_the_file_is_not_in_the_link():
    text = shell.share_caption("upload:people_edges.csv")
    assert "same graph" not in text
    assert "people_edges.csv is not in the link" in text and "upload the file" in text
    assert "does not carry your runs" in text


def test_graph_page_link_note_follows_the_graph():
    assert "kept in the link" in graphs.link_note("lesmis")
    note = graphs.link_note("upload:cities.gml")
    assert "kept in the link" not in note and "cities.gml" in note and "not in the link" in note
