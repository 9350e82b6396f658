"""Writing systems: fonts chosen by language, no missing glyph, right-to-left Arabic, the refusal of a
character no font has (generator/scripts.py, the German, Japanese and Arabic fixtures)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from generator.scripts import font_file, script_for
from tests.conftest import FIXTURES, run_generator
from tests.helpers import NS, epub_xml, epubcheck_problems, opf_path, pdf_text

CASES = ["i18n-de", "i18n-ja", "i18n-ar"]
# Words each fixture's outputs must show: the contents, key points and glossary labels of its catalogue.
LABELS = {"i18n-de": ["Inhalt", "Glossar"], "i18n-ja": ["目次", "用語集"], "i18n-ar": ["المحتويات", "مسرد المصطلحات"]}
# The faces each PDF must embed: the language's own, bold included for the headings.
FONTS = {"i18n-de": ["Source-Serif-Pro", "Source-Sans-Pro-Bold"],
         "i18n-ja": ["Noto-Serif-CJK-JP", "Noto-Sans-CJK-JP-Bold"], "i18n-ar": ["Amiri", "Amiri-Bold"]}
LINEAR_B = "\U00010000"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three fixtures built as PDF, EPUB and web page by the real command."""
    out = tmp_path_factory.mktemp("scripts")
    for command in ("all", "html"):
        result = run_generator(command, *CASES, "--source", str(FIXTURES), "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr, result.stderr
    return out


def embedded_fonts(path: Path) -> dict[str, set[int]]:
    """Each embedded font's name (subset tag removed) and the glyph ids its text runs draw."""
    reader = PdfReader(str(path))
    used: dict[str, set[int]] = {}
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for key, ref in fonts.items():
            used.setdefault(str(ref.get_object()["/BaseFont"]).split("+", 1)[-1], set())
        current = ""
        for operands, operator in page.get_contents().operations:
            if operator == b"Tf":
                current = str(fonts[operands[0]].get_object()["/BaseFont"]).split("+", 1)[-1]
            elif operator in (b"Tj", b"TJ"):
                runs = operands[0] if operator == b"TJ" else [operands[0]]
                for run in runs:
                    if isinstance(run, bytes) or hasattr(run, "original_bytes"):
                        data = run.original_bytes if hasattr(run, "original_bytes") else run
                        used[current].update(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    return used


@pytest.mark.parametrize("case", CASES)
def test_pdf_embeds_the_languages_fonts_and_draws_no_notdef(case: str, built: Path) -> None:
    """The PDF embeds the script's faces (bold too) and no text run draws glyph 0 (.notdef, an empty box)."""
    fonts = embedded_fonts(built / f"{case}.pdf")
    assert set(FONTS[case]) <= set(fonts), sorted(fonts)
    assert [name for name, glyphs in fonts.items() if 0 in glyphs] == []


@pytest.mark.parametrize("case", CASES)
def test_labels_are_localised_in_every_output(case: str, built: Path) -> None:
    """The PDF's text, the EPUB's nav and the web page carry the catalogue's words, not English."""
    text = pdf_text(built / f"{case}.pdf")
    nav = "".join(epub_xml(built / f"{case}.epub", "EPUB/nav.xhtml").itertext())
    web = (built / f"{case}.html").read_text(encoding="utf-8")
    for word in LABELS[case]:
        assert word in text and word in nav and word in web, word
    for english in ("Contents", "Glossary", "Key points"):
        assert english not in nav and english not in text


def test_arabic_runs_right_to_left_in_every_output(built: Path) -> None:
    """Arabic: dir="rtl" on the print and web pages and every EPUB page, the spine's page progression rtl."""
    epub = built / "i18n-ar.epub"
    package = epub_xml(epub, opf_path(epub))
    assert package.xpath("//opf:spine/@page-progression-direction", namespaces=NS) == ["rtl"]
    with zipfile.ZipFile(epub) as book:
        pages = [name for name in book.namelist() if name.endswith(".xhtml") and name != "EPUB/nav.xhtml"]
    assert pages and all(epub_xml(epub, page).get("dir") == "rtl" for page in pages)
    assert '<html lang="ar" dir="rtl">' in (built / "i18n-ar.html").read_text(encoding="utf-8")


def test_latin_words_keep_their_order_inside_arabic(built: Path) -> None:
    """A Latin phrase and a number in Arabic text are drawn in their own order (bidi), not reversed."""
    text = pdf_text(built / "i18n-ar.pdf")
    assert "water reuse" in text and "esuer" not in text
    assert "40%" in text or "%40" in text


@pytest.mark.parametrize("case", CASES)
def test_epubcheck_finds_nothing(case: str, built: Path) -> None:
    """EPUBCheck reports no error or warning for each fixture's EPUB."""
    assert epubcheck_problems(built / f"{case}.epub") == []


def test_arabic_cover_is_drawn_right_aligned(built: Path) -> None:
    """The Arabic cover's title ink sits against the right margin (drawn in Amiri, right to left)."""
    with zipfile.ZipFile(built / "i18n-ar.epub") as book:
        name = next(n for n in book.namelist() if n.endswith(".png") and "cover" in n)
        cover = Image.open(__import__("io").BytesIO(book.read(name))).convert("L")
    title_band = cover.crop((0, 600, cover.width, 780)).point(lambda v: 255 if v < 128 else 0)
    left, _, right, _ = title_band.getbbox()
    assert cover.width - 160 - right < 20 and left > 200


def test_script_fonts_are_installed() -> None:
    """fontconfig finds the regular and bold faces of every script the project names (the README's packages)."""
    for language in ("ja", "zh", "zh-TW", "ko", "ar", "he"):
        for family in {*script_for(language).serif, *script_for(language).sans}:
            assert font_file(family, False) is not None, family
            assert font_file(family, True) is not None, family


def test_a_character_no_font_has_is_refused_with_its_line(tmp_path: Path) -> None:
    """A Linear B letter no installed font has fails the build at its line, naming it and the fix."""
    if subprocess.run(["fc-list", ":charset=10000"], capture_output=True, text=True).stdout.strip():
        pytest.skip("a font with Linear B is installed here")
    shutil.copytree(FIXTURES / "i18n-de", tmp_path / "tofu")
    with (tmp_path / "tofu" / "02-betrieb.md").open("a", encoding="utf-8") as chapter:
        chapter.write(f"\nDas Zeichen {LINEAR_B} hat keine Schrift.\n")
    result = run_generator("pdf", "tofu", "--source", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == [
        f'{tmp_path}/tofu/02-betrieb.md:6: no font can draw "{LINEAR_B}" (U+10000 LINEAR B SYLLABLE B008 A); '
        "install a font that has it (Debian: fonts-noto-core or fonts-noto-extra) and build again, "
        "or remove it: the PDF would show empty boxes",
        "build failed: 1 error; nothing was written",
    ]
    assert not (tmp_path / "out" / "tofu.pdf").exists()


MIRRORED_PROBE = """(() => {
  const side = (selector) => {
    const style = getComputedStyle(document.querySelector(selector));
    return {left: style.borderLeftWidth, right: style.borderRightWidth};
  };
  const box = document.querySelector('.key-points').getBoundingClientRect();
  const bullet = document.querySelector('.key-points li').getBoundingClientRect();
  return {keyPoints: side('.key-points'), note: side('.callout.note'),
          itemFromRight: Math.round(box.right - bullet.right), itemFromLeft: Math.round(bullet.left - box.left)};
})()"""


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")
def test_arabic_web_page_is_mirrored_in_a_browser(built: Path) -> None:
    """In Chromium the Arabic page's rules stand on the right of the key points and the note, and
    the list's indent, where the bullets stand, is on the right (logical properties in web.css
    follow dir="rtl"; left to right, the wider inset would be on the left)."""
    from tests.browser import open_page

    visit = open_page(built / "i18n-ar.html", 1280, probe=MIRRORED_PROBE)
    assert visit.errors == []
    assert visit.probe["keyPoints"] == {"left": "0px", "right": "4px"}
    assert visit.probe["note"] == {"left": "0px", "right": "4px"}
    assert visit.probe["itemFromRight"] > visit.probe["itemFromLeft"] + 10
    assert visit.layout["scroll"] <= visit.layout["viewport"]
