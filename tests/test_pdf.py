"""The PDF briefing: outline, metadata, page references, paper, marks, tagging, fonts and print details."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import Destination

from generator.filters import glossary_groups
from generator.markdown import render_chapter
from generator.tree import Fragment
from generator.writers.pdf import add_link_notes
from tests.conftest import FIXTURES, SEED, SOURCE, run_generator
from tests.helpers import squash

PRINT_FIXTURE = "print-features"
MM = 72 / 25.4


@pytest.fixture(scope="module")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The print-features fixture (figure, external link, long table, 14-term glossary) as a PDF,
    with the HTML handed to WeasyPrint kept beside it."""
    return _build(tmp_path_factory.mktemp("print-fixture"), PRINT_FIXTURE, "--source", str(FIXTURES), "--keep-html")


@pytest.fixture(scope="module")
def letter_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing built with --paper letter."""
    return _build(tmp_path_factory.mktemp("letter"), SEED, "--source", str(SOURCE), "--paper", "letter")


@pytest.fixture(scope="module")
def marks_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing built with --marks."""
    return _build(tmp_path_factory.mktemp("marks"), SEED, "--source", str(SOURCE), "--marks")


def _build(out: Path, slug: str, *args: str) -> Path:
    """Build one document's PDF with the real command and return its path."""
    result = run_generator("pdf", slug, "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return out / f"{slug}.pdf"


# Outline and metadata


def expected_outline(root: Path) -> list[tuple[int, str]]:
    """(level, title) of every chapter and '## ' section in the Markdown, numbered 1, 1.1, ..., then the glossary."""
    meta = yaml.safe_load((root / "document.yaml").read_text(encoding="utf-8"))
    outline: list[tuple[int, str]] = []
    for number, name in enumerate(meta["chapters"], start=1):
        section = 0
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                outline.append((1, f"{number} {line[2:].strip()}"))
            elif line.startswith("## "):
                section += 1
                outline.append((2, f"{number}.{section} {line[3:].strip()}"))
    return [*outline, (1, "Glossary")]


def pdf_outline(reader: PdfReader) -> list[tuple[int, str]]:
    """(level, title) of every bookmark, in order."""
    found: list[tuple[int, str]] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title))

    walk(reader.outline, 1)
    return found


def test_outline_follows_numbered_chapters_and_sections(seed_pdf: Path) -> None:
    """The bookmarks are the chapter and section headings of the sources, numbered and nested, then the glossary."""
    assert pdf_outline(PdfReader(str(seed_pdf))) == expected_outline(SOURCE / SEED)


def test_metadata_comes_from_document_yaml(seed_pdf: Path) -> None:
    """Title, author, subject (subtitle), keywords, language and creation date match document.yaml."""
    meta = yaml.safe_load((SOURCE / SEED / "document.yaml").read_text(encoding="utf-8"))
    reader = PdfReader(str(seed_pdf))
    info = reader.metadata
    assert info is not None
    assert info.title == meta["title"]
    assert info.author == ", ".join(meta["authors"])
    assert info.subject == meta["subtitle"]
    assert info["/Keywords"] == ", ".join(meta["keywords"])
    assert info["/CreationDate"].startswith("D:" + meta["date"].strftime("%Y%m%d"))
    assert reader.trailer["/Root"]["/Lang"] == meta["language"]


