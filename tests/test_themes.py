"""Themes: a document's own templates/ override the project's file by file (accent colour, cover)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from generator.templates import PROJECT_TEMPLATES, make_environment
from tests.conftest import FIXTURES, build_fixture, run_generator

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
def themed_pdf(themed_build: Path) -> Path:
    """The themed fixture document's PDF, built by the real command."""
    return themed_build / "themed.pdf"


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


# --- theme: in document.yaml, through every output (issue 21, item 4) ---------------------------

import base64
import io
import re
import shutil
import zipfile

from PIL import Image

THEME_LOGO = FIXTURES / "themed" / "images" / "logo.png"


@pytest.fixture(scope="module")
def themed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The themed fixture built as PDF, EPUB, web page, one-pager and booklet by the real commands."""
    return build_fixture(tmp_path_factory, "themed", "all", "onepager", "handout")


def test_theme_colour_reaches_the_one_pager_and_the_booklet(themed_build: Path) -> None:
    """The one-pager and the booklet draw the theme's red and none of the project's teal."""
    for name in ("themed-onepager.pdf", "themed-booklet.pdf"):
        colours = fill_colours(themed_build / name, 0)
        assert uses(colours, THEME_RED) and not uses(colours, PROJECT_TEAL), name


def test_theme_colour_reaches_the_epub_stylesheet_and_cover(themed_build: Path) -> None:
    """The EPUB's stylesheet declares the theme's variables; its drawn cover's rule and band are the theme's red."""
    with zipfile.ZipFile(themed_build / "themed.epub") as book:
        css = book.read("EPUB/styles/epub.css").decode()
        cover = Image.open(io.BytesIO(book.read("EPUB/images/cover.png"))).convert("RGB")
    assert "--accent: #a3242e;" in css and "--accent-tint: #f7e8e9;" in css
    assert cover.getpixel((800, 408)) == (0xA3, 0x24, 0x2E)  # the rule under the top margin
    assert cover.getpixel((20, 2500)) == (0xA3, 0x24, 0x2E)  # the band at the foot


def test_seed_epub_cover_keeps_the_project_teal(seed_epub: Path) -> None:
    """Without theme: the drawn cover is the project's teal, so the test above can tell them apart."""
    with zipfile.ZipFile(seed_epub) as book:
        cover = Image.open(io.BytesIO(book.read("EPUB/images/cover.png"))).convert("RGB")
    assert cover.getpixel((20, 2500)) == (0x0B, 0x55, 0x63)


def test_theme_colour_and_logo_reach_the_web_page(themed_build: Path) -> None:
    """The web page's CSS sets the theme's --accent and --accent-tint (print's names), and the logo is a data: URI of the file."""
    page = (themed_build / "themed.html").read_text()
    assert re.search(r":root \{\s*--accent: #a3242e;\s*--accent-tint: #f7e8e9;\s*\}", page)
    assert "--accent-light" not in page
    logo = base64.b64encode(THEME_LOGO.read_bytes()).decode()
    assert f'<img class="logo" src="data:image/png;base64,{logo}" alt="Theme Test Press" />' in page
    assert 'src="images/' not in page


def test_logo_is_in_the_pdf_and_the_epub(themed_pdf: Path, themed_build: Path) -> None:
    """The PDF's cover page shows a 240×80 picture (the logo); the EPUB carries it and its title page shows it."""
    images = PdfReader(str(themed_pdf)).pages[0].images
    assert any(Image.open(io.BytesIO(i.data)).size == (240, 80) for i in images)
    with zipfile.ZipFile(themed_build / "themed.epub") as book:
        assert book.read("EPUB/images/logo.png") == THEME_LOGO.read_bytes()
        assert '<img class="logo" src="images/logo.png" alt="Theme Test Press" />' in book.read("EPUB/title.xhtml").decode()


# --- theme errors and pictures named by templates (items 4 and 5) -------------------------------


def themed_copy(tmp_path: Path, theme: str) -> Path:
    """A copy of the themed fixture in tmp_path/source/doc with its theme: block replaced by ``theme``."""
    root = tmp_path / "source" / "doc"
    shutil.copytree(FIXTURES / "themed", root)
    yaml_text = (root / "document.yaml").read_text()
    (root / "document.yaml").write_text(yaml_text[: yaml_text.index("\ntheme:") + 1] + theme)
    return root


def build_errors(root: Path, command: str = "check") -> list[str]:
    """The error lines a failed build of the document prints (paths relative to its source folder's parent)."""
    out = () if command == "check" else ("--out", str(root.parent.parent / "build"))
    result = run_generator(command, "doc", "--source", str(root.parent), *out, cwd=root.parent.parent)
    assert result.returncode == 1, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("source/")]


def test_bad_theme_values_are_errors_with_the_expected_form(tmp_path: Path) -> None:
    """A colour not written #rrggbb, an unquoted # (a YAML comment) and an unknown key each give file:line:column."""
    root = themed_copy(tmp_path, 'theme:\n  accent: red\n  tint: #f7e8e9\n  acent: "#000000"\n')
    assert build_errors(root) == [
        "source/doc/document.yaml:14:11: theme 'accent' must be a colour written \"#rrggbb\" (six hex digits, e.g. \"#a3242e\"), not 'red'",
        "source/doc/document.yaml:15:8: theme 'tint' is empty: write the colour in quotes, tint: \"#a3242e\" (an unquoted # starts a YAML comment)",
        "source/doc/document.yaml:16:3: theme: unknown key 'acent'; did you mean 'accent'?",
    ]


