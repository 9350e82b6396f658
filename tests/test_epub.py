"""The EPUB: validity, structure, metadata, accessibility, glossary links, footnotes, cover, bytes.

The golden files of the EPUB's text (OPF, NCX, nav, chapters, glossary) are compared in
tests/test_golden.py, on the fixture document tests/fixtures/golden/.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from generator.cover import ACCENT, HEIGHT, INK, PAPER, TITLE, WIDTH, draw_cover, fitting_title_style, wrap
from generator.model import Metadata
from generator.source import load_document
from tests.conftest import FIXTURES, ROOT, SEED, SOURCE, run_generator
from tests.helpers import NS, epub_xml, epubcheck_problems

# Fixture documents that are deliberately invalid sources, each with the reason; their build must
# exit 1. Every other fixture document must build: one that stops building fails the tests.
INVALID_SOURCES = {
    "glossary-errors": "every glossary check fails at once (tests/test_glossary.py)",
}
# Fixture documents whose EPUB is checked by EPUBCheck in another module, on the same bytes.
CHECKED_ELSEWHERE = {
    "golden": "tests/test_golden.py checks the build its golden files come from",
    "links": "tests/test_links.py checks it beside the links it follows",
    "figures": "tests/test_xref.py checks it beside its cross-references",
    "i18n-de": "tests/test_scripts.py checks each script's fixture",
    "i18n-ja": "tests/test_scripts.py checks each script's fixture",
    "i18n-ar": "tests/test_scripts.py checks each script's fixture",
}
ALL_FIXTURE_CASES = sorted(p.parent.name for p in FIXTURES.glob("*/document.yaml"))
FIXTURE_CASES = [c for c in ALL_FIXTURE_CASES if c not in INVALID_SOURCES and c not in CHECKED_ELSEWHERE]
ACE = ROOT / "tools" / "ace" / "node_modules" / ".bin" / "ace-cli"
CHROMIUM = Path("/usr/bin/chromium")
# epub:type values whose ARIA role must be stated on the same element.
ROLE_OF_TYPE = {
    "chapter": "doc-chapter",
    "cover": "doc-cover",
    "footnote": "doc-footnote",
    "glossary": "doc-glossary",
    "glossref": "doc-glossref",
    "noteref": "doc-noteref",
    "toc": "doc-toc",
    "colophon": "doc-colophon",
    "biblioref": "doc-biblioref",
    "bibliography": "doc-bibliography",
    "glossdef": "definition",
}
# epub:type values whose role is implicit in the element they may sit on.
IMPLICIT_ROLE_ELEMENTS = {"glossterm": "dt"}
# Types added after the first only as pop-up hooks for Apple Books and Kobo (a glossref is also a
# noteref, a definition also a footnote); the element's role is its first type's.
POPUP_HOOKS = {("glossref", "noteref"), ("glossdef", "footnote")}
# Structural types with no ARIA counterpart (the landmarks nav's links are exempt too).
NO_ROLE_TYPES = {"bodymatter", "frontmatter", "backmatter", "landmarks", "titlepage"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="session")
def fixture_epub(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Build a valid fixture document's EPUB once; a build that fails fails the test."""
    built: dict[str, Path] = {}

    def build(case: str) -> Path:
        assert case not in INVALID_SOURCES, f"{case} is a deliberately invalid source: {INVALID_SOURCES[case]}"
        if case not in built:
            out = tmp_path_factory.mktemp(f"epub-{case}")
            result = run_generator("epub", case, "--source", str(FIXTURES), "--out", str(out))
            assert result.returncode == 0, f"{case} no longer builds (exit {result.returncode}):\n{result.stderr}"
            built[case] = out / f"{case}.epub"
        return built[case]

    return build


