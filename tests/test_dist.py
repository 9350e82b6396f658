"""``dist``: the folder to send (catalogue, feed, checksums, zips), the QR code, the check before sending."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree, html

from generator.qr import qr_matrix
from tests.browser import CHROMIUM, open_page
from tests.conftest import FIXTURES, run_generator
from tests.helpers import epub_xml, opf_path

SOURCE = FIXTURES / "dist"
URL = "https://briefings.example.org/harbour-notes/"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
SLUGS = ("harbour-notes", "rail-outlook")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "test-screenshots"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below a folder by its relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dist_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """The fixture documents assembled from nothing, then again with nothing changed: the folder and both trees."""
    out = tmp_path_factory.mktemp("dist")
    first = run_generator("dist", "--source", str(SOURCE), "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = tree(out / "dist")
    (out / "dist" / "stale.txt").write_text("left over from an earlier run")
    second = run_generator("dist", "--source", str(SOURCE), "--out", str(out))
    assert second.returncode == 0, second.stderr
    return out / "dist", before, tree(out / "dist")


@pytest.fixture(scope="module")
def folder(dist_runs: tuple[Path, dict[str, bytes], dict[str, bytes]]) -> Path:
    """build/dist/ of the fixture documents."""
    return dist_runs[0]


def test_folder_holds_a_folder_and_a_zip_per_document_the_catalogue_feed_and_checksums(folder: Path) -> None:
    """Each document's seven files under stable names, its zip, index.html, feed.xml and SHA256SUMS; nothing else."""
    expected = {"index.html", "feed.xml", "SHA256SUMS"}
    for slug in SLUGS:
        expected |= {f"{slug}.zip", f"{slug}/{slug}.pdf", f"{slug}/{slug}.epub", f"{slug}/{slug}.html",
                     f"{slug}/{slug}-booklet.pdf", f"{slug}/{slug}-onepager.pdf", f"{slug}/{slug}.bib"}
    assert set(tree(folder)) == expected


def test_two_runs_give_identical_bytes_and_leave_nothing_stale(dist_runs: tuple[Path, dict[str, bytes], dict[str, bytes]]) -> None:
    """From nothing and again with nothing changed, the folder is byte for byte the same; a stray file is gone."""
    _folder, before, after = dist_runs
    assert before == after


def test_checksums_match_every_file(folder: Path) -> None:
    """SHA256SUMS lists every other file of the folder once, with its SHA-256, as sha256sum -c reads it."""
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    assert set(listed) == set(tree(folder)) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder).returncode == 0


def test_zip_holds_the_documents_files_with_fixed_times(folder: Path) -> None:
    """<slug>.zip has the folder's files, sorted, dated from the document, identical to the loose copies."""
    with zipfile.ZipFile(folder / "harbour-notes.zip") as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert set(names) == {n for n in tree(folder) if n.startswith("harbour-notes/")}
        assert {info.date_time for info in archive.infolist()} == {(2026, 10, 2, 0, 0, 0)}
        for name in names:
            assert archive.read(name) == (folder / name).read_bytes()


def test_feed_parses_and_has_rfc_4287_required_elements(folder: Path) -> None:
    """feed.xml is Atom: the feed's one id, title and updated, an author; each entry's id, title, updated, summary, links."""
    feed = etree.parse(str(folder / "feed.xml")).getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"a:{name}", ATOM)) == 1, name
    entries = feed.findall("a:entry", ATOM)
    assert [e.findtext("a:title", namespaces=ATOM).split(":")[0] for e in entries] == ["Harbour Notes", "Rail Outlook"]
    assert feed.findall("a:author/a:name", ATOM) or all(e.findall("a:author/a:name", ATOM) for e in entries)
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"a:{name}", ATOM)) == 1, name
        assert entry.findtext("a:id", namespaces=ATOM).startswith("urn:uuid:")
        assert len(entry.findall("a:link[@rel='alternate']", ATOM)) == 1
        hrefs = [link.get("href") for link in entry.findall("a:link", ATOM) if link.get("rel") != "related"]
        assert len(hrefs) == 7  # web page, PDF, EPUB, booklet, one-pager, .bib, zip
        for href in hrefs:
            assert (folder / href).is_file(), href
        for link in entry.findall("a:link[@rel='enclosure']", ATOM):
            assert int(link.get("length")) == (folder / link.get("href")).stat().st_size
    for stamp in feed.iter("{http://www.w3.org/2005/Atom}updated"):
        assert stamp.text.endswith("Z") and "T" in stamp.text


