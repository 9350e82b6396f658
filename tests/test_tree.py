"""Chapters as element trees: what the Markdown stage builds, and what passes and writers rely on."""

from __future__ import annotations

from pathlib import Path

from lxml.etree import _Element

from generator.markdown import render_chapter
from generator.tree import (WIDE_TABLE, WIDER_TABLE, Fragment, break_long_words_in_cells, break_points,
                            keep_words_whole, longest_word, mark_wide_tables, to_html, to_xhtml, unwrap)

PATH = Path("x.md")


def body(markdown: str, allow_html: bool = False) -> str:
    """The XHTML of a chapter's body."""
    return render_chapter(f"# T\n\n{markdown}\n", "ch1", PATH, allow_html=allow_html).body.xhtml()


def test_serialisers_close_empty_elements_and_drop_source_positions() -> None:
    """XHTML closes every non-void element; HTML writes void ones bare; data-src-* never leave the tree."""
    fragment = Fragment.parse('<p data-src-line="3">a<span></span><br/></p><table><tr><td></td></tr></table>')
    assert fragment.xhtml() == "<p>a<span></span><br/></p><table><tr><td></td></tr></table>"
    assert to_html(fragment.root) == "<p>a<span></span><br></p><table><tr><td></td></tr></table>"


def test_epub_types_are_declared_once_on_the_wrapper() -> None:
    """epub:type added by a writer needs no namespace declaration inside the fragment."""
    root = Fragment.parse('<a href="#x">1</a>').copy()
    root[0].set("{http://www.idpf.org/2007/ops}type", "noteref")
    assert to_xhtml(root, epub_types=True) == '<a href="#x" epub:type="noteref">1</a>'


def test_a_fragment_is_never_changed_by_its_users() -> None:
    """copy() gives a tree to change; the fragment keeps its content."""
    fragment = Fragment.parse("<p>a <b>b</b> c</p>")
    root = fragment.copy()
    unwrap(root.find(".//b"))
    assert Fragment(root).xhtml() == "<p>a b c</p>" and fragment.xhtml() == "<p>a <b>b</b> c</p>"


def test_raw_html_keeps_the_generated_markup_around_it() -> None:
    """With allow_html, a paragraph's note call, picture and link go back into the cleaned HTML in place."""
    html = body("Word <b>bold [link](https://a.org) and</b> more[^1] ![pic](p.png) <i>x</i>\n\n[^1]: Note.", allow_html=True)
    assert html == ('<p>Word <b>bold <a href="https://a.org">link</a> and</b> more<a class="noteref" role="doc-noteref" '
                    'id="ch1-fnref1" href="#ch1-fn1">1</a> <img src="p.png" alt="pic"/> <i>x</i></p>\n')


def test_a_link_crossed_by_raw_html_keeps_its_text() -> None:
    """A Markdown link whose halves raw HTML separates is dropped, its text kept, and the XHTML stays well-formed."""
    assert body("Word [a <b>b](https://a.org) c</b> end", allow_html=True) == "<p>Word a <b>b c</b> end</p>\n"


def test_placeholder_characters_written_by_an_author_are_inert() -> None:
    """U+E000 digits U+E001 in an attribute or text never pull generated markup in (they become U+FFFD)."""
    html = body('Word <span title="\ue0000\ue001">x</span> [l](https://x.org) \ue0001\ue001 y', allow_html=True)
    assert html == '<p>Word <span title="\ufffd0\ufffd">x</span> <a href="https://x.org">l</a> \ufffd1\ufffd y</p>\n'


def test_nesting_past_the_limit_is_a_located_error() -> None:
    """Emphasis nested 500 deep is refused at its paragraph's line, not a RecursionError later."""
    rendered = render_chapter("# T\n\nFine.\n\n" + "*" * 500 + "deep" + "*" * 500 + "\n", "ch1", PATH)
    assert [str(p) for p in rendered.problems] == [
        "x.md:5:1: elements are nested more than 100 levels deep here (emphasis, quotes or lists inside each other); flatten them"]
    assert render_chapter("# T\n\n" + "*" * 40 + "deep" + "*" * 40 + "\n", "ch1", PATH).problems == []


def test_heading_ids_stay_linear_for_many_equal_headings() -> None:
    """Many headings with the same text get ch1-s, ch1-s-2 ... without a quadratic search (counted, not timed)."""
    rendered = render_chapter("# T\n\n" + "\n\n".join("## S" for _ in range(3000)), "ch1", PATH)
    ids = [h.id for h in rendered.headings]
    assert ids[:3] == ["ch1-s", "ch1-s-2", "ch1-s-3"] and len(set(ids)) == 3000


