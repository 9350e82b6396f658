"""Numbered figures and tables, and cross-references, in the PDF, the EPUB and the web page.

The figures fixture (tests/fixtures/figures/) has two numbered figures and two numbered tables
(one caption right under its table, one after a blank line), references to each from both
chapters and from a footnote, a reference to a section by its id and to the second chapter by
the id on its title (``# Costs {#sec-costs}``), an e-mail address that
looks like a reference, and a reference inside code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from generator.build import check as check_documents
from tests.conftest import FIXTURES, build_fixture
from tests.helpers import NS, epub_xml, epubcheck_problems
from tests.test_links import check, write_document

SLUG = "figures"
X = f"{{{NS['x']}}}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The figures fixture built in all three formats."""
    return build_fixture(tmp_path_factory, SLUG, "all")


def text_of(element: object) -> str:
    """An element's text with no-break spaces as spaces."""
    return "".join(element.itertext()).replace("\u00a0", " ").strip()  # type: ignore[attr-defined]


# The EPUB


def test_epub_captions_are_numbered_through_the_document(built: Path) -> None:
    """Each figure and table caption starts with its label and number, counted across chapters."""
    epub = built / f"{SLUG}.epub"
    captions = [text_of(c) for member in ("EPUB/ch1.xhtml", "EPUB/ch2.xhtml")
                for c in epub_xml(epub, member).iter(f"{X}figcaption", f"{X}caption")]
    assert captions == ["Figure 1: Shipping routes by volume", "Table 1: Costs by route",
                        "Figure 2: Market share by carrier", "Table 2: Shares by carrier"]


def test_epub_references_read_as_numbers_and_link_to_their_targets(built: Path) -> None:
    """Every @ reference is a link reading "Figure 1", "Table 2", "Section 1.1", qualified by file across chapters."""
    epub = built / f"{SLUG}.epub"
    first = [(text_of(a), a.get("href")) for a in epub_xml(epub, "EPUB/ch1.xhtml").iter(f"{X}a") if a.get("class") == "xref"]
    assert first == [("Figure 1", "#fig-routes"), ("Table 1", "#tbl-costs"), ("Section 1.1", "#sec-why-now"),
                     ("Table 2", "ch2.xhtml#tbl-share"), ("Chapter 2", "ch2.xhtml")]
    second = [(text_of(a), a.get("href")) for a in epub_xml(epub, "EPUB/ch2.xhtml").iter(f"{X}a") if a.get("class") == "xref"]
    assert second == [("Figure 1", "ch1.xhtml#fig-routes"), ("Figure 2", "#fig-share"), ("Section 1.1", "ch1.xhtml#sec-why-now"),
                      ("Table 1", "ch1.xhtml#tbl-costs"), ("Figure 2", "#fig-share")]  # the last from the footnote


def test_an_address_and_code_are_not_references(built: Path) -> None:
    """'desk@fig-routes.org' and `@fig-routes` in code are printed as written."""
    epub = built / f"{SLUG}.epub"
    assert "desk@fig-routes.org" in text_of(epub_xml(epub, "EPUB/ch1.xhtml"))
    codes = [text_of(c) for c in epub_xml(epub, "EPUB/ch2.xhtml").iter(f"{X}code")]
    assert codes == ["@fig-routes"]


def test_epub_of_the_figures_fixture_passes_epubcheck(built: Path) -> None:
    """EPUBCheck finds nothing in the EPUB with numbered captions and cross-references."""
    assert epubcheck_problems(built / f"{SLUG}.epub") == []


# The web page


def test_web_page_references_link_to_ids_of_the_page(built: Path) -> None:
    """On the web page every reference links to an id the page has, and the captions are numbered."""
    page = lxml_html.fromstring((built / f"{SLUG}.html").read_bytes())
    ids = set(page.xpath("//@id"))
    references = [(text_of(a), a.get("href")) for a in page.xpath("//a[@class='xref']")]
    assert len(references) == 10 and all(href[1:] in ids for _, href in references)
    assert ("Section 1.1", "#sec-why-now") in references and ("Chapter 2", "#ch2") in references
    assert page.get_element_by_id("ch2").get("class") == "chapter"
    assert [text_of(c) for c in page.xpath("//figcaption | //caption")][1] == "Table 1: Costs by route"


# The PDF


