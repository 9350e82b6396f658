"""Ordinary Markdown that authors write: front matter, comments before the title, headings inside quotes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_generator
from tests.helpers import NS, epub_xml
from tests.test_links import check, write_document


def test_front_matter_gives_the_title_and_an_id_to_link_to(tmp_path: Path) -> None:
    """`title:` replaces the '# ' heading (inline Markdown kept), `id:` is a link target for the chapter's start."""
    root = write_document(tmp_path / "doc", {
        "01.md": "---\ntitle: The *real* title\nid: costs\n---\nText.\n",
        "02.md": "# Two\n\nBack to [the costs](#costs).\n",
    })
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    title = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml").xpath("//x:h1", namespaces=NS)[0]
    assert title.xpath("string()") == "1 The real title" and title.xpath("x:em/text()", namespaces=NS) == ["real"]
    links = epub_xml(out / "doc.epub", "EPUB/ch2.xhtml").xpath("//x:p/x:a/@href", namespaces=NS)
    assert links == ["ch1.xhtml"]


def test_front_matter_is_checked_like_document_yaml(tmp_path: Path) -> None:
    """An unknown key and a reserved id in a chapter's front matter are refused at their lines."""
    root = write_document(tmp_path / "doc", {"01.md": "---\ntitel: X\nid: ch9\n---\n# One\n\nText.\n"})
    assert check(root) == (1, [
        "doc/01.md:2:1: unknown key 'titel'; did you mean 'title'?",
        "doc/01.md:3:5: chapter id 'ch9' is reserved for the ids the tool generates",
        "build failed: 2 errors; nothing was written",
    ])


def test_a_comment_may_come_before_the_title_and_a_quote_may_hold_a_heading(tmp_path: Path) -> None:
    """An HTML comment before '# Title' is dropped; '# ' inside a block quote is no second title."""
    root = write_document(tmp_path / "doc", {"01.md": "<!-- draft 3 -->\n# One\n\n> # Quoted\n> text\n\nBody.\n"})
    assert check(root)[0] == 0


def test_a_second_top_level_title_is_still_refused(tmp_path: Path) -> None:
    """Two '# ' headings at the top level: the second is refused at its line."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\nText.\n\n# Two\n"})
    assert check(root) == (1, [
        "doc/01.md:5:1: only the chapter title may be a '# ' heading; use '## ' for sections",
        "build failed: 1 error; nothing was written",
    ])


def test_harmless_inline_tags_and_angle_bracket_words_need_no_allow_html(tmp_path: Path) -> None:
    """<br> in a table cell, <kbd> and Option<T> build without allow_html; <span> is still refused."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\nPress <kbd>Ctrl</kbd>, use Option<T>.\n\n"
                                                     "| a | b |\n|---|---|\n| one<br>two | x |\n"})
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    chapter = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml")
    assert chapter.xpath("//x:kbd/text()", namespaces=NS) == ["Ctrl"]
    assert "Option<T>" in chapter.xpath("string(//x:p[1])", namespaces=NS)
    assert len(chapter.xpath("//x:td/x:br", namespaces=NS)) == 1
    (root / "01.md").write_text("# One\n\nA <span>span</span>.\n", encoding="utf-8")
    assert check(root)[0] == 1