def test_pdf_is_tagged_with_a_structure_tree(seed_pdf: Path) -> None:
    """The catalog marks the PDF as tagged and its structure tree holds headings, paragraphs, lists and the table."""
    root = PdfReader(str(seed_pdf)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    kinds = _structure_kinds(root["/StructTreeRoot"]["/K"])
    assert {"/Document", "/H1", "/H2", "/P", "/L", "/LI", "/Table", "/TH", "/Link"} <= kinds


def _structure_kinds(node: object) -> set[str]:
    """Every structure type (/S) below a structure tree node."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        return set().union(*(_structure_kinds(child) for child in node)) if node else set()
    if not hasattr(node, "get") or "/S" not in node:
        return set()
    return {str(node["/S"])} | _structure_kinds(node.get("/K", []))


# Page references


def page_words(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """Every word of one page (1-based) with its box in PDF points, origin bottom left."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', xml).group(1))
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', xml)
    return [(float(x0), height - float(y1), float(x1), height - float(y0), text) for x0, y0, x1, y1, text in words]


def glossary_pages(reader: PdfReader) -> range:
    """The page numbers (from 1) of the glossary: from its title's page to the end."""
    first = reader.get_destination_page_number(reader.named_destinations["glossary-title"]) + 1
    return range(first, len(reader.pages) + 1)


def page_references(reader: PdfReader, pdf: Path, page: int) -> list[tuple[str, int, int]]:
    """(destination, printed page number, destination's page) of each internal link on a page that ends in a number.

    WeasyPrint may write several annotations for one link (one per inline box), so the words
    under all of a destination's rectangles are read together; the last of them is the number.
    """
    words = page_words(pdf, page)
    under: dict[str, set[tuple[float, float, float, float, str]]] = {}
    for annotation in reader.pages[page - 1].get("/Annots", []):
        link = annotation.get_object()
        if "/Dest" not in link:
            continue
        xa, ya, xb, yb = (float(v) for v in link["/Rect"])  # WeasyPrint writes the top edge first
        x0, x1, y0, y1 = min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)
        # A word belongs to a link when it starts inside its rectangle ("4," runs on past a link around "4").
        inside = {w for w in words if x0 - 0.5 <= w[0] < x1 and y0 - 0.5 <= (w[1] + w[3]) / 2 <= y1 + 0.5}
        under.setdefault(str(link["/Dest"]), set()).update(inside)
    found: list[tuple[str, int, int]] = []
    for name, inside in under.items():
        reading_order = sorted(inside, key=lambda w: (-round(w[3]), w[0]))
        printed = re.fullmatch(r"(\d+),?", reading_order[-1][4]) if reading_order else None
        if printed:
            target: Destination = reader.named_destinations[name]
            found.append((name, int(printed.group(1)), reader.get_destination_page_number(target) + 1))
    return found


def page_texts(reader: PdfReader) -> list[str]:
    """The squashed, case-folded text of each page."""
    return [squash(page.extract_text() or "").casefold() for page in reader.pages]


def toc_targets() -> dict[str, str]:
    """The text each contents entry leads to, by anchor: chapter titles, sections and the glossary."""
    from generator.build import check

    document = check(SOURCE, [SEED])[0]
    targets = {"glossary-title": "Glossary"}
    for chapter in document.chapters:
        targets[f"{chapter.id}-title"] = chapter.title
        targets.update({h.id: h.text for h in chapter.headings if h.level == 2})
    return targets


def test_toc_page_numbers_point_at_the_headings(seed_pdf: Path) -> None:
    """Each number in the contents is the page its link leads to, and the first page after it to hold the heading."""
    reader = PdfReader(str(seed_pdf))
    texts = [squash(page.extract_text() or "") for page in reader.pages]
    targets = toc_targets()
    refs = page_references(reader, seed_pdf, 2)
    assert {name for name, _p, _t in refs} == set(targets)
    for name, printed, target in refs:
        assert printed == target, name
        first = next(i for i, text in enumerate(texts[2:], start=3) if squash(targets[name]) in text)
        assert first == printed, (name, targets[name])