def test_a_document_over_the_size_budget_is_refused_before_layout(tmp_path: Path) -> None:
    """20,000 headings are refused by `check` with the budget named, instead of exhausting memory in the PDF."""
    from generator import budget
    from tests.test_links import check, write_document

    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n" + "".join(f"## S{n}\n\nText {n}.\n\n" for n in range(20_000))})
    code, lines = check(root)
    assert code == 1 and lines[0].startswith("doc/document.yaml:1:1: the document is too large to lay out: 40,001 elements, "
                                             "20,000 headings and 0 glossary uses weigh 220,001")
    assert f"over the limit of {budget.MAX_WEIGHT:,}" in lines[0]


def test_a_picture_named_through_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    """A picture whose name is a symlink loop is a source error, not a crash."""
    from tests.test_links import check, write_document

    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n![a loop](loop.png)\n"})
    (root / "loop.png").symlink_to(root / "loop.png")
    code, lines = check(root)
    assert code == 1 and "image 'loop.png'" in lines[0], lines


def table_tree(markdown: str) -> _Element:
    """A chapter's tree, for the table passes."""
    return render_chapter(f"# T\n\n{markdown}\n", "ch1", PATH).body.copy()


def test_long_words_in_cells_get_break_points_that_keep_their_text() -> None:
    """A cell's word over LONG_TOKEN characters breaks after its punctuation and every 12 characters
    of a longer run; short words, text outside tables and code blocks are untouched."""
    url = "https://example.org/downloads/releases/2026/release-archive.tar.gz"
    root = table_tree(f"| a | b |\n|---|---|\n| {url} | Bundesverfassungsgerichtsurteil and short |\n\n{url} outside")
    break_long_words_in_cells(root)
    first, second = root.iter("td")
    assert "".join(first.itertext()) == url
    assert [w.tail for w in first.iter("wbr")][:3] == ["example.", "org/", "downloads/"]
    assert "".join(second.itertext()) == "Bundesverfassungsgerichtsurteil and short"
    assert len(list(second.iter("wbr"))) == 2  # 31 letters: three runs of at most 12
    assert not [w for p in root.iter("p") for w in p.iter("wbr")]
    assert break_points("short") == ["short"]


def classes(root: _Element) -> list[list[str | None]]:
    """The class of each cell, row by row."""
    return [[cell.get("class") for cell in row] for row in root.iter("tr")]


def test_words_stay_whole_in_the_columns_a_phone_can_hold_side_by_side() -> None:
    """All columns keep words whole when their longest words fit a phone's column together; else
    the columns of shortest longest words that fit; a CJK character counts as a word of two."""
    # 8 + 10 characters fit (Flusswasser, 11, would not: 358 px in foliate-js's 351 px column)
    german = table_tree("| Quelle | Temperatur im Winter |\n|---|---|\n| Abwasser | 3 °C bis 5 °C |")
    keep_words_whole(german)
    assert classes(german) == [["words", "words"]] * 2
    seed = table_tree("| Party | What it gives | What it gets |\n|---|---|---|\n"
                      "| Anthropic | A minority investment and custom infrastructure | More cloud spend |\n"
                      "| Amazon | Internationalisation and decarbonisation | Chips |")
    keep_words_whole(seed)
    assert classes(seed) == [["words", None, "words"]] * 3  # longest words 9, 20, 5: not all three
    assert longest_word("法定耐用年数 40年") == 2.0 and longest_word("R10C12 a") == 6.0
    assert longest_word("https://example.org/downloads/releases") == len("downloads/")
    spanning = table_tree("| a | b |\n|---|---|\n| x | y |")
    next(spanning.iter("td")).set("colspan", "2")
    keep_words_whole(spanning)
    assert not [c for row in classes(spanning) for c in row if c]


def test_wide_tables_are_classed_by_their_columns() -> None:
    """More than WIDE_TABLE columns: wide; more than WIDER_TABLE: wider."""
    def table(columns: int) -> str | None:
        root = table_tree("|" + " c |" * columns + "\n|" + "---|" * columns + "\n|" + " x |" * columns)
        mark_wide_tables(root)
        return next(root.iter("table")).get("class")
    assert (table(WIDE_TABLE), table(WIDE_TABLE + 1), table(WIDER_TABLE + 1)) == (None, "wide", "wider")
