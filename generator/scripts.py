"""The writing system of a document's language: its direction and the fonts that draw it.

Latin, Greek and Cyrillic text is set in the Source fonts the project installs from PyPI.
Other scripts need a system font, found by fontconfig through its family name: each entry of
``SCRIPTS`` names the families that follow the Source fonts in the stylesheets' font lists
(so Latin words and digits inside the text keep the Source faces) and the Debian package that
installs them. After layout, any character still drawn as ``.notdef`` (an empty box) is a
problem naming the source lines that hold it and the font to install (``glyph_problems``).
"""

from __future__ import annotations

import functools
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from generator.errors import Problem
from generator.labels import candidate_tags
from generator.model import Document


@dataclass(frozen=True)
class Script:
    """How one writing system is set: its direction and the system families after the Source fonts."""

    name: str  # "Japanese", as the README and messages name it
    direction: str  # "ltr" or "rtl": the dir attribute of every output
    serif: tuple[str, ...]  # fontconfig families for body text
    sans: tuple[str, ...]  # fontconfig families for headings, labels and the EPUB cover
    package: str  # the Debian package that installs them ("" for the project's own fonts)

    @property
    def serif_css(self) -> str:
        """The serif families as the middle of a CSS font list (after Source Serif Pro)."""
        return css_families(self.serif)

    @property
    def sans_css(self) -> str:
        """The sans families as the middle of a CSS font list (after Source Sans Pro)."""
        return css_families(self.sans)


LATIN = Script("Latin", "ltr", (), (), "")
CJK = "fonts-noto-cjk"
# Keyed by the tags of generator/labels.py's candidate_tags (zh-TW looks up zh-Hant, then zh).
SCRIPTS = {
    "ja": Script("Japanese", "ltr", ("Noto Serif CJK JP",), ("Noto Sans CJK JP",), CJK),
    "zh": Script("Chinese, Simplified", "ltr", ("Noto Serif CJK SC",), ("Noto Sans CJK SC",), CJK),
    "zh-Hant": Script("Chinese, Traditional", "ltr", ("Noto Serif CJK TC",), ("Noto Sans CJK TC",), CJK),
    "ko": Script("Korean", "ltr", ("Noto Serif CJK KR",), ("Noto Sans CJK KR",), CJK),
    # Amiri: a Naskh face with a real bold, so Arabic headings are bold too (DejaVu Sans has Arabic
    # as well, but a plain one, and Source Sans would hand every Arabic letter to it).
    "ar": Script("Arabic", "rtl", ("Amiri",), ("Amiri",), "fonts-hosny-amiri"),
    "he": Script("Hebrew", "rtl", ("DejaVu Sans",), ("DejaVu Sans",), "fonts-dejavu-core"),
}
# The package to suggest for a character no font has, by the first word of its Unicode name.
PACKAGES_BY_NAME = {"CJK": CJK, "HIRAGANA": CJK, "KATAKANA": CJK, "HANGUL": CJK, "IDEOGRAPHIC": CJK,
                    "ARABIC": "fonts-hosny-amiri", "HEBREW": "fonts-dejavu-core"}
EMOJI_PACKAGE = "fonts-noto-color-emoji"
OTHER_PACKAGES = "fonts-noto-core or fonts-noto-extra"


def script_for(language: str) -> Script:
    """The script a language tag is written in (Latin for every language not in SCRIPTS)."""
    return next((SCRIPTS[tag] for tag in candidate_tags(language) if tag in SCRIPTS), LATIN)


def css_families(families: tuple[str, ...]) -> str:
    """Families as the middle of a CSS font list: ``"Noto Sans CJK JP", `` (or '')."""
    return "".join(f'"{family}", ' for family in families)


@functools.cache
def font_file(family: str, bold: bool) -> tuple[Path, int] | None:
    """The file and face index fontconfig gives a family at a weight, None when it has no such family."""
    pattern = f"{family}:weight={'bold' if bold else 'regular'}"
    try:
        found = subprocess.run(["fc-match", "--format=%{family}\n%{file}\n%{index}", pattern],
                               capture_output=True, text=True, check=True, timeout=30).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 3 or family not in found[0].split(","):  # fontconfig fell back to another family
        return None
    return Path(found[1]), int(found[2] or 0)


# After layout: the characters no font could draw

def glyph_problems(document: Document, missing: set[str]) -> list[Problem]:
    """One problem per source line holding characters drawn as .notdef, with the font to install.

    Characters found in no source (a label of the language's catalogue) are reported at
    document.yaml's first line: it is the language chosen there that needs them.
    """
    problems: list[Problem] = []
    unplaced = set(missing)
    for path in source_files(document):
        for number, line in enumerate(_lines(path), start=1):
            here = sorted({char for char in line if char in missing}, key=line.index)
            if here:
                unplaced -= set(here)
                problems.append(Problem(path, number, 0, missing_message(here, document.meta.language)))
    if unplaced:
        problems.append(Problem(document.root / "document.yaml", 1, 0,
                                missing_message(sorted(unplaced), document.meta.language)))
    return problems


def source_files(document: Document) -> list[Path]:
    """Every file whose text reaches the PDF: document.yaml, the chapters and the glossary."""
    files = [document.root / "document.yaml", *(chapter.path for chapter in document.chapters)]
    return [*files, *([document.root / "glossary.yaml"] if (document.root / "glossary.yaml").is_file() else [])]


def _lines(path: Path) -> list[str]:
    """A source file's lines (already read and checked once by the load)."""
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def missing_message(chars: list[str], language: str) -> str:
    """``no font can draw "𐀀" (U+10000 LINEAR B SYLLABLE B008 A); install ...``."""
    named = ", ".join(f'"{char}" (U+{ord(char):04X} {unicodedata.name(char, "unnamed character")})' for char in chars)
    return (f"no font can draw {named}; install a font that has {'them' if len(chars) > 1 else 'it'} "
            f"({suggested_packages(chars, language)}) and build again, or remove "
            f"{'them' if len(chars) > 1 else 'it'}: the PDF would show empty boxes")


def suggested_packages(chars: list[str], language: str) -> str:
    """The Debian packages to install for these characters: the script's own, else by Unicode name."""
    packages = [package_for(char) for char in chars]
    script = script_for(language)
    if script.package and script.package in packages:
        packages = [script.package, *packages]
    return "Debian: " + ", ".join(dict.fromkeys(packages))


def package_for(char: str) -> str:
    """The Debian package most likely to draw one character."""
    name = unicodedata.name(char, "")
    if unicodedata.category(char) == "So" and ord(char) >= 0x1F000:  # pictographs: emoji
        return EMOJI_PACKAGE
    return PACKAGES_BY_NAME.get(name.split(" ")[0], OTHER_PACKAGES)