def test_doctype_and_processing_instructions_are_dropped_with_allow_html(tmp_path: Path) -> None:
    """With allow_html, <!DOCTYPE html> (block or inline) and <?php ... ?> are dropped, never a crash."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n<!DOCTYPE html>\n\nText <!DOCTYPE x> and <?php echo 1; ?> end.\n"},
                          extra="allow_html: true\n")
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert epub_xml(out / "doc.epub", "EPUB/ch1.xhtml").xpath("string(//x:p)", namespaces=NS) == "Text  and  end."


def test_a_footnote_keeps_its_paragraphs_list_and_code_in_every_output(tmp_path: Path) -> None:
    """A note with a second paragraph, a list and a code block keeps them in the EPUB, the web page and the PDF."""
    from lxml import html as lxml_html

    from tests.helpers import pdf_text, squash

    root = write_document(tmp_path / "doc", {"01.md": (
        "# One\n\nA claim.[^1]\n\n[^1]: First paragraph.\n\n    Second paragraph.\n\n    - alpha item\n    - beta item\n\n"
        "    ```\n    code  line()\n    ```\n")})
    out = tmp_path / "out"
    for command in ("all", "html"):
        result = run_generator(command, "doc", "--source", str(root.parent), "--out", str(out))
        assert result.returncode == 0, result.stderr
    note = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml").xpath("//x:aside[@role='doc-footnote']", namespaces=NS)[0]
    assert [p.xpath("string()").strip() for p in note.xpath("x:p", namespaces=NS)] == ["1. First paragraph.", "Second paragraph."]
    assert note.xpath("x:ul/x:li/text()", namespaces=NS) == ["alpha item", "beta item"]
    assert note.xpath("string(x:pre/x:code)", namespaces=NS) == "code  line()\n"
    page = lxml_html.fromstring((out / "doc.html").read_bytes())
    item = page.get_element_by_id("ch1-fn1")
    assert item.xpath("p/text()") == ["Second paragraph."] and item.xpath("ul/li/text()") == ["alpha item", "beta item"]
    text = squash(pdf_text(out / "doc.pdf"))
    assert all(squash(s) in text for s in ("First paragraph.", "Second paragraph.", "alpha item", "beta item", "code line()"))


def test_picture_names_with_spaces_escapes_and_queries_are_the_same_file(tmp_path: Path) -> None:
    """'my chart.png', 'my%20chart.png' and 'my%20chart.png?v=2' name one picture, packed once, URL-encoded."""
    import zipfile

    from PIL import Image

    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n![a](<images/my chart.png>) ![b](images/my%20chart.png?v=2)\n"})
    (root / "images").mkdir()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(root / "images" / "my chart.png")
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "doc.epub") as archive:
        assert archive.namelist().count("EPUB/images/my chart.png") == 1
    sources = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml").xpath("//x:img/@src", namespaces=NS)
    assert sources == ["images/my%20chart.png", "images/my%20chart.png"]


def test_glossary_terms_that_slug_alike_get_anchors_of_their_own(tmp_path: Path) -> None:
    """C, C# and C++ are three entries with three anchors, each linked where it is used."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\nWe write C++ and C# but also C.\n"},
                          glossary="- term: C\n  definition: A language.\n- term: C#\n  definition: Another.\n"
                                   "- term: C++\n  definition: A third.\n")
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    links = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml").xpath("//x:a[@class='glossref']", namespaces=NS)
    assert [a.text for a in links] == ["C++", "C#", "C"]
    assert len({a.get("href") for a in links}) == 3


def test_html_split_by_blank_lines_is_one_element_and_strays_are_repaired(tmp_path: Path) -> None:
    """With allow_html, <details> ... Markdown ... </details> keeps the Markdown inside (nested too); a stray
    <figcaption> or <li> outside its parent becomes a <div>, so the EPUB stays valid."""
    from tests.helpers import epubcheck_problems

    root = write_document(tmp_path / "doc", {"01.md": (
        "# One\n\n<details>\n<summary>More</summary>\n\nMarkdown *inside*.\n\n<div class=\"box\">\n\nInner text.\n\n"
        "</div>\n\n</details>\n\nAfter.\n\n<figcaption>stray</figcaption>\n\n<li>stray item</li>\n")}, extra="allow_html: true\n")
    out = tmp_path / "out"
    result = run_generator("epub", "doc", "--source", str(root.parent), "--out", str(out))
    assert result.returncode == 0, result.stderr
    chapter = epub_xml(out / "doc.epub", "EPUB/ch1.xhtml")
    details = chapter.xpath("//x:details", namespaces=NS)[0]
    assert details.xpath("string(x:p)", namespaces=NS) == "Markdown inside."
    assert details.xpath("string(x:div[@class='box']/x:p)", namespaces=NS) == "Inner text."
    assert chapter.xpath("//x:details/following-sibling::x:p[1]/text()", namespaces=NS) == ["After."]
    assert not chapter.xpath("//x:figcaption | //x:li", namespaces=NS)
    assert epubcheck_problems(out / "doc.epub") == []