def members(path: Path) -> dict[str, bytes]:
    """Every file of an EPUB by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def opf(path: Path) -> etree._Element:
    """The package document."""
    return epub_xml(path, "EPUB/content.opf")


def meta_values(package: etree._Element, prop: str) -> list[str]:
    """The values of every ``<meta property=prop>``."""
    return [m.text for m in package.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


def content_documents(path: Path) -> dict[str, etree._Element]:
    """Every XHTML file of an EPUB, parsed."""
    return {name: etree.fromstring(data) for name, data in members(path).items() if name.endswith(".xhtml")}


def test_listed_fixtures_exist() -> None:
    """Every fixture named as invalid or checked elsewhere is a fixture document (no stale name hides a case)."""
    assert set(INVALID_SOURCES) | set(CHECKED_ELSEWHERE) <= set(ALL_FIXTURE_CASES)


@pytest.mark.parametrize("case", sorted(INVALID_SOURCES))
def test_invalid_fixture_exits_1(case: str, tmp_path: Path) -> None:
    """Each deliberately invalid fixture stops the EPUB build with exit code 1, a located error and no output."""
    result = run_generator("epub", case, "--source", str(FIXTURES), "--out", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert f"tests/fixtures/{case}/" in result.stderr and "nothing was written" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_fixture_epub_passes_epubcheck(case: str, fixture_epub: Callable[[str], Path]) -> None:
    """EPUBCheck reports no fatal, error or warning on each buildable fixture document."""
    assert epubcheck_problems(fixture_epub(case)) == []


def test_seed_epub_passes_epubcheck(seed_epub: Path) -> None:
    """EPUBCheck reports no fatal, error or warning on the seed briefing."""
    assert epubcheck_problems(seed_epub) == []


def test_spine_is_cover_title_contents_chapters_glossary(seed_epub: Path) -> None:
    """The reading order: cover, title page, contents, each chapter in order, glossary last."""
    spine = opf(seed_epub).xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
    chapters = [c.id for c in load_document(SOURCE / SEED).chapters]
    assert spine == ["cover", "title", "nav", *chapters, "glossary"]


def test_package_metadata(seed_epub: Path) -> None:
    """Title with subtitle refinement, unique creator ids, publisher, language, date, description, UUID, modified."""
    package = opf(seed_epub)
    meta = load_document(SOURCE / SEED).meta
    titles = {t.get("id"): t.text for t in package.xpath("//dc:title", namespaces=NS)}
    assert titles == {"main-title": meta.title, "subtitle": meta.subtitle}
    assert package.xpath("//opf:meta[@refines='#subtitle'][@property='title-type']/text()", namespaces=NS) == ["subtitle"]
    assert package.xpath("//opf:meta[@refines='#main-title'][@property='title-type']/text()", namespaces=NS) == ["main"]
    creators = package.xpath("//dc:creator", namespaces=NS)
    assert [c.text for c in creators] == list(meta.authors)
    assert len({c.get("id") for c in creators}) == len(creators)
    assert package.xpath("//dc:publisher/text()", namespaces=NS) == [meta.publisher]
    assert package.xpath("//dc:language/text()", namespaces=NS) == ["en"]
    assert package.get(XML_LANG) == "en"
    assert package.xpath("//dc:date/text()", namespaces=NS) == ["2026-11-25"]
    assert package.xpath("//dc:description/text()", namespaces=NS) == [" ".join(meta.summary_text)]
    identifier = package.xpath("//dc:identifier/text()", namespaces=NS)[0]
    assert identifier == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'briefing:' + SEED)}"
    assert uuid.UUID(identifier.removeprefix("urn:uuid:")).version == 5
    assert meta_values(package, "dcterms:modified") == ["2026-11-25T00:00:00Z"]


def refinement(package: etree._Element, target: str, prop: str) -> list[str]:
    """The values of the ``<meta>`` refining ``#target`` with ``prop``."""
    return package.xpath(f"//opf:meta[@refines='#{target}'][@property='{prop}']/text()", namespaces=NS)


def test_metadata_library_managers_read(seed_epub: Path, fixture_epub: Callable[[str], Path]) -> None:
    """Titles carry their order and sort key, the identifier its scheme, each author a sort key; no series unless declared."""
    package = opf(seed_epub)
    meta = load_document(SOURCE / SEED).meta
    assert refinement(package, "main-title", "display-seq") == ["1"]
    assert refinement(package, "subtitle", "display-seq") == ["2"]
    assert refinement(package, "main-title", "file-as") == [meta.title]
    assert refinement(package, "id", "identifier-type") == ["uuid"]
    assert refinement(package, "creator1", "file-as") == ["Policy Research Desk"]  # an organisation, as written
    assert meta_values(package, "belongs-to-collection") == []
    rich = opf(fixture_epub("epub-rich"))
    assert refinement(rich, "creator2", "file-as") == ["Analyst, A. N."]
    assert rich.xpath("//dc:language/text()", namespaces=NS) == ["en-GB"]
    assert meta_values(rich, "belongs-to-collection") == ["Port Studies"]
    assert refinement(rich, "series", "collection-type") == ["series"]