def test_catalogue_lists_documents_newest_first_with_what_a_reader_needs(folder: Path) -> None:
    """index.html: newest first; kind, title, subtitle, date, authors, key points, each format with size and pages."""
    page = html.parse(str(folder / "index.html")).getroot()
    entries = page.findall(".//article")
    assert [e.findtext(".//h2/a") for e in entries] == ["Harbour Notes", "Rail Outlook"]
    first = " ".join(entries[0].text_content().split())
    for text in ("Briefing", "What the new quay means", "2 October 2026", "Port Desk, R. Quayle",
                 "Rail links, not berths, now limit throughput.", "PDF briefing", "2 pages", "kB", "Citation (BibTeX)"):  # a briefing: its chapters run on
        assert text in first, text
    assert page.find(".//h1") is not None and all(img.get("alt") for img in page.iter("img"))
    assert not page.findall(".//script")


def test_every_catalogue_link_resolves_inside_the_folder(folder: Path) -> None:
    """Each href and src of index.html is a file of build/dist/ or a data: URI."""
    page = html.parse(str(folder / "index.html")).getroot()
    for element in page.iter():
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is None or value.startswith("data:"):
                continue
            assert not urlsplit(value).scheme, value
            assert (folder / unquote(value)).resolve().is_relative_to(folder.resolve())
            assert (folder / unquote(value)).is_file(), value


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
@pytest.mark.parametrize("width", [390, 1280])
def test_catalogue_in_chromium_loads_nothing_from_outside_and_does_not_overflow(folder: Path, width: int) -> None:
    """Headless Chromium at 390 and 1280 px: no request leaves the folder, no console error, nothing wider than the window."""
    visit = open_page(folder / "index.html", width)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"dist-index-{width}.png").write_bytes(visit.screenshot)
    outside = [url for url in visit.requests if not url.startswith("data:")
               and not Path(unquote(urlsplit(url).path)).resolve().is_relative_to(folder.resolve())]
    assert outside == []
    assert visit.errors == []
    layout = visit.layout
    assert layout["scroll"] <= layout["viewport"] and layout["widest"] <= layout["viewport"], layout


def test_pdf_qr_code_decodes_to_the_url(folder: Path) -> None:
    """The PDF's last page carries a QR code that a decoder reads back as document.yaml's url:, written out beside it."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image
    from pypdf import PdfReader

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed to rasterise the page")
    pdf = folder / "harbour-notes" / "harbour-notes.pdf"
    last = len(PdfReader(str(pdf)).pages)
    assert URL in (PdfReader(str(pdf)).pages[-1].extract_text() or "")
    png = pdf.with_name("qr-page")
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(last), "-l", str(last), "-singlefile", str(pdf), str(png)],
                   check=True)
    codes = zxingcpp.read_barcodes(Image.open(f"{png}.png"))
    Path(f"{png}.png").unlink()
    assert [code.text for code in codes] == [URL]


def test_booklet_keeps_the_qr_code_on_its_back_page(folder: Path) -> None:
    """The booklet's back page (left half of the first sheet side) is the PDF's last page, with the QR code."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed to rasterise the page")
    booklet = folder / "harbour-notes" / "harbour-notes-booklet.pdf"
    out = booklet.with_name("sheet")
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile", str(booklet), str(out)], check=True)
    image = Image.open(f"{out}.png")
    Path(f"{out}.png").unlink()
    back = image.crop((0, 0, image.width // 2, image.height))
    assert [code.text for code in zxingcpp.read_barcodes(back)] == [URL]


def test_qr_matrix_is_the_url(folder: Path) -> None:
    """segno's matrix read back through a decoder gives the address (no PDF involved)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    matrix = qr_matrix(URL)
    size, scale, border = len(matrix), 8, 4
    image = Image.new("L", ((size + 2 * border) * scale,) * 2, 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, ((x + border) * scale, (y + border) * scale, (x + border + 1) * scale, (y + border + 1) * scale))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [URL]


def test_no_url_no_qr_code(folder: Path) -> None:
    """A document without url: has no QR code in its PDF and no address in its colophons."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image
    from pypdf import PdfReader

    pdf = folder / "rail-outlook" / "rail-outlook.pdf"
    assert "https://" not in "".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    if shutil.which("pdftoppm"):
        last = len(PdfReader(str(pdf)).pages)
        out = pdf.with_name("page")
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(last), "-l", str(last), "-singlefile", str(pdf), str(out)], check=True)
        assert zxingcpp.read_barcodes(Image.open(f"{out}.png")) == []
        Path(f"{out}.png").unlink()
    assert b"online-edition" not in (folder / "rail-outlook" / "rail-outlook.html").read_bytes()


