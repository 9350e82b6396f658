"""The one-pager: one tagged page with the title, key points and chapters, the QR code, and a clear refusal when it does not fit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, build_fixture, run_generator

SOURCE = FIXTURES / "dist"
URL = "https://briefings.example.org/harbour-notes/"
LONG_POINT = ("  - The new quay changes the flow of goods through the port, and with it the city's budget, its roads "
              "and the working day of every crane driver and pilot on the river.\n")


@pytest.fixture(scope="module")
def onepager(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """harbour-notes-onepager.pdf built by the real command."""
    return build_fixture(tmp_path_factory, "harbour-notes", "onepager", source=SOURCE) / "harbour-notes-onepager.pdf"


def test_exactly_one_tagged_page(onepager: Path) -> None:
    """One A4 page, tagged like the PDF: marked, a structure tree, PDF/UA in its XMP metadata, its language."""
    from pypdf import PdfReader

    reader = PdfReader(str(onepager))
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    assert root["/Lang"] == "en"


def test_holds_title_key_points_and_chapter_headings(onepager: Path) -> None:
    """pdftotext finds the kind, title, subtitle, authors, every key point and every chapter title."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = " ".join(subprocess.run(["pdftotext", str(onepager), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    for words in ("BRIEFING", "Harbour Notes", "What the new quay means for the port's trade", "Port Desk, R. Quayle",
                  "The new quay doubles the port's container capacity by 2028.",
                  "Dredging costs are shared between the city and the operator.",
                  "Rail links, not berths, now limit throughput.", "INSIDE THIS BRIEFING", "1 The new quay", "2 Rail links",
                  "Read the full edition online", URL):
        assert words in text.replace("’", "'"), words


def test_no_type_below_nine_points(onepager: Path) -> None:
    """Every run of text on the page is set at 9 pt or more (font size times the text and graphics scale)."""
    from pypdf import PdfReader

    sizes: set[float] = set()

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            sizes.add(round(size * abs(tm[0]) * abs(cm[0]), 2))

    PdfReader(str(onepager)).pages[0].extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 9, sorted(sizes)


def test_one_side_of_letter_too(tmp_path: Path) -> None:
    """--paper letter gives one page of US Letter, as <slug>-onepager-letter.pdf."""
    from pypdf import PdfReader

    result = run_generator("onepager", "harbour-notes", "--source", str(SOURCE), "--out", str(tmp_path), "--paper", "letter")
    assert result.returncode == 0, result.stderr
    pages = PdfReader(str(tmp_path / "harbour-notes-onepager-letter.pdf")).pages  # its own name: the A4 one stays
    assert len(pages) == 1 and [round(float(v)) for v in pages[0].mediabox[2:]] == [612, 792]


def test_qr_code_decodes_to_the_url(onepager: Path) -> None:
    """The page's QR code reads back as document.yaml's url:."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed to rasterise the page")
    png = onepager.with_name("page")
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(onepager), str(png)], check=True)
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(f"{png}.png"))] == [URL]


def test_same_bytes_every_run(onepager: Path, tmp_path: Path) -> None:
    """A second build gives the very same bytes."""
    result = run_generator("onepager", "harbour-notes", "--source", str(SOURCE), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / onepager.name).read_bytes() == onepager.read_bytes()


def test_too_long_key_points_are_refused_saying_by_how_much(tmp_path: Path) -> None:
    """Thirty long key points: exit 1, the exact message (pages needed, lines to cut), nothing written."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE / "harbour-notes", source / "harbour-notes")
    yaml = source / "harbour-notes" / "document.yaml"
    yaml.write_text(yaml.read_text().replace("chapters:", LONG_POINT * 30 + "chapters:"))
    result = run_generator("onepager", "--source", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == (f"{yaml}:13: the one-pager needs 2.3 pages; shorten the key points by about 59 lines\n"
                             "build failed: 1 error; nothing was written\n")
    assert not (tmp_path / "out" / "harbour-notes-onepager.pdf").exists()
