"""The PDF briefing: outline, metadata, page references, paper, marks, tagging, fonts and print details."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import Destination

from generator.build import check
from generator.filters import glossary_groups, unlinked_use_anchors, use_anchors
from generator.labels import document_labels
from generator.markdown import render_chapter
from generator.templates import make_environment
from generator.tree import Fragment
from generator.writers import BuildOptions, WriteContext
from generator.writers.pdf import MARGIN_BOXES, PdfWriter, add_link_notes, marked_uses, page_targets
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
    """Build one document's PDF with the real command and return its path (named for its paper and marks)."""
    result = run_generator("pdf", slug, "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return out / f"{slug}{'-letter' if 'letter' in args else ''}{'-marks' if '--marks' in args else ''}.pdf"


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


def toc_targets(sections: bool = True) -> dict[str, str]:
    """The text each contents entry leads to, by anchor: chapter titles, sections (unless not) and the glossary."""
    from generator.build import check

    document = check(SOURCE, [SEED])[0]
    targets = {"glossary-title": "Glossary"}
    for chapter in document.chapters:
        targets[f"{chapter.id}-title"] = chapter.title
        targets.update({h.id: h.text for h in chapter.headings if h.level == 2 and sections})
    return targets


def test_toc_page_numbers_point_at_the_headings(seed_pdf: Path) -> None:
    """Each number in the contents (a briefing's: chapters only) is the page its link leads to, and that page holds the heading."""
    reader = PdfReader(str(seed_pdf))
    texts = [squash(page.extract_text() or "") for page in reader.pages]
    targets = toc_targets(sections=False)
    refs = page_references(reader, seed_pdf, destination_page(reader, "toc-title"))
    assert {name for name, _p, _t in refs} == set(targets)
    for name, printed, target in refs:
        assert printed == target, name
        assert squash(targets[name]) in texts[printed - 1], (name, targets[name])


def destination_page(reader: PdfReader, name: str) -> int:
    """The page (from 1) that holds a named destination (an id of the HTML)."""
    return reader.get_destination_page_number(reader.named_destinations[name]) + 1


def printed_glossary_pages(reader: PdfReader) -> list[list[int]]:
    """The page numbers printed after each glossary entry that has them, in order, ranges expanded."""
    text = " ".join(reader.pages[p - 1].extract_text() or "" for p in glossary_pages(reader))
    lists = re.findall(r"PAGES?\W*?(\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*)", text)
    pages: list[list[int]] = []
    for printed in lists:
        numbers: list[int] = []
        for part in printed.split(","):
            first, _, last = part.replace("-", "–").partition("–")
            numbers.extend(range(int(first), int(last or first) + 1))
        pages.append(numbers)
    return pages


def collapsed(pages: list[int]) -> str:
    """Sorted pages written as the glossary writes them: 3–4, 6."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def final_use_pages(source: Path, slug: str, options: BuildOptions, out: Path,
                    monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, int], list[str]]:
    """The page of every use of a term in the layout the PDF keeps, and the text of each of its
    pages: laid out in-process from the same HTML but with a span and an id around every use
    (the writer drops the ids no glossary number links to and marks the other uses by their
    offsets, engine.UsePositions), so that WeasyPrint's own anchors give the pages; the caller
    checks that the pages hold the same text as the PDF's."""
    import generator.writers.pdf as pdf_writer

    document = check(source, [slug])[0]
    ctx = WriteContext(document, make_environment(document.root, document_labels(document)), options, out)
    writer = PdfWriter()
    writer.spans = True
    pages = writer.use_pages(ctx, writer.html(ctx, {}, finding_pages=True))
    monkeypatch.setattr(pdf_writer, "unlinked_use_anchors", lambda glossary, pages: frozenset())
    markup = writer.html(ctx, pages)
    with writer.rendering(ctx):
        rendered = writer.html_document(ctx, markup).render(**writer.options(ctx))
        texts = [page_text(page) for page in PdfReader(io.BytesIO(rendered.write_pdf(**writer.options(ctx)))).pages]
    uses = use_anchors(document.glossary)
    found = {anchor: n for n, page in enumerate(rendered.pages, start=1) for anchor in page.anchors if anchor in uses}
    return found, texts


def page_text(page: Any) -> str:
    """A PDF page's text without its white space."""
    return re.sub(r"\s+", "", page.extract_text() or "")


@pytest.mark.parametrize("which", ["seed", "letter", "report", "fixture", "first-letter"])
def test_glossary_lists_each_page_holding_a_use_once_with_ranges(
        which: str, seed_pdf: Path, letter_pdf: Path, report_pdf: Path, fixture_pdf: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each entry prints exactly the pages that hold its uses (in the kept layout, every anchor
    kept), each once, consecutive ones as a range, and each number links to the first use of the
    term on its page: the PDF keeps a destination for exactly those uses. With a stylesheet whose
    first letters are boxes of their own, where the uses cannot be found from their offsets, the
    document is laid out with a span around each use, and the numbers are as right."""
    source, slug = (FIXTURES, PRINT_FIXTURE) if which == "fixture" else (SOURCE, SEED)
    if which in ("report", "first-letter"):
        source = tmp_path / "source"
        shutil.copytree(SOURCE / SEED, source / SEED)
        with (source / SEED / "document.yaml").open("a", encoding="utf-8") as meta:
            meta.write("layout: report\n" if which == "report" else "")
    if which == "first-letter":
        (source / SEED / "templates" / "print").mkdir(parents=True)
        (source / SEED / "templates" / "print" / "theme.css").write_text("p::first-letter { font-weight: 600 }\n")
        first_letter_pdf = _build(tmp_path / "built", SEED, "--source", str(source), "--keep-html")
        kept = first_letter_pdf.with_suffix(".print.html").read_text(encoding="utf-8")
        assert 'class="term-use"' in kept and "data-uses" not in kept  # laid out with spans
    pdf = {"seed": seed_pdf, "letter": letter_pdf, "report": report_pdf, "fixture": fixture_pdf}.get(which) \
        or first_letter_pdf
    options = BuildOptions(paper="letter" if which == "letter" else "a4")
    use_page, texts = final_use_pages(source, slug, options, tmp_path / "out", monkeypatch)
    (document,) = check(source, [slug])
    reader = PdfReader(str(pdf))
    assert [page_text(page) for page in reader.pages] == texts  # the in-process layout's pages are the command's
    entries = [e for _letter, group in glossary_groups(document.glossary) for e in group if e.uses]
    expected = [sorted({use_page[use.anchor] for use in e.uses}) for e in entries]
    assert printed_glossary_pages(reader) == expected
    by_anchor = {use.anchor: (entry, i) for entry in entries for i, use in enumerate(entry.uses)}
    linked: dict[str, set[int]] = {}
    for page in glossary_pages(reader):
        for annotation in reader.pages[page - 1].get("/Annots", []):
            name = str(annotation.get_object().get("/Dest", ""))
            if name in by_anchor:
                entry, index = by_anchor[name]
                on = destination_page(reader, name)
                assert on == use_page[name]
                earlier = {use_page[u.anchor] for u in entry.uses[:index]}
                assert on not in earlier, f"{name} is not the first use of {entry.term} on page {on}"
                linked.setdefault(entry.id, set()).add(on)
    for entry, pages in zip(entries, expected):
        ends = {int(n) for run in collapsed(pages).split(", ") for n in run.split("–")}
        assert linked[entry.id] == ends, entry.term
    destinations = set(reader.named_destinations)
    assert {name for name in by_anchor if name in destinations} == {
        name for name in by_anchor if any(str(a.get_object().get("/Dest", "")) == name
                                          for p in glossary_pages(reader) for a in reader.pages[p - 1].get("/Annots", []))}


def test_page_runs_collapse_consecutive_pages_and_keep_the_first_use_on_each() -> None:
    """Uses on pages 2, 2, 3, 4 and 6 give the runs 2–4 and 6, each end the first use on its page."""
    from generator.filters import page_runs
    from generator.model import TermUse

    uses = tuple(TermUse("c", f"u{i}", True) for i in range(5))
    pages = {"u0": 2, "u1": 2, "u2": 3, "u3": 4, "u4": 6}
    assert [[u.anchor for u in run] for run in page_runs(uses, pages)] == [["u0", "u3"], ["u4"]]


# Page plans


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing laid out in the report plan (``layout: report`` added to its document.yaml)."""
    source = tmp_path_factory.mktemp("report-source")
    shutil.copytree(SOURCE / SEED, source / SEED)
    with (source / SEED / "document.yaml").open("a", encoding="utf-8") as meta:
        meta.write("layout: report\n")
    return _build(tmp_path_factory.mktemp("report"), SEED, "--source", str(source))


def test_seed_briefing_fits_on_four_pages_on_a4_and_letter(seed_pdf: Path, letter_pdf: Path) -> None:
    """The seed is short, so it is laid out as a briefing: at most 4 pages on either paper."""
    for pdf in (seed_pdf, letter_pdf):
        assert len(PdfReader(str(pdf)).pages) <= 4, pdf


def test_briefing_first_page_has_title_key_points_and_contents(seed_pdf: Path) -> None:
    """In the briefing plan the first page carries the title block, the key points, the contents and the first chapter."""
    from generator.build import check

    (document,) = check(SOURCE, [SEED])
    reader = PdfReader(str(seed_pdf))
    assert destination_page(reader, "toc-title") == 1
    assert destination_page(reader, f"{document.chapters[0].id}-title") == 1
    assert squash("Key points").casefold() in page_texts(reader)[0]


def test_report_plan_keeps_a_page_per_chapter(report_pdf: Path) -> None:
    """In the report plan the cover and the contents have pages of their own, and each chapter and the glossary start a page."""
    from generator.build import check

    (document,) = check(SOURCE, [SEED])
    reader = PdfReader(str(report_pdf))
    starts = [destination_page(reader, f"{c.id}-title") for c in document.chapters]
    starts.append(destination_page(reader, "glossary-title"))
    assert destination_page(reader, "toc-title") == 2
    assert starts[0] == 3 and starts == sorted(set(starts))
    titles = [squash(c.title) for c in document.chapters] + ["Glossary"]
    texts = [squash(page.extract_text() or "") for page in reader.pages]
    for page, title in zip(starts, titles):  # the title comes first after the running header
        assert 0 <= texts[page - 1].find(title) < 200, (page, title)


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
    call = squash("about unfair competition").casefold()  # the words before may end the page before
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
    reader = PdfReader(str(fixture_pdf))
    pages = glossary_pages(reader)
    title_top = float(reader.named_destinations["glossary-title"].top)  # a briefing's glossary starts mid-page
    words = [w[4] for page in pages for w in page_words(fixture_pdf, page)
             if page > pages[0] or w[3] <= title_top + 1]
    words = words[: words.index("HOW")] if "HOW" in words else words  # the colophon after the glossary ("…: A fixture")
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


def test_print_html_anchors_the_uses_its_page_references_point_at(fixture_pdf: Path) -> None:
    """The kept print HTML has an id on exactly the uses of a term its glossary page references
    point at (the first layout's HTML has one on every use: see
    test_the_kept_layout_drops_the_anchors_no_glossary_number_links_to)."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(fixture_pdf.with_suffix(".print.html").read_bytes())
    targets = {ref.get("href").lstrip("#") for ref in root.find_class("page-ref")}
    term_ids = {e.get("id") for e in root.xpath("//span[@id] | //a[@id]") if "-g-" in (e.get("id") or "")}
    (document,) = check(FIXTURES, [PRINT_FIXTURE])
    assert targets and term_ids == targets
    assert term_ids < {use.anchor for entry in document.glossary for use in entry.uses}


def test_page_plan_is_layout_when_given_else_chosen_by_length() -> None:
    """layout: in document.yaml decides the page plan; without it a short document is a briefing, a long one a report."""
    import dataclasses

    from generator import filters
    from generator.build import check

    (seed,) = check(SOURCE, [SEED])
    assert filters.page_plan(seed) == "briefing"
    report = dataclasses.replace(seed, meta=dataclasses.replace(seed.meta, layout="report"))
    assert filters.page_plan(report) == "report"
    long = dataclasses.replace(seed, chapters=seed.chapters * 20)  # about 10,000 words
    assert filters.page_plan(long) == "report"


def test_letter_and_marked_pdfs_do_not_overwrite_the_a4_one(tmp_path: Path) -> None:
    """A4, Letter and marked builds into one folder leave three files: <slug>.pdf, -letter.pdf, -marks.pdf."""
    for args in ((), ("--paper", "letter"), ("--marks",)):
        _build(tmp_path, SEED, "--source", str(SOURCE), *args)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{SEED}-letter.pdf", f"{SEED}-marks.pdf", f"{SEED}.pdf"]
    sizes = {p.name: [float(v) for v in PdfReader(str(p)).pages[0].mediabox] for p in tmp_path.iterdir()}
    assert sizes[f"{SEED}-letter.pdf"][2:] == [612, 792]
    assert sizes[f"{SEED}.pdf"][2:] == pytest.approx([595.28, 841.89], abs=0.01)


# The first layout (the pages of the glossary's uses and of cross-references)


def _context(source: Path, slug: str, out: Path) -> WriteContext:
    """The PDF writer's context for one document, read and linked, as a build makes it."""
    document = check(source, [slug])[0]
    return WriteContext(document, make_environment(document.root, document_labels(document)), BuildOptions(), out)


@pytest.mark.parametrize(("source", "slug"), [(SOURCE, SEED), (FIXTURES, PRINT_FIXTURE), (FIXTURES, "figures")])
def test_lean_first_layout_finds_the_pages_the_whole_document_gives(source: Path, slug: str, tmp_path: Path) -> None:
    """The first layout leaves out the margin boxes, the glossary after its first entry and what
    follows it; the page of every term use and cross-reference is the one the whole HTML gives.
    The seed's glossary shares a page with its last chapter; print-features has letter headings
    and a table over pages; figures has cross-references."""
    ctx = _context(source, slug, tmp_path)
    writer = PdfWriter()
    lean = writer.use_pages(ctx, writer.html(ctx, {}, finding_pages=True))
    whole = writer.use_pages(ctx, writer.html(ctx, {}))
    assert lean == whole
    assert len(lean) >= 9  # terms used (and references made) on pages past the first


def test_lean_first_layout_html_keeps_one_glossary_entry_and_empties_the_margins(tmp_path: Path) -> None:
    ctx = _context(FIXTURES, PRINT_FIXTURE, tmp_path)
    writer = PdfWriter()
    lean, whole = (etree.HTML(writer.html(ctx, {}, finding_pages=finding)) for finding in (True, False))
    assert len(whole.findall(".//section[@class='glossary']//dt")) == len(ctx.document.glossary) >= 13
    (entry,) = lean.findall(".//section[@class='glossary']//dt")
    assert entry.get("id") == glossary_groups(ctx.document.glossary)[0][1][0].id  # the first one printed
    assert lean.find(".//h1[@id='glossary-title']") is not None  # the contents' last line still has its target
    style = lean.findtext(".//style") or ""
    assert all(f"@{box} {{ content: none !important; }}" in style for box in MARGIN_BOXES)
    assert "content: none !important" not in (whole.findtext(".//style") or "")
    chapters = [s.get("id") for s in whole.iter("section") if s.get("class") == "chapter"]
    assert [s.get("id") for s in lean.iter("section") if s.get("class") == "chapter"] == chapters


@pytest.mark.parametrize(("slug", "layouts"), [("code-wide", 1), ("links", 1), ("figures", 2)])
def test_a_document_without_cross_references_is_laid_out_once(slug: str, layouts: int, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """code-wide uses no glossary term and makes no cross-reference: no first layout (it would
    find no page); links uses terms, whose pages are found in the one layout (test_pages_at_once.py);
    figures makes cross-references, so it has a first layout (no earlier build's pages to try:
    test_page_guess.py)."""
    monkeypatch.setenv("BRIEFING_CACHE", "0")
    ctx = _context(FIXTURES, slug, tmp_path)
    writer = PdfWriter()
    made: list[str] = []
    html_document = writer.html_document

    def counted(ctx: WriteContext, markup: str) -> object:
        made.append(markup)
        return html_document(ctx, markup)

    monkeypatch.setattr(writer, "html_document", counted)
    assert bool(page_targets(ctx.document)) == (slug != "code-wide")
    assert writer.pdf(ctx).startswith(b"%PDF-")
    assert len(made) == layouts


def test_a_use_right_inside_the_body_keeps_its_span_and_the_others_are_marked() -> None:
    """mark_uses: a use whose text lies right in the body's container (between raw HTML blocks, as CommonMark's
    example 13 groups give) keeps its span and id, since the container is not written out as an element; a use in a
    paragraph becomes its text, the paragraph marked with its anchor and offset in its own text (white space not counted)."""
    from generator.tree import CONTAINER, to_html
    from generator.writers.pdf import mark_uses

    root = etree.fromstring(f'<{CONTAINER}><div>raw</div> then <span class="term-use" id="c-g-bar-1">bar</span>'
                            f'<p>A  <em>b</em> c <span class="term-use" id="c-g-bar-2">bar</span>.</p></{CONTAINER}>')
    mark_uses(root)
    html = to_html(root)
    assert html.startswith("<div>raw</div> then <span")
    assert '<span class="term-use" id="c-g-bar-1">bar</span>' in html
    assert '<p data-uses="c-g-bar-2@2">A  <em>b</em> c bar.</p>' in html  # "A", " c ": the em's text is its own
    assert marked_uses(html) == {"c-g-bar-2"}


def test_the_kept_layout_drops_the_anchors_no_glossary_number_links_to(tmp_path: Path) -> None:
    """The second layout's HTML keeps an id on the links to the glossary the glossary's page
    numbers link to (the first use on each page), and no other link's; every other use has no
    element, only its mark (engine.UsePositions), in both layouts; every link in it has its
    target or a mark; and the term uses are as many as before (only the ids go)."""
    ctx = _context(SOURCE, SEED, tmp_path)
    writer = PdfWriter()
    pages = writer.use_pages(ctx, writer.html(ctx, {}, finding_pages=True))
    first_html, kept_html = (writer.html(ctx, given) for given in ({}, pages))
    first, kept = etree.HTML(first_html), etree.HTML(kept_html)
    uses = use_anchors(ctx.document.glossary)
    marked = marked_uses(first_html)
    ids_first = {e.get("id") for e in first.iter() if e.get("id") in uses}
    ids_kept = {e.get("id") for e in kept.iter() if e.get("id") in uses}
    assert marked and ids_first and not marked & ids_first and ids_first | marked == uses
    assert marked_uses(kept_html) == marked
    assert not first.xpath("//*[contains(@class, 'term-use')]")
    dropped = uses - ids_kept - marked
    assert dropped and dropped == unlinked_use_anchors(ctx.document.glossary, pages) - marked
    hrefs = {a.get("href")[1:] for a in kept.iter("a") if (a.get("href") or "").startswith("#")}
    assert ids_kept == (hrefs & uses) - marked  # kept exactly where a glossary number points
    assert hrefs <= {e.get("id") for e in kept.iter() if e.get("id")} | marked
    count = "count(//*[contains(concat(' ', @class, ' '), ' glossref ')])"
    assert first.xpath(count) == kept.xpath(count)