def test_epub_and_web_page_give_the_url_in_their_colophon(folder: Path) -> None:
    """The EPUB's title page imprint and the web page's colophon link to the web edition."""
    epub = folder / "harbour-notes" / "harbour-notes.epub"
    base = opf_path(epub).rsplit("/", 1)[0]
    title = epub_xml(epub, f"{base}/title.xhtml")
    assert URL in title.xpath("//x:dl[@class='imprint']//x:a/@href", namespaces={"x": "http://www.w3.org/1999/xhtml"})
    web = html.parse(str(folder / "harbour-notes" / "harbour-notes.html")).getroot()
    assert URL in [a.get("href") for a in web.findall(".//footer//a")]


def test_warnings_refuse_dist_and_say_how_to_fix_or_accept_them(tmp_path: Path) -> None:
    """An unused glossary term stops dist: each warning with its fix and --allow-warnings; nothing is written."""
    result = run_generator("dist", "glossary-unused", "--source", str(FIXTURES), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "warning: glossary term 'Trainium2' is defined but never used in the text" in result.stderr
    assert "fix: use the term in a chapter, or remove its entry from glossary.yaml" in result.stderr
    assert "--allow-warnings" in result.stderr and "dist refused: 1 warning not accepted" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_url_is_a_warning_when_qr_codes_are_asked_for(tmp_path: Path) -> None:
    """With --qr, a document without url: is refused with the fix; --allow-warnings accepts it."""
    args = ("dist", "rail-outlook", "--source", str(SOURCE), "--out", str(tmp_path), "--qr")
    refused = run_generator(*args)
    assert refused.returncode == 1
    assert "rail-outlook/document.yaml:1:1: warning: no 'url:' for the QR code to the web edition" in refused.stderr
    assert "add 'url: https://...'" in refused.stderr
    accepted = run_generator(*args, "--allow-warnings")
    assert accepted.returncode == 0, accepted.stderr
    assert (tmp_path / "dist" / "rail-outlook" / "rail-outlook.pdf").is_file()


def test_unshown_picture_is_a_warning(tmp_path: Path) -> None:
    """A picture in the document folder that nothing shows is a warning before sending."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE / "rail-outlook", source / "rail-outlook")
    (source / "rail-outlook" / "images").mkdir()
    shutil.copy(FIXTURES / "epub-minimal" / "images" / "cover.png", source / "rail-outlook" / "images" / "chart.png")
    result = run_generator("dist", "--source", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "picture 'images/chart.png' is in the document folder but nothing shows it" in result.stderr
    assert "show the picture in a chapter, or delete the file" in result.stderr


def test_size_budget_warns_about_large_attachments(tmp_path: Path) -> None:
    """--email-budget: a PDF or EPUB larger than the budget is named with its size; the sizes are listed."""
    result = run_generator("dist", "rail-outlook", "--source", str(SOURCE), "--out", str(tmp_path), "--email-budget", "0.01")
    assert result.returncode == 0, result.stderr
    assert "warning: rail-outlook/rail-outlook.pdf is" in result.stderr and "over the e-mail budget of 0.01 MB" in result.stderr
    assert "rail-outlook/rail-outlook.html" not in result.stderr  # only attachments are budgeted
    assert "bytes" in result.stdout and "rail-outlook.epub" in result.stdout


def test_letter_outputs_keep_stable_names_in_the_dist_folder(tmp_path: Path) -> None:
    """With --paper letter, build/ holds <slug>-letter.pdf and -booklet-letter.pdf; the dist folder names them
    <slug>.pdf and <slug>-booklet.pdf, as on A4."""
    from types import SimpleNamespace

    from generator.dist import stable_names
    from generator.writers import BuildOptions, Output

    document = SimpleNamespace(slug="doc")
    outputs = [Output(tmp_path / name, b"") for name in
               ("doc-letter.pdf", "doc.epub", "doc.html", "doc-booklet-letter.pdf", "doc-onepager-letter.pdf")]
    names = stable_names(document, outputs, BuildOptions(paper="letter"))  # type: ignore[arg-type]
    assert sorted(names) == ["-booklet.pdf", "-onepager.pdf", ".epub", ".html", ".pdf"]
    assert names[".pdf"].path.name == "doc-letter.pdf"