@pytest.mark.parametrize("which", ["seed", "fixture"])
def test_glossary_page_numbers_point_at_uses_of_the_term(which: str, seed_pdf: Path, fixture_pdf: Path) -> None:
    """Each glossary page number links to a use of its term, on that very page, and no number repeats in an entry."""
    pdf = seed_pdf if which == "seed" else fixture_pdf
    source = (SOURCE / SEED) if which == "seed" else (FIXTURES / PRINT_FIXTURE)
    entries = yaml.safe_load((source / "glossary.yaml").read_text(encoding="utf-8"))
    forms = {e["term"]: [e["term"], *e.get("aliases", [])] for e in entries}
    reader = PdfReader(str(pdf))
    texts = page_texts(reader)
    refs = [r for page in glossary_pages(reader) for r in page_references(reader, pdf, page) if "-g-" in r[0]]
    assert len(refs) >= len(entries)
    by_term: dict[str, list[int]] = {}
    for name, printed, target in refs:
        assert printed == target, name
        slug = name.split("-g-", 1)[1].rsplit("-", 1)[0]
        term = next(t for t in forms if re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-") == slug)
        assert any(squash(f).casefold() in texts[printed - 1] for f in forms[term]), (term, printed)
        by_term.setdefault(term, []).append(printed)
    for term, pages in by_term.items():
        assert len(pages) == len(set(pages)), f"{term}: {pages}"


# Paper and marks


def test_default_paper_is_a4(seed_pdf: Path) -> None:
    """Every page of the default build is A4 (595.28 x 841.89 pt)."""
    for page in PdfReader(str(seed_pdf)).pages:
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (595.3, 841.9)


def test_letter_paper_gives_612_by_792(letter_pdf: Path) -> None:
    """--paper letter makes every page 612 x 792 pt."""
    for page in PdfReader(str(letter_pdf)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_marks_add_3mm_bleed_around_the_trimmed_page(marks_pdf: Path) -> None:
    """--marks keeps the trim box A4 and extends the media and bleed boxes by 3 mm on every side."""
    for page in PdfReader(str(marks_pdf)).pages:
        trim, media, bleed = page.trimbox, page.mediabox, page.bleedbox
        assert (round(float(trim.width), 1), round(float(trim.height), 1)) == (595.3, 841.9)
        for outer in (media, bleed):
            assert float(outer.width) == pytest.approx(float(trim.width) + 6 * MM, abs=0.1)
            assert float(outer.height) == pytest.approx(float(trim.height) + 6 * MM, abs=0.1)
            assert float(outer.left) == pytest.approx(float(trim.left) - 3 * MM, abs=0.1)


# Validity and fonts


def test_qpdf_finds_no_errors(seed_pdf: Path) -> None:
    """qpdf --check exits 0 (no errors) on the seed PDF."""
    result = subprocess.run(["qpdf", "--check", str(seed_pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_our_fonts_are_embedded_and_subset(seed_pdf: Path) -> None:
    """pdffonts lists only Source Serif/Sans Pro, every one embedded and subset: no glyph fell back to a system font."""
    lines = subprocess.run(["pdffonts", str(seed_pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        name = line.split()[0]
        emb, sub = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+", line).group(1, 2)
        assert re.match(r"[A-Z]{6}\+Source-(Serif|Sans)-Pro", name), line
        assert (emb, sub) == ("yes", "yes"), line


# Print details


def test_footnote_sits_on_the_page_of_its_call(seed_pdf: Path) -> None:
    """Chapter 4's footnote is printed at the foot of the page that calls it, with the link's address."""
    texts = page_texts(PdfReader(str(seed_pdf)))
    call = squash("concerned about unfair competition").casefold()
    note = squash("In January 2024 the FTC opened an inquiry").casefold()
    pages = [i for i, text in enumerate(texts) if call in text]
    assert pages and note in texts[pages[0]]
    assert "www.ftc.gov/news" in texts[pages[0]]


def test_external_link_address_is_printed_and_link_still_works(fixture_pdf: Path) -> None:
    """A body link gets a footnote with its address, and the PDF keeps a clickable URI link to it."""
    reader = PdfReader(str(fixture_pdf))
    page = next(p for p in reader.pages if "Example Agency" in (p.extract_text() or ""))
    assert "https://example.org/reports/2025/annual" in squash(page.extract_text())
    uris = [a.get_object()["/A"].get("/URI") for a in page.get("/Annots", []) if "/A" in a.get_object()]
    assert "https://example.org/reports/2025/annual" in uris


def test_figure_caption_is_on_the_page_of_its_image(fixture_pdf: Path) -> None:
    """The figure's caption is printed on the same page as its image."""
    reader = PdfReader(str(fixture_pdf))
    caption = squash("Figure 1. Spending by year").casefold()
    pages = [i for i, text in enumerate(page_texts(reader)) if caption in text]
    assert len(pages) == 1
    resources = reader.pages[pages[0]]["/Resources"]
    assert "/XObject" in resources  # WeasyPrint draws the SVG as a form XObject on the page


def test_long_table_repeats_its_header_row(fixture_pdf: Path) -> None:
    """Every page the long table runs over starts the table with its header row."""
    texts = [p.extract_text() or "" for p in PdfReader(str(fixture_pdf)).pages]
    table_pages = [t for t in texts if "of the long table" in t]
    assert len(table_pages) >= 2
    for text in table_pages:
        assert re.search(r"Year\s*Value\s*Note", text), text[:200]


def test_long_glossary_has_letter_headings(fixture_pdf: Path) -> None:
    """A glossary of more than twelve entries is grouped under letter headings, each letter once."""
    words = [w[4] for page in glossary_pages(PdfReader(str(fixture_pdf))) for w in page_words(fixture_pdf, page)]
    for letter in "ABDEGIKLMNOTZ":
        assert words.count(letter) == 1, letter


def test_glossary_groups_only_past_a_dozen_entries() -> None:
    """Twelve entries stay in one group without a letter; thirteen are grouped by initial, accents folded."""
    from generator.model import GlossaryEntry

    twelve = tuple(GlossaryEntry(id=f"g-{i}", term=t, definition=Fragment.parse("")) for i, t in enumerate("abcdefghijkl"))
    assert [letter for letter, _ in glossary_groups(twelve)] == [""]
    thirteen = (*twelve, GlossaryEntry(id="g-e2", term="Élan", definition=Fragment.parse("")))
    groups = dict(glossary_groups(tuple(sorted(thirteen, key=lambda e: e.term.casefold()))))
    assert [e.term for e in groups["E"]] == ["e", "Élan"]


def test_titled_image_alone_becomes_a_figure() -> None:
    """An image alone in its paragraph with a title renders as figure and figcaption; other images stay inline."""
    html = render_chapter('# T\n\n![A chart](c.svg "Figure 1. A & B")\n\n![plain](p.png)\n\nText ![x](x.png "t")\n',
                          "ch1", Path("x.md")).body.xhtml()
    assert '<figure class="figure">\n<img src="c.svg" alt="A chart"/>\n<figcaption>Figure 1. A &amp; B</figcaption></figure>' in html
    assert '<p><img src="p.png" alt="plain"/></p>' in html
    assert '<p>Text <img src="x.png" alt="x" title="t"/></p>' in html


def _link_notes(xhtml: str) -> str:
    """A fragment after the print's link-note transform."""
    root = Fragment.parse(xhtml).copy()
    add_link_notes(root)
    return Fragment(root).xhtml()


def test_link_notes_skip_links_that_show_their_address() -> None:
    """A link whose text is its address gets no footnote; another link gets one holding a link to the address."""
    assert _link_notes('<a href="https://a.org/x">https://a.org/x</a>') == '<a href="https://a.org/x">https://a.org/x</a>'
    assert _link_notes('<a href="https://a.org/x">the report</a> and') == (
        '<a href="https://a.org/x">the report</a>'
        '<span class="footnote link-note"><a class="url" href="https://a.org/x">https://a.org/x</a></span> and')


# The HTML handed to WeasyPrint (--keep-html), and what it anchors


def test_kept_html_is_exactly_what_weasyprint_lays_out(fixture_pdf: Path, tmp_path: Path) -> None:
    """--keep-html writes <slug>.print.html; WeasyPrint alone (bench/floor.py) turns it into the same pages."""
    from bench.floor import main as floor

    kept = fixture_pdf.with_suffix(".print.html")
    assert kept.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    alone = tmp_path / "alone.pdf"
    allowed = [str(FIXTURES / PRINT_FIXTURE), *(str(d) for d in _fetcher_folders())]
    assert floor([str(kept), str(FIXTURES / PRINT_FIXTURE), str(alone), "id", *allowed]) == 0
    assert page_texts(PdfReader(str(alone))) == page_texts(PdfReader(str(fixture_pdf)))


def _fetcher_folders() -> list[Path]:
    """The folders besides the document's that the PDF writer lets WeasyPrint read."""
    from generator.templates import PROJECT_TEMPLATES, font_dirs

    return [PROJECT_TEMPLATES, *font_dirs()]


def test_print_html_anchors_only_the_uses_the_glossary_points_at(fixture_pdf: Path) -> None:
    """Every glossary page reference has its anchor; no other use of a term carries an id in the print HTML."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(fixture_pdf.with_suffix(".print.html").read_bytes())
    targets = {ref.get("href").lstrip("#") for ref in root.find_class("page-ref")}
    term_ids = {e.get("id") for e in root.xpath("//span[@id] | //a[@id]") if "-g-" in (e.get("id") or "")}
    assert targets and targets == term_ids
    from generator.build import check

    (document,) = check(FIXTURES, [PRINT_FIXTURE])
    assert sum(len(entry.uses) for entry in document.glossary) > len(targets)  # the other uses lost their ids