def test_theme_must_be_a_mapping(tmp_path: Path) -> None:
    """theme: given as text says what it should look like."""
    root = themed_copy(tmp_path, "theme: red\n")
    assert build_errors(root) == ["source/doc/document.yaml:13:8: 'theme' must be a mapping such as: "
                                  "theme: {accent: \"#a3242e\", tint: \"#f7e8e9\", logo: images/logo.png}"]


def test_logo_outside_the_document_folder_is_refused(tmp_path: Path) -> None:
    """The logo is contained like a chapter's picture: ../ out of the folder is an error at its line."""
    root = themed_copy(tmp_path, "theme:\n  logo: ../secret.png\n")
    (root.parent / "secret.png").write_bytes(THEME_LOGO.read_bytes())
    assert build_errors(root) == ["source/doc/document.yaml:14:1: image '../secret.png' lies outside the document folder"]


def copied_web_template(root: Path, logo_tag: str) -> None:
    """The project's web/document.html copied into the document with ``logo_tag`` added at the top of the cover."""
    page = (PROJECT_TEMPLATES / "web" / "document.html").read_text()
    (root / "templates" / "web").mkdir(parents=True)
    (root / "templates" / "web" / "document.html").write_text(page.replace('<header class="cover">\n', f'<header class="cover">\n{logo_tag}\n', 1))


def test_picture_in_a_copied_web_template_is_embedded(tmp_path: Path) -> None:
    """A logo written into a copied web/document.html, with no theme: logo, is checked and embedded as a data: URI."""
    root = themed_copy(tmp_path, "")
    copied_web_template(root, '<img src="images/logo.png" alt="Press">')
    result = run_generator("html", "doc", "--source", str(root.parent), "--out", str(tmp_path / "build"))
    assert result.returncode == 0, result.stderr
    logo = base64.b64encode(THEME_LOGO.read_bytes()).decode()
    assert f'<img src="data:image/png;base64,{logo}" alt="Press">' in (tmp_path / "build" / "doc.html").read_text()


def test_missing_picture_in_a_template_names_the_template(tmp_path: Path) -> None:
    """A template's picture that is missing is an error at the template's line, for the web page and the PDF."""
    root = themed_copy(tmp_path, "")
    copied_web_template(root, '<img src="images/gone.png" alt="Press">')
    assert build_errors(root, "html") == [
        "source/doc/templates/web/document.html:21: a template's picture: image 'images/gone.png' not found: missing file in the document folder"]
    cover = root / "templates" / "print" / "cover.html"
    cover.write_text(cover.read_text().replace('{% include "shared/logo.html" %}', '<img src="/etc/passwd.png" alt="">'))
    assert build_errors(root, "pdf") == [
        "source/doc/templates/print/cover.html:3: a template's picture: image '/etc/passwd.png' lies outside the document folder; give a path relative to the chapter"]


# --- fonts named by the theme --------------------------------------------------------------------


def pdf_font_names(pdf: Path) -> set[str]:
    """The base font names embedded on every page, subset prefixes dropped."""
    names: set[str] = set()
    for page in PdfReader(str(pdf)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_theme_fonts_replace_the_project_faces_in_the_pdf_and_the_web_page(tmp_path: Path) -> None:
    """serif: and sans: name installed families: the PDF embeds them instead of Source Serif and
    Sans, and the web page names them in its variables."""
    root = themed_copy(tmp_path, "theme:\n  serif: DejaVu Serif\n  sans: DejaVu Sans\n")
    out = tmp_path / "build"
    for command in ("pdf", "html"):
        result = run_generator(command, "doc", "--source", str(root.parent), "--out", str(out))
        assert result.returncode == 0, result.stderr
    fonts = pdf_font_names(out / "doc.pdf")
    assert {"DejaVu-Serif", "DejaVu-Sans-Bold"} <= fonts
    assert not any(name.startswith("Source-Serif") for name in fonts)  # (the fixture's own theme.css names Source Sans)
    page = (out / "doc.html").read_text(encoding="utf-8")
    assert '--serif: "DejaVu Serif", serif;' in page and '--sans: "DejaVu Sans", sans-serif;' in page


def test_theme_font_must_be_installed_and_only_a_name(tmp_path: Path) -> None:
    """A family fontconfig lacks is refused with how to see the installed ones; CSS is not a name."""
    root = themed_copy(tmp_path, 'theme:\n  serif: Nonexistent Face\n  sans: "x; } body { color: red"\n')
    assert build_errors(root) == [
        "source/doc/document.yaml:14:10: theme 'serif': no installed font family is named 'Nonexistent Face'; "
        "install it (fc-list : family lists the installed ones) or leave 'serif' out to keep the project's face",
        "source/doc/document.yaml:15:9: theme 'sans' must be a font family's name (letters, digits, spaces and "
        "hyphens), e.g. sans: DejaVu Serif",
    ]