def test_pdf_prints_numbered_captions_and_references(built: Path) -> None:
    """The PDF's text has the numbered captions and the references as numbers, not as @ keys."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(built / f"{SLUG}.pdf")).pages).replace("\u00a0", " ")
    for expected in ("Figure 1: Shipping routes by volume", "Table 2: Shares by carrier", "drawn in Figure 1",
                     "says why this matters", "and Figure 2 confirms", "Nothing more here; Chapter 2 gives the costs."):
        assert expected in " ".join(text.split()), expected
    assert "@tbl-costs" not in text and "@sec-why-now" not in text and "{#sec-costs}" not in text


def test_pdf_references_are_links_to_destinations_on_their_targets_pages(built: Path) -> None:
    """Each figure, table and section is a named destination, and the second chapter's references link to them."""
    reader = PdfReader(str(built / f"{SLUG}.pdf"))
    destinations = reader.named_destinations
    pages = {name: reader.get_destination_page_number(destinations[name]) for name in ("fig-routes", "fig-share", "sec-why-now")}
    assert pages == {"fig-routes": 0, "fig-share": 1, "sec-why-now": 1}
    linked = {str(a.get_object().get("/Dest", "")) for a in reader.pages[1].get("/Annots", [])}
    assert {"fig-routes", "tbl-costs", "sec-why-now", "fig-share", "ch2"} <= linked
    assert reader.get_destination_page_number(destinations["ch2"]) == 1  # "Chapter 2" goes to the chapter's start


def test_pdf_names_the_page_of_a_target_on_another_page(built: Path) -> None:
    """A reference whose target is on another page is followed by its page, "(page 2)"; one on the same page is not."""
    reader = PdfReader(str(built / f"{SLUG}.pdf"))
    first, second = (" ".join((page.extract_text() or "").replace("\u00a0", " ").split()) for page in reader.pages[:2])
    assert "Section 1.1 (page 2) says why" in first and "drawn in Figure 1;" in first
    assert "As Figure 1 (page 1) showed, and Figure 2 confirms" in second


def test_pdf_keeps_a_table_caption_on_the_page_of_its_table(built: Path) -> None:
    """Table 1 does not fit under figure 1 on page 1: its caption goes with it to page 2 (break-after:
    avoid), rather than stay alone at the foot of page 1."""
    reader = PdfReader(str(built / f"{SLUG}.pdf"))
    pages = [" ".join((page.extract_text() or "").replace("\u00a0", " ").split()) for page in reader.pages]
    caption = [n for n, text in enumerate(pages) if "Table 1: Costs by route" in text]
    table = [n for n, text in enumerate(pages) if "Cost per tonne" in text]
    assert caption == table == [1]


def test_pdf_lists_figures_and_tables_after_the_contents(built: Path) -> None:
    """`lists: [figures, tables]` puts both lists on the first page, each entry linked to its caption's page."""
    page = " ".join((PdfReader(str(built / f"{SLUG}.pdf")).pages[0].extract_text() or "").split())
    assert "FIGURES 1 Shipping routes by volume" in page and "2 Market share by carrier" in page
    assert "TABLES 1 Costs by route" in page


def test_web_page_lists_figures_and_tables(built: Path) -> None:
    """The web page's contents are followed by the two lists, linking to the figures and tables."""
    page = lxml_html.fromstring((built / f"{SLUG}.html").read_bytes())
    lists = [[(text_of(a), a.get("href")) for a in nav.iter("a")] for nav in page.xpath("//nav[@class='caption-list']")]
    assert lists == [[("1 Shipping routes by volume", "#fig-routes"), ("2 Market share by carrier", "#fig-share")],
                     [("1 Costs by route", "#tbl-costs"), ("2 Shares by carrier", "#tbl-share")]]


def test_epub_nav_lists_figures_and_tables_with_landmarks(built: Path) -> None:
    """The EPUB's nav has a list of illustrations (loi) and of tables (lot) after the contents, each entry
    linked into its chapter's file, and a landmark for each (EPUBCheck: the test above)."""
    nav = epub_xml(built / f"{SLUG}.epub", "EPUB/nav.xhtml")
    lists = {kind: [(text_of(a), a.get("href")) for a in nav.xpath(f"//x:nav[@epub:type='{kind}']//x:a", namespaces=NS)]
             for kind in ("loi", "lot")}
    assert lists == {"loi": [("1 Shipping routes by volume", "ch1.xhtml#fig-routes"), ("2 Market share by carrier", "ch2.xhtml#fig-share")],
                     "lot": [("1 Costs by route", "ch1.xhtml#tbl-costs"), ("2 Shares by carrier", "ch2.xhtml#tbl-share")]}
    assert [n.get(f"{{{NS['epub']}}}type") for n in nav.iter(f"{X}nav")] == ["toc", "loi", "lot", "landmarks"]
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a[@epub:type='loi' or @epub:type='lot']/@href", namespaces=NS)
    assert landmarks == ["nav.xhtml#loi", "nav.xhtml#lot"]