@pytest.mark.parametrize(("name", "sort"), [("Jane Smith", "Smith, Jane"), ("Smith, Jane", "Smith, Jane"),
                                            ("Policy Research Desk", "Policy Research Desk"), ("Plato", "Plato")])
def test_author_sort(name: str, sort: str) -> None:
    """A personal name sorts by surname; an organisation, a single name or one already inverted stays as written."""
    from generator.writers.epub import author_sort
    assert author_sort(name) == sort


def test_stylesheet_leaves_fonts_and_link_colours_to_the_reader(seed_epub: Path) -> None:
    """No element but code names a font family, links inherit the text's colour, and no colour is set."""
    css = re.sub(r"/\*.*?\*/", "", members(seed_epub)["EPUB/styles/epub.css"].decode(), flags=re.S)
    families = re.findall(r"([^{}]+)\{[^}]*font-family", css)
    assert [s.strip() for s in families] == ["code, pre"]
    assert re.search(r"(^|\n)a \{ color: inherit; text-decoration: underline", css)
    assert not re.search(r"(?<![-\w])(background(-color)?|color)\s*:(?!\s*inherit)", css)


def test_accessibility_metadata_without_images(seed_epub: Path) -> None:
    """The seed (no pictures) declares EPUB Accessibility 1.1 conformance, text-only access and no hazards."""
    package = opf(seed_epub)
    assert meta_values(package, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert meta_values(package, "schema:accessMode") == ["textual"]
    assert meta_values(package, "schema:accessModeSufficient") == ["textual"]
    assert meta_values(package, "schema:accessibilityFeature") == ["structuralNavigation", "tableOfContents", "readingOrder"]
    assert meta_values(package, "schema:accessibilityHazard") == ["none"]
    assert "table of contents" in meta_values(package, "schema:accessibilitySummary")[0]


def test_accessibility_metadata_with_images(fixture_epub: Callable[[str], Path]) -> None:
    """A document with pictures adds visual access and the alternativeText feature."""
    package = opf(fixture_epub("epub-rich"))
    assert meta_values(package, "schema:accessMode") == ["textual", "visual"]
    assert meta_values(package, "schema:accessModeSufficient") == ["textual", "textual,visual"]
    assert "alternativeText" in meta_values(package, "schema:accessibilityFeature")


def test_nav_landmarks_and_toc(seed_epub: Path) -> None:
    """The nav holds a toc with chapter sections, landmarks cover, toc, bodymatter, glossary, and no page list."""
    nav = epub_xml(seed_epub, "EPUB/nav.xhtml")
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)
    assert [(a.get(EPUB_TYPE), a.get("href")) for a in landmarks] == [
        ("cover", "cover.xhtml"), ("toc", "nav.xhtml#toc"), ("bodymatter", "ch1.xhtml"), ("glossary", "glossary.xhtml"),
    ]
    top = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li/x:a/@href", namespaces=NS)
    document = load_document(SOURCE / SEED)
    assert top == ["title.xhtml", *[c.file_name for c in document.chapters], "glossary.xhtml"]
    sections = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li/x:ol/x:li/x:a/@href", namespaces=NS)
    assert sections == [f"{c.file_name}#{h.id}" for c in document.chapters for h in c.headings if h.level == 2]
    assert nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS) == []  # ebooklib's would list every id


def test_ncx_mirrors_the_nav(seed_epub: Path) -> None:
    """The NCX for older readers lists the same targets, in the same order, as the nav's toc."""
    ncx = epub_xml(seed_epub, "EPUB/toc.ncx")
    nav = epub_xml(seed_epub, "EPUB/nav.xhtml")
    assert ncx.xpath("//ncx:navPoint/ncx:content/@src", namespaces=NS) == nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS)


