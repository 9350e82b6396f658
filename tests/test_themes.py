"""Themes: a document's own templates/ override the project's file by file (accent colour, cover)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from generator.templates import PROJECT_TEMPLATES, make_environment
from tests.conftest import FIXTURES, run_generator

THEME_RED = (0xA3 / 255, 0x24 / 255, 0x2E / 255)  # tests/fixtures/themed/templates/print/theme.css
PROJECT_TEAL = (0x0B / 255, 0x55 / 255, 0x63 / 255)  # templates/print/print.css


def fill_colours(pdf: Path, page: int) -> list[tuple[float, ...]]:
    """The RGB fill colours (``rg`` operators) drawn on one page of a PDF."""
    reader = PdfReader(str(pdf))
    stream = ContentStream(reader.pages[page].get_contents(), reader)
    return [tuple(float(v) for v in operands) for operands, op in stream.operations if op == b"rg"]


def uses(colours: list[tuple[float, ...]], colour: tuple[float, float, float]) -> bool:
    """Whether a colour is among those drawn (to the precision PDF writers round to)."""
    return any(c == pytest.approx(colour, abs=0.002) for c in colours)


@pytest.fixture(scope="module")
def themed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The themed fixture document's PDF, built by the real command."""
    out = tmp_path_factory.mktemp("themed")
    result = run_generator("pdf", "themed", "--source", str(FIXTURES), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "themed.pdf"


def test_theme_css_changes_the_accent_colour(themed_pdf: Path, seed_pdf: Path) -> None:
    """The themed cover is drawn in the theme's red, not the project's teal; the seed's cover the other way round."""
    themed, seed = fill_colours(themed_pdf, 0), fill_colours(seed_pdf, 0)
    assert uses(themed, THEME_RED) and not uses(themed, PROJECT_TEAL)
    assert uses(seed, PROJECT_TEAL) and not uses(seed, THEME_RED)


def test_cover_template_is_replaced(themed_pdf: Path, seed_pdf: Path) -> None:
    """The document's own cover.html is used: its edition line is on page 1, and not on the seed's cover."""
    edition = "Special edition for the theme test"
    assert edition in PdfReader(str(themed_pdf)).pages[0].extract_text()
    assert edition not in PdfReader(str(seed_pdf)).pages[0].extract_text()
    assert "A Themed Briefing" in PdfReader(str(themed_pdf)).pages[0].extract_text()


def test_overrides_are_file_by_file() -> None:
    """The document's theme.css and cover.html win; every other template still comes from the project."""
    env = make_environment(FIXTURES / "themed")
    own = FIXTURES / "themed" / "templates"
    for name in ("print/theme.css", "print/cover.html"):
        assert Path(env.get_template(name).filename) == own / name
    for name in ("print/print.css", "print/document.html", "epub/epub.css"):
        assert Path(env.get_template(name).filename) == PROJECT_TEMPLATES / name