def test_lists_names_only_figures_and_tables(tmp_path: Path) -> None:
    """An unknown or repeated list in `lists:` is refused at its line."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n"}, extra="lists: [figures, pictures]\n")
    assert check(root) == (1, [
        "doc/document.yaml:3:18: 'lists' item 2 must be one of figures, tables, not 'pictures'",
        "build failed: 1 error; nothing was written",
    ])


# Numbering plans and languages


def test_report_plan_numbers_per_chapter(tmp_path: Path) -> None:
    """In the report plan figures are numbered per chapter, like sections: "Figure 2.1"."""
    root = write_document(tmp_path / "doc", {
        "01.md": "# One\n\n![A](a.png){#fig-a}\n",
        "02.md": "# Two\n\nSee @fig-b and @fig-a.\n\n![B](a.png){#fig-b}\n",
    }, extra="layout: report\n")
    (root / "a.png").write_bytes((FIXTURES / "links" / "images" / "dot.png").read_bytes())
    document = check_documents(root.parent, ["doc"])[0]
    body = document.chapters[1].body.root
    assert [text_of(a) for a in body.iter("a")] == ["Figure 2.1", "Figure 1.1"]
    assert text_of(next(body.iter("figcaption"))) == "Figure 2.1: B"


def test_labels_follow_the_document_language(tmp_path: Path) -> None:
    """A French document says "Tableau 1 :", "Section 1.1" and "Chapitre 1"."""
    root = write_document(tmp_path / "doc", {
        "01.md": "# Un {#sec-un}\n\n## Pourquoi {#sec-pourquoi}\n\nVoir @tbl-a, @sec-pourquoi et @sec-un.\n\n"
                 "| a |\n|---|\n| 1 |\n: Coûts {#tbl-a}\n",
    }, extra="language: fr\n")
    chapter = check_documents(root.parent, ["doc"])[0].chapters[0]
    body = chapter.body.root
    assert [text_of(a) for a in body.iter("a")] == ["Tableau 1", "Section 1.1", "Chapitre 1"]
    assert chapter.title == "Un" and [a.get("href") for a in body.iter("a")][-1] == "#ch1"
    assert text_of(next(body.iter("caption"))) == "Tableau 1 : Coûts"


# Refused references, each where it is written


def test_reference_to_a_missing_id_names_its_place_and_the_closest_id(tmp_path: Path) -> None:
    """A misspelt figure, table or section reference is an error at file:line:column with "did you mean"."""
    root = write_document(tmp_path / "doc", {
        "01.md": "# One\n\n## Why {#sec-why}\n\nSee @fig-rotues, then @tbl-x\nand @sec-wyh.\n\n![A](a.png){#fig-routes}\n",
    })
    (root / "a.png").write_bytes((FIXTURES / "links" / "images" / "dot.png").read_bytes())
    assert check(root) == (1, [
        "doc/01.md:5:5: reference '@fig-rotues' names no figure with a caption in this document; did you mean '@fig-routes'?",
        "doc/01.md:5:23: reference '@tbl-x' names no table with a caption in this document",
        "doc/01.md:6:5: reference '@sec-wyh' names no numbered section or chapter (a '## ' or '### ' heading, or a "
        "chapter's '# ' title, with the id {#sec-wyh}) in this document; did you mean '@sec-why'?",
        "build failed: 3 errors; nothing was written",
    ])


def test_reference_to_a_misspelt_chapter_id_suggests_the_chapter(tmp_path: Path) -> None:
    """A chapter's title id is one of the ids a misspelt @sec- reference is matched against."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\nSee @sec-tow.\n", "02.md": "# Two {#sec-two}\n"})
    assert check(root) == (1, [
        "doc/01.md:3:5: reference '@sec-tow' names no numbered section or chapter (a '## ' or '### ' heading, or a "
        "chapter's '# ' title, with the id {#sec-tow}) in this document; did you mean '@sec-two'?",
        "build failed: 1 error; nothing was written",
    ])


def test_a_figure_id_given_twice_is_refused(tmp_path: Path) -> None:
    """Two figures with one id are an error at the second picture's source, naming the first."""
    root = write_document(tmp_path / "doc", {"01.md": "# One\n\n![A](a.png){#fig-a}\n\n![B](a.png){#fig-a}\n"})
    (root / "a.png").write_bytes((FIXTURES / "links" / "images" / "dot.png").read_bytes())
    assert check(root) == (1, [
        "doc/01.md:5:6: figure id 'fig-a' is also given in 01.md, line 3",
        "build failed: 1 error; nothing was written",
    ])