def test_cover_image_is_declared_and_first(seed_epub: Path) -> None:
    """A 1600×2560 PNG is the package's cover-image, shown with alt text on the first spine page."""
    package = opf(seed_epub)
    href = package.xpath("//opf:item[@properties='cover-image']/@href", namespaces=NS)
    assert href == ["images/cover.png"]
    image = Image.open(io.BytesIO(members(seed_epub)["EPUB/images/cover.png"]))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    page = epub_xml(seed_epub, "EPUB/cover.xhtml")
    img = page.xpath("//x:img", namespaces=NS)[0]
    assert (img.get("src"), img.get(EPUB_TYPE), img.get("role")) == ("images/cover.png", "cover", "doc-cover")
    assert "Amazon and Anthropic" in img.get("alt")


def test_cover_keeps_the_design_colours_and_draws_the_text() -> None:
    """The palette cover has the exact paper, accent and ink colours, and its title is drawn in ink."""
    meta = Metadata(title="Title", date=dt.date(2026, 1, 1), chapters=("a.md",), publisher="Press")
    image = Image.open(io.BytesIO(draw_cover(meta))).convert("RGB")
    assert image.getpixel((10, 10)) == PAPER
    assert image.getpixel((10, HEIGHT - 10)) == ACCENT
    title_band = image.crop((0, 480, WIDTH, 480 + 200))
    colours = {colour for _count, colour in title_band.getcolors(4096)}
    assert INK in colours and PAPER in colours
    assert len(colours) > 8  # antialiased edges, not a two-colour threshold


def test_document_may_supply_its_cover(fixture_epub: Callable[[str], Path]) -> None:
    """A document's images/cover.png is packaged unchanged as the cover."""
    packaged = members(fixture_epub("epub-minimal"))["EPUB/images/cover.png"]
    assert packaged == (FIXTURES / "epub-minimal" / "images" / "cover.png").read_bytes()


def test_cover_drawing_is_deterministic_and_fits_long_titles() -> None:
    """Drawing the same cover twice gives the same bytes; a long title shrinks to five lines or fewer."""
    meta = Metadata(title="A title", date=dt.date(2026, 1, 1), chapters=("a.md",), kind="Briefing")
    assert draw_cover(meta) == draw_cover(meta)
    long_title = "The quite extraordinarily long title of a briefing that keeps on going well past any sensible length"
    assert len(wrap(long_title, fitting_title_style(long_title, TITLE))) <= 5


@pytest.mark.parametrize("case", ["seed", "epub-rich", "epub-minimal"])
def test_every_content_document_declares_its_language(case: str, seed_epub: Path, fixture_epub: Callable[[str], Path]) -> None:
    """Each XHTML file carries lang and xml:lang equal to the document's language."""
    path = seed_epub if case == "seed" else fixture_epub(case)
    language = opf(path).xpath("//dc:language/text()", namespaces=NS)[0]
    for name, root in content_documents(path).items():
        assert (root.get("lang"), root.get(XML_LANG)) == (language, language), name


@pytest.mark.parametrize("case", ["seed", "epub-rich"])
def test_every_epub_type_has_its_aria_role(case: str, seed_epub: Path, fixture_epub: Callable[[str], Path]) -> None:
    """Each epub:type sits with its matching ARIA role (or on the element whose implicit role matches)."""
    path = seed_epub if case == "seed" else fixture_epub(case)
    checked = 0
    for name, root in content_documents(path).items():
        for element in root.iter():
            kinds = (element.get(EPUB_TYPE) or "").split()
            for kind in kinds:
                if kind in NO_ROLE_TYPES or (kinds[0], kind) in POPUP_HOOKS or element.xpath("ancestor::x:nav[@epub:type='landmarks']", namespaces=NS):
                    continue
                if kind in ROLE_OF_TYPE:
                    assert element.get("role") == ROLE_OF_TYPE[kind], f"{name}: {etree.tostring(element)[:120]!r}"
                elif kind in IMPLICIT_ROLE_ELEMENTS:
                    assert etree.QName(element).localname == IMPLICIT_ROLE_ELEMENTS[kind], name
                else:
                    pytest.fail(f"{name}: epub:type '{kind}' has no known ARIA role")
                checked += 1
    assert checked > 10


