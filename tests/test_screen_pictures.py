"""Pictures for screens: a picture wider than screens show is scaled down in the EPUB and web page, kept whole in the PDF."""

from __future__ import annotations

import base64
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from generator.pictures import SCREEN_WIDTH
from tests.conftest import FIXTURES, run_generator

WIDE = (4000, 500)
SMALL = (800, 100)


def _png(size: tuple[int, int]) -> bytes:
    """A gradient PNG of the given size, the same bytes every time."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata([((x * 255) // width, (y * 255) // height, 128) for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rail-outlook with a 4000-px PNG and an 800-px PNG in its chapter."""
    root = tmp_path_factory.mktemp("screen") / "source"
    shutil.copytree(FIXTURES / "dist" / "rail-outlook", root / "rail-outlook")
    (root / "rail-outlook" / "wide.png").write_bytes(_png(WIDE))
    (root / "rail-outlook" / "small.png").write_bytes(_png(SMALL))
    chapter = root / "rail-outlook" / "01-freight.md"
    chapter.write_text(chapter.read_text() + "\n![A wide chart](wide.png)\n\n![A small chart](small.png)\n")
    return root


def _build(source: Path, out: Path) -> Path:
    """The PDF, EPUB and web page of rail-outlook built by the real command into out."""
    for command in ("all", "html"):
        result = run_generator(command, "--source", str(source), "--out", str(out))
        assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def builds(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two builds of the same source into two folders."""
    return _build(source, tmp_path_factory.mktemp("first")), _build(source, tmp_path_factory.mktemp("second"))


def _sizes(pictures: list[bytes]) -> list[tuple[int, int]]:
    """The pixel sizes of pictures, widest first."""
    return sorted((Image.open(io.BytesIO(p)).size for p in pictures), reverse=True)


def test_epub_holds_the_wide_png_scaled_down_and_the_small_one_as_it_is(builds: tuple[Path, Path], source: Path) -> None:
    """In the EPUB the 4000-px PNG is 1600 px wide (still a PNG, same proportions); the 800-px one is the original file."""
    with zipfile.ZipFile(builds[0] / "rail-outlook.epub") as epub:
        names = {Path(n).name: epub.read(n) for n in epub.namelist() if n.endswith(".png") and "cover" not in n}
    assert set(names) == {"wide.png", "small.png"}
    assert Image.open(io.BytesIO(names["wide.png"])).format == "PNG"
    assert _sizes([names["wide.png"]]) == [(SCREEN_WIDTH, 200)]
    assert names["small.png"] == (source / "rail-outlook" / "small.png").read_bytes()


def test_web_page_holds_the_wide_png_scaled_down(builds: tuple[Path, Path]) -> None:
    """The web page's data: URIs decode to a 1600-px PNG and the 800-px one."""
    page = (builds[0] / "rail-outlook.html").read_text()
    pictures = [base64.b64decode(data) for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)]
    assert (SCREEN_WIDTH, 200) in _sizes(pictures) and SMALL in _sizes(pictures)
    assert all(width <= SCREEN_WIDTH for width, _ in _sizes(pictures))


def test_pdf_keeps_the_original_picture(builds: tuple[Path, Path]) -> None:
    """The PDF's picture is the full 4000 px wide."""
    from pypdf import PdfReader

    widths = [int(image.image.width) for page in PdfReader(str(builds[0] / "rail-outlook.pdf")).pages
              for image in page.images]
    assert WIDE[0] in widths


def test_same_bytes_every_run(builds: tuple[Path, Path]) -> None:
    """Two builds give the very same EPUB and web page."""
    for name in ("rail-outlook.epub", "rail-outlook.html"):
        assert (builds[0] / name).read_bytes() == (builds[1] / name).read_bytes(), name


def test_a_wide_jpeg_stays_a_jpeg_and_dist_reports_the_saving(source: Path, tmp_path: Path) -> None:
    """screen_picture keeps a wide JPEG a JPEG at 1600 px; screen_saving counts what the PNG and JPEG save."""
    from generator.build import check
    from generator.model import Picture
    from generator.pictures import read_picture, screen_picture, screen_saving

    document = check(source, ["rail-outlook"])[0]
    shutil.copytree(source / "rail-outlook", tmp_path / "rail-outlook")
    out = io.BytesIO()
    Image.open(io.BytesIO(_png(WIDE))).save(out, format="JPEG", quality=95)
    (tmp_path / "rail-outlook" / "wide.jpg").write_bytes(out.getvalue())
    jpeg = Picture("wide.jpg", "image/jpeg")
    moved = type(document)(document.slug, tmp_path / "rail-outlook", document.meta, document.chapters,
                           document.glossary, (*document.pictures, jpeg))
    screen = screen_picture(moved, jpeg)
    assert Image.open(io.BytesIO(screen)).format == "JPEG" and _sizes([screen]) == [(SCREEN_WIDTH, 200)]
    assert len(screen) < len(read_picture(moved, jpeg))
    wide = next(p for p in document.pictures if p.name == "wide.png")
    assert screen_saving(document) == len(read_picture(document, wide)) - len(screen_picture(document, wide)) > 0


def test_dist_size_report_says_what_the_screen_pictures_save(source: Path, tmp_path: Path) -> None:
    """dist's size report ends with one line per document whose pictures were scaled down, giving the bytes saved."""
    from generator.build import check
    from generator.dist import DistResult, size_report
    from generator.pictures import screen_saving

    document = check(source, ["rail-outlook"])[0]
    report = size_report(DistResult([document], [], tmp_path, {}, []))
    assert report == [f"rail-outlook: pictures scaled down for screens save {screen_saving(document):,} bytes "
                      "in the EPUB and in the web page (the PDF keeps the originals)"]
