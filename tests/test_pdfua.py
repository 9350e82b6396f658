"""The structure tree of the seed's and every fixture's PDF, read against the PDF/UA-1 rules of issue 16."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject, PdfObject

from tests.conftest import FIXTURES, run_generator

# Every fixture that builds (glossary-errors and bad/ are refused by design).
BUILT_FIXTURES = ("code-wide", "epub-minimal", "epub-rich", "glossary-unused", "golden", "i18n-fr", "links",
                  "print-features", "themed", "typography-fr", "web-doc")
MARKED = re.compile(rb"(/\w+)\n(<<[^>]*>>)\nBDC")
ANCHOR_ID = re.compile(r"^[\w-]+$")


@pytest.fixture(scope="module")
def fixture_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every fixture built as a PDF, in one run of the command."""
    out = tmp_path_factory.mktemp("pdfua")
    result = run_generator("pdf", *BUILT_FIXTURES, "--source", str(FIXTURES), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return {slug: out / f"{slug}.pdf" for slug in BUILT_FIXTURES}


@pytest.fixture(scope="module")
def onepager_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's one-pager."""
    out = tmp_path_factory.mktemp("pdfua-onepager")
    result = run_generator("onepager", "amazon-anthropic-partnership", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "amazon-anthropic-partnership-onepager.pdf"


@pytest.fixture(params=("seed", "onepager", *BUILT_FIXTURES))
def reader(request: pytest.FixtureRequest, seed_pdf: Path) -> PdfReader:
    """Each tagged PDF in turn: the seed, its one-pager, then every fixture."""
    if request.param == "seed":
        return PdfReader(seed_pdf)
    if request.param == "onepager":
        return PdfReader(request.getfixturevalue("onepager_pdf"))
    return PdfReader(request.getfixturevalue("fixture_pdfs")[request.param])


def kids(element: DictionaryObject) -> list[PdfObject]:
    """An element's /K as a list."""
    k = element.get("/K")
    return [] if k is None else list(k) if isinstance(k, ArrayObject) else [k]


def children(element: DictionaryObject) -> Iterator[DictionaryObject]:
    """The structure elements among an element's kids."""
    for kid in kids(element):
        obj = kid.get_object()
        if isinstance(obj, DictionaryObject) and "/S" in obj:
            yield obj


def walk(element: DictionaryObject, ancestors: tuple[DictionaryObject, ...] = ()) -> Iterator[tuple[DictionaryObject, tuple[DictionaryObject, ...]]]:
    """Every element under ``element`` with its ancestors, depth first."""
    for child in children(element):
        yield child, ancestors
        yield from walk(child, (*ancestors, child))


def elements(reader: PdfReader) -> list[tuple[DictionaryObject, tuple[DictionaryObject, ...]]]:
    """Every element of the structure tree with its ancestors (the root excluded)."""
    return list(walk(reader.trailer["/Root"]["/StructTreeRoot"].get_object()))


def parent_tree(reader: PdfReader) -> dict[int, PdfObject]:
    """The parent tree's /Nums as a dict (our PDFs write it flat)."""
    flat = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    return {int(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def link_annotations(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every link annotation of every page."""
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            if annot.get_object()["/Subtype"] == "/Link":
                yield annot.get_object()


def marked_contents(reader: PdfReader) -> Iterator[tuple[int, bytes, bytes]]:
    """(page index, tag, properties) of every BDC of every page."""
    for index, page in enumerate(reader.pages):
        for match in MARKED.finditer(page.get_contents().get_data()):
            yield index, match[1], match[2]


def test_every_element_is_listed_by_the_parent_it_names(reader: PdfReader) -> None:
    """Each element's /P is the element whose /K holds it (WeasyPrint's margin boxes were not)."""
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    for element, ancestors in elements(reader):
        parent = ancestors[-1] if ancestors else root
        assert element.raw_get("/P").idnum == parent.indirect_reference.idnum


def test_marked_content_maps_to_the_element_that_holds_it(reader: PdfReader) -> None:
    """Every MCID in a page's stream has a parent-tree entry that is in the tree and lists that MCID."""
    nums = parent_tree(reader)
    reached = {element.indirect_reference.idnum: element for element, _ in elements(reader)}
    for page, tag, properties in marked_contents(reader):
        found = re.search(rb"/MCID (\d+)", properties)
        if tag == b"/Artifact":
            assert found is None
            continue
        mcid = int(found[1])
        ref = nums[page][mcid]
        assert isinstance(ref, IndirectObject) and ref.idnum in reached, (page, mcid)
        owner = reached[ref.idnum]
        assert any((isinstance(k, NumberObject) and int(k) == mcid) or
                   (isinstance(k.get_object(), DictionaryObject) and k.get_object().get("/MCID") == mcid)
                   for k in kids(owner)), (page, mcid)


def test_page_furniture_is_a_pagination_artifact(reader: PdfReader) -> None:
    """Running heads, footers and "Page n of N" are text inside /Artifact <</Type /Pagination>> on every page
    after the first (a report's cover carries none)."""
    if len(reader.pages) == 1:
        pytest.skip("a one-pager has no running heads or page numbers")
    for index, page in enumerate(reader.pages[1:], start=1):
        data = page.get_contents().get_data()
        artifacts = re.findall(rb"/Artifact\n<</Type /Pagination>>\nBDC\n(.*?)EMC", data, re.S)
        assert any(b"BT" in content for content in artifacts), f"page {index + 1} has no pagination text"


def test_no_heading_inside_a_heading(reader: PdfReader) -> None:
    """One heading element per heading: no H1–H6 has a heading among its ancestors."""
    headings = {f"/H{n}" for n in range(1, 7)}
    for element, ancestors in elements(reader):
        if element["/S"] in headings:
            assert not any(a["/S"] in headings for a in ancestors)


def test_seed_has_one_h1_per_heading(seed_pdf: Path) -> None:
    """The seed's 7 top headings (title, 5 chapters, glossary) are 7 H1s, each with its number inside."""
    h1s = [e for e, _ in elements(PdfReader(seed_pdf)) if e["/S"] == "/H1"]
    assert len(h1s) == 7


def test_every_link_annotation_has_a_link_parent(reader: PdfReader) -> None:
    """Each link annotation's /StructParent is a Link element that holds the annotation (rule 7.18.5-1)."""
    nums = parent_tree(reader)
    for annot in link_annotations(reader):
        parent = nums[int(annot["/StructParent"])].get_object()
        assert parent["/S"] == "/Link"
        objects = [k.get_object() for k in kids(parent) if isinstance(k.get_object(), DictionaryObject)]
        assert annot.indirect_reference.idnum in {o.raw_get("/Obj").idnum for o in objects if "/Obj" in o}


def test_no_link_inside_a_link(reader: PdfReader) -> None:
    """A contents entry is one Link, not a Link holding the page number's and the leader's Links."""
    for element, ancestors in elements(reader):
        if element["/S"] == "/Link":
            assert not any(a["/S"] == "/Link" for a in ancestors)
            assert not any(children(element))


def test_leader_dots_are_artifacts(seed_pdf: Path) -> None:
    """The contents' leader dots are layout artifacts, so an entry reads as number, title, page: one artifact
    a contents line (its dots are one run of text, engine.leaders_in_one_run)."""
    reader = PdfReader(seed_pdf)
    links = [e for e, _ in elements(reader) if e["/S"] == "/Link"]
    assert max(sum(isinstance(k, NumberObject) for k in kids(link)) for link in links) <= 6
    dots = sum(tag == b"/Artifact" and b"/Layout" in props for _, tag, props in marked_contents(reader))
    entries = re.findall(r"\.{20,} ?\d+$", reader.pages[0].extract_text() or "", re.MULTILINE)
    assert len(entries) >= 5 and dots == len(entries)


def test_one_link_annotation_per_line_of_a_link(reader: PdfReader) -> None:
    """No two annotations of one Link on one page share a line (WeasyPrint wrote four per contents entry)."""
    nums = parent_tree(reader)
    lines: dict[tuple[int, int], list[list[float]]] = {}
    for index, page in enumerate(reader.pages):
        for annot in (a.get_object() for a in page.get("/Annots") or []):
            if annot["/Subtype"] == "/Link":
                ys = sorted(float(v) for v in annot["/Rect"][1::2])
                key = (nums[int(annot["/StructParent"])].idnum, index)
                assert not any(ys[0] <= other[1] and other[0] <= ys[1] for other in lines.get(key, [])), key
                lines.setdefault(key, []).append(ys)


def test_seed_contents_entry_is_one_annotation_over_the_line(seed_pdf: Path) -> None:
    """Each of the seed's 6 contents entries is one annotation, from its number to its page number."""
    reader = PdfReader(seed_pdf)
    entries = [a.get_object() for a in reader.pages[0].get("/Annots") or []
               if str(a.get_object().get("/Dest", "")).endswith("-title")]
    assert len(entries) == 6
    assert all(float(a["/Rect"][2]) - float(a["/Rect"][0]) > 300 for a in entries)


def test_link_contents_is_a_description(reader: PdfReader) -> None:
    """A link annotation's /Contents says where it goes in words, not as the anchor's id."""
    annotations = list(link_annotations(reader))
    if not annotations:
        pytest.skip("no links")
    for annot in annotations:
        assert not ANCHOR_ID.match(str(annot.get("/Contents", "")))


def test_seed_links_say_where_they_go(seed_pdf: Path) -> None:
    """The seed's links are described from the English catalogue: term, chapter or section, and page."""
    contents = {str(annot["/Contents"]) for annot in link_annotations(PdfReader(seed_pdf))}
    assert "Glossary: Minority investment, page 4" in contents
    assert "Chapter 4: Regulatory Scrutiny, page 2" in contents
    assert "Minority investment in the text, page 3" in contents


def test_seed_footnotes_are_notes(seed_pdf: Path) -> None:
    """The seed's footnote is a Note whose /ID is its HTML id (PDF/UA-1 7.9)."""
    notes = [e for e, _ in elements(PdfReader(seed_pdf)) if e["/S"] == "/Note"]
    assert [str(note["/ID"]) for note in notes] == ["ch4-fn1"]


def test_each_note_follows_its_call_and_starts_with_its_label(reader: PdfReader) -> None:
    """Every footnote call is a Reference followed by its Note in the same element; each Note has a
    unique /ID and starts with its marker as a Lbl (no footnote is left a Span at the page foot)."""
    found = elements(reader)
    notes = [e for e, _ in found if e["/S"] == "/Note"]
    calls = [e for e, _ in found if e["/S"] == "/Reference"]
    assert len(notes) == len(calls)
    assert len({str(note["/ID"]) for note in notes}) == len(notes)
    for note in notes:
        siblings = [k.get_object() for k in kids(note["/P"].get_object())]
        before = siblings[siblings.index(note) - 1]
        assert before["/S"] == "/Reference"
        assert next(children(note))["/S"] == "/Lbl"


def test_long_table_is_one_table_with_scoped_headers(fixture_pdfs: dict[str, Path]) -> None:
    """print-features' long table, which runs over pages, is one Table whose header row is tagged once."""
    found = elements(PdfReader(fixture_pdfs["print-features"]))
    tables = [e for e, _ in found if e["/S"] == "/Table"]
    assert len(tables) == 1
    rows = [e for e, ancestors in found if e["/S"] == "/TR" and tables[0] in ancestors]
    assert len(rows) == 71  # the header row and the 70 rows of 02-tables.md
    assert len({e.raw_get("/Pg").idnum for e, ancestors in found if e["/S"] == "/TD"}) >= 2
    assert [e["/S"] for e, _ in found].count("/THead") == 1
    assert [e["/S"] for e, _ in found].count("/TH") == 3


def test_every_table_has_header_cells_with_a_scope(reader: PdfReader) -> None:
    """Each table has TH cells, each scoped to a column or a row, and each cell's /Headers names a TH in the tree."""
    found = elements(reader)
    headers = {str(e["/ID"]): e for e, _ in found if e["/S"] == "/TH"}
    for table in (e for e, _ in found if e["/S"] == "/Table"):
        assert any(e["/S"] == "/TH" for e, _ in walk(table))
    for element, _ in found:
        if element["/S"] == "/TH":
            assert element["/A"]["/O"] == "/Table" and element["/A"]["/Scope"] in ("/Column", "/Row")
        if element["/S"] == "/TD":
            assert all(str(name) in headers for name in element["/A"].get("/Headers", []))


def test_small_objects_are_in_object_streams(seed_pdf: Path) -> None:
    """After pypdf's repair the seed keeps pydyf's packing: structure elements in compressed object
    streams (nine in ten objects), a cross-reference stream, and about WeasyPrint's size (99 KB,
    not pypdf's 226 KB)."""
    reader = PdfReader(seed_pdf)
    loose = sum(len(numbers) for numbers in reader.xref.values())
    assert len(reader.xref_objStm) > 200 and len(reader.xref_objStm) > 9 * loose
    assert b"/Type /XRef" in seed_pdf.read_bytes()[-2000:] and b"\nxref\n" not in seed_pdf.read_bytes()
    assert seed_pdf.stat().st_size < 160_000