def test_glossary_semantics_and_two_way_links(seed_epub: Path) -> None:
    """Glossary terms and definitions are marked up; every glossref reaches its term and every use is linked back."""
    docs = content_documents(seed_epub)
    glossary = docs["EPUB/glossary.xhtml"]
    section = glossary.xpath("//x:section[@epub:type='glossary']", namespaces=NS)[0]
    assert section.get("role") == "doc-glossary"
    # Links target the definition's paragraph: a pop-up shows the targeted element (Foliate: a
    # glossref's; Apple Books, Kobo: a noteref's, when it is a footnote), without the "Used in" line.
    terms = {p.get("id"): p for p in section.xpath(".//x:dd/x:p[@epub:type='glossdef footnote']", namespaces=NS)}
    assert len(terms) == len(section.xpath(".//x:dt[@epub:type='glossterm']", namespaces=NS)) > 0
    assert all(p.get("role") == "definition" for p in terms.values())
    assert all(p.xpath("../preceding-sibling::*[1]/@epub:type", namespaces=NS) == ["glossterm"] for p in terms.values())
    ids_in = {name.removeprefix("EPUB/"): set(root.xpath("//@id")) for name, root in docs.items()}
    refs = [(a.get("href"), a.get("id")) for name, root in docs.items() for a in root.xpath("//x:a[@class='glossref']", namespaces=NS)]
    assert all(a.get(EPUB_TYPE) == "glossref noteref" for root in docs.values() for a in root.xpath("//x:a[@class='glossref']", namespaces=NS))
    assert refs
    for href, _anchor in refs:
        file_name, target = href.split("#")
        assert file_name in {"glossary.xhtml", ""} and target in terms  # "": a definition linking another
    uses = {anchor for root in docs.values() for anchor in root.xpath("//*[@class='glossref' or @class='term-use']/@id")}
    backlinks = set()
    for href in section.xpath(".//x:p[@class='used-in']//x:a/@href", namespaces=NS):
        file_name, target = href.split("#")
        assert target in ids_in[file_name], href
        backlinks.add(target)
    assert backlinks == uses


def test_glossary_back_links_name_the_chapters(seed_epub: Path) -> None:
    """Each entry says where it is used, as 'Used in: Chapter N, …' in chapter order."""
    glossary = epub_xml(seed_epub, "EPUB/glossary.xhtml")
    aws = glossary.xpath("//x:p[@id='g-aws']/following-sibling::x:p[@class='used-in']", namespaces=NS)[0]
    text = " ".join(aws.xpath("string()").split())
    assert text.startswith("Used in: Chapter 2, Chapter 3")
    assert [link.text for link in aws.xpath("x:a", namespaces=NS)] == [f"Chapter {n}" for n in (2, 3, 5)]


def test_footnotes_are_popup_notes_with_back_links(fixture_epub: Callable[[str], Path]) -> None:
    """Each noteref points at an aside footnote in its file, which links back to the marker."""
    docs = content_documents(fixture_epub("epub-rich"))
    notes = 0
    for name, root in docs.items():
        for ref in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            assert ref.get("role") == "doc-noteref"
            aside = root.xpath(f"//x:aside[@id='{ref.get('href').lstrip('#')}']", namespaces=NS)[0]
            assert (aside.get(EPUB_TYPE), aside.get("role")) == ("footnote", "doc-footnote")
            back = aside.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
            assert back == [f"#{ref.get('id')}"], name
            notes += 1
    assert notes == 3


def test_pictures_are_packaged_with_alt_text(fixture_epub: Callable[[str], Path]) -> None:
    """Chapter pictures are in the manifest; described ones carry alt text, decorative ones alt='' and role presentation."""
    path = fixture_epub("epub-rich")
    hrefs = opf(path).xpath("//opf:item[@media-type='image/png']/@href", namespaces=NS)
    assert sorted(hrefs) == ["images/chart.png", "images/cover.png", "images/rule.png"]
    chapter = epub_xml(path, "EPUB/ch1.xhtml")
    images = {img.get("src"): img for img in chapter.xpath("//x:img", namespaces=NS)}
    assert images["images/chart.png"].get("alt").startswith("Bar chart of monthly container traffic")
    assert (images["images/rule.png"].get("alt"), images["images/rule.png"].get("role")) == ("", "presentation")


def write_document(root: Path, chapter: str) -> Path:
    """A one-chapter document folder under root/source, returned as the source folder."""
    folder = root / "source" / "doc"
    (folder / "images").mkdir(parents=True)
    (folder / "document.yaml").write_text("title: T\ndate: 2026-01-01\nchapters: [01-a.md]\n", encoding="utf-8")
    (folder / "01-a.md").write_text(chapter, encoding="utf-8")
    Image.new("RGB", (4, 4)).save(folder / "images" / "pic.png")
    return root / "source"


def test_image_without_alt_text_fails_with_file_and_line(tmp_path: Path) -> None:
    """An undescribed, undecorated image stops the build with path:line and writes nothing."""
    source = write_document(tmp_path, "# A\n\nText.\n\n![](images/pic.png)\n")
    result = run_generator("epub", "doc", "--source", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert re.search(r"01-a\.md:5:1: image 'images/pic\.png' has no alt text", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "doc.epub").exists()


def test_image_outside_the_document_folder_is_refused(tmp_path: Path) -> None:
    """A picture path that leaves the document's folder is an error naming the file and line, not a packaged file."""
    source = write_document(tmp_path, "# A\n\n![A secret](../../secret.png)\n")
    (tmp_path / "secret.png").write_bytes((source / "doc" / "images" / "pic.png").read_bytes())
    result = run_generator("epub", "doc", "--source", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    # The loader refuses it first, at the column where the path is written.
    assert "01-a.md:3:13: image '../../secret.png' lies outside the document folder" in result.stderr
    assert not (tmp_path / "out" / "doc.epub").exists()


def test_two_builds_in_separate_processes_are_byte_identical(tmp_path: Path) -> None:
    """Building the seed EPUB twice, each in its own process, gives the same bytes; the zip is canonical."""
    outputs = []
    for run in ("one", "two"):
        result = run_generator("epub", SEED, "--source", str(SOURCE), "--out", str(tmp_path / run))
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / run / f"{SEED}.epub").read_bytes())
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(io.BytesIO(outputs[0])) as archive:
        infos = archive.infolist()
    assert (infos[0].filename, infos[0].compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_source_date_epoch_sets_the_modified_date(tmp_path: Path) -> None:
    """SOURCE_DATE_EPOCH, when set, becomes dcterms:modified in UTC."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    result = run_generator("epub", "epub-minimal", "--source", str(FIXTURES), "--out", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    assert meta_values(opf(tmp_path / "epub-minimal.epub"), "dcterms:modified") == ["2023-11-14T22:13:20Z"]


def test_stylesheet_leaves_colours_and_sizes_to_the_reader() -> None:
    """The EPUB CSS sets no text or background colour and sizes fonts only in em or %."""
    css = (ROOT / "templates" / "epub" / "epub.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.findall(r"(?<![-\w])(?:color|background(?:-color)?)\s*:(?!\s*inherit\b)[^;}]+", rules)
    sizes = re.findall(r"font-size\s*:\s*([^;}]+)", rules)
    assert sizes and all(re.fullmatch(r"[\d.]+(?:em|%)", s.strip()) for s in sizes)


@pytest.mark.skipif(not (ACE.exists() and CHROMIUM.exists()), reason="DAISY Ace not installed: `make ace-setup`")
@pytest.mark.parametrize("case", ["seed", "epub-rich", "epub-minimal"])
def test_ace_reports_nothing(case: str, seed_epub: Path, fixture_epub: Callable[[str], Path], tmp_path: Path) -> None:
    """DAISY Ace (axe rules and accessibility metadata checks) finds no violation."""
    path = seed_epub if case == "seed" else fixture_epub(case)
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM)}
    command = [str(ACE), "--silent", "-o", str(tmp_path / "report"), str(path)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    violations = [t["earl:test"]["dct:title"] for a in report["assertions"] for t in a["assertions"]]
    assert (report["earl:result"]["earl:outcome"], violations) == ("pass", [])
    shutil.rmtree(tmp_path / "report")
