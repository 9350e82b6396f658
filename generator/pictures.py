"""The pictures pass: every picture a document shows, checked once, wherever it appears.

Chapters, footnotes, glossary definitions and key points may all show pictures. Each one is
checked here, and only here: a real file inside the document folder (symlinks resolved), of
an accepted type by name and by content, decodable and within the size limits. Its ``src``
is rewritten to its path relative to the document folder (URL-encoded), the one name every
output uses for it, so that writers never look at the sources again. A chapter in a
subfolder may name ``../images/x.png``: the name becomes ``images/x.png``.
"""

from __future__ import annotations

import difflib
import functools
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from generator.errors import Problem
from generator.model import Chapter, Document, Picture
from generator.tree import WRITTEN_URL, Element, Fragment, position

DOCUMENT_FILE = "document.yaml"
GLOSSARY_FILE = "glossary.yaml"
MAX_PICTURE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels (e.g. 8000 x 5000): far more than any page or screen shows


@dataclass(frozen=True)
class PictureType:
    """An accepted kind of picture: its media type and the bytes its files start with."""

    media_type: str
    signatures: tuple[bytes, ...]


# The one table of accepted pictures: formats every EPUB reader and WeasyPrint show.
PICTURE_TYPES: dict[str, PictureType] = {
    ".png": PictureType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": PictureType("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": PictureType("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": PictureType("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": PictureType("image/webp", (b"RIFF",)),
    ".svg": PictureType("image/svg+xml", (b"",)),  # text: checked by parsing it (_svg_refusal)
}
SVG_NS = "{http://www.w3.org/2000/svg}"
CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Place:
    """Where a fragment is written: the file, the line to report when an element has none, the folder its names are relative to."""

    path: Path
    line: int
    base: Path


class PictureCheck:
    """The state of the pass over one document: the root, what was found and what is wrong."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resolved_root = root.resolve()
        self.found: dict[str, Picture] = {}
        self.problems: list[Problem] = []

    def fragment(self, fragment: Fragment, place: Place) -> Fragment:
        """The fragment with each picture's src rewritten to its name; refused ones reported."""
        if not any(True for _ in fragment.iter("img")):
            return fragment
        root = fragment.copy()
        for image in root.iter("img"):
            self._image(image, place)
        return Fragment(root)

    def _image(self, image: Element, place: Place) -> None:
        """Check one picture and point its src at its name inside the document folder."""
        url = (image.get("src") or image.get(WRITTEN_URL) or "").strip()
        line, column = position(image)
        name, reason = self._name(url, place.base)
        if reason:
            self.problems.append(Problem(place.path, line or place.line, column or 1, reason))
            return
        picture = self.found.get(name) or Picture(name, PICTURE_TYPES[Path(name).suffix.lower()].media_type)
        self.found[name] = picture
        image.set("src", quote(name))

    def named(self, url: str, place: Place) -> str:
        """The src of a picture named outside any tree (the theme's logo), '' with a problem when refused."""
        name, reason = self._name(url, place.base)
        if reason:
            self.problems.append(Problem(place.path, place.line, 1, reason))
            return ""
        self.found.setdefault(name, Picture(name, PICTURE_TYPES[Path(name).suffix.lower()].media_type))
        return quote(name)

    def _name(self, url: str, base: Path) -> tuple[str, str]:
        """The picture's name relative to the document folder, or '' and why it is refused."""
        parts = urlsplit(url)
        if not url:
            return "", "an image needs a source file"
        if parts.scheme or parts.netloc:
            return "", f"image '{url}' is not fetched: only files inside the document folder are used"
        if url.startswith("/"):
            return "", f"image '{url}' lies outside the document folder; give a path relative to the chapter"
        written = unquote(parts.path)  # a '?v=2' or '#part' after the name changes nothing for a local file
        if CONTROL.search(written):
            return "", f"image '{url}' has a control character in its name"
        try:
            path = (base / written).resolve()
        except (OSError, RuntimeError):  # a symlink loop, a name too long
            return "", f"image '{url}' cannot be read"
        if not path.is_relative_to(self.resolved_root):
            return "", f"image '{url}' lies outside the document folder"
        if not path.is_file():
            return "", f"image '{url}' not found: missing file in the document folder{_near_file(written, path)}"
        reason = content_refusal(url, path)
        return ("", reason) if reason else (path.relative_to(self.resolved_root).as_posix(), "")


def _near_file(written: str, path: Path) -> str:
    """'; did you mean …?' naming the file beside a missing one that differs only in case, or nearly, or ''."""
    try:
        names = [p.name for p in path.parent.iterdir() if p.is_file()] if path.parent.is_dir() else []
    except OSError:
        return ""
    same_case = [name for name in names if name.lower() == path.name.lower()]
    close = same_case or difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
    if not close:
        return ""
    folder = written.rpartition("/")[0]
    return f"; did you mean '{folder + '/' if folder else ''}{sorted(close)[0] if same_case else close[0]}'?"


def check_pictures(document: Document) -> tuple[Document, list[Problem]]:
    """Check every picture of the document and give each its one name; the document and the problems."""
    check = PictureCheck(document.root)  # in reading order: document.yaml, the chapters, the glossary
    meta_path = document.root / DOCUMENT_FILE
    lines = document.meta.summary_line or tuple(1 for _ in document.meta.summary)
    summary = tuple(check.fragment(point, Place(meta_path, line, document.root))
                    for point, line in zip(document.meta.summary, lines, strict=True))
    chapters = tuple(_chapter(check, chapter) for chapter in document.chapters)
    glossary_path = document.root / GLOSSARY_FILE
    glossary = tuple(
        replace(e, definition=check.fragment(e.definition, Place(glossary_path, e.line, document.root)))
        for e in document.glossary
    )
    theme = document.meta.theme
    if theme.logo:  # the logo is shown by templates, so it is checked here like any picture of the text
        theme = replace(theme, logo=check.named(theme.logo, Place(meta_path, theme.logo_line, document.root)))
    checked = replace(document, chapters=chapters, glossary=glossary,
                      meta=replace(document.meta, summary=summary, theme=theme), pictures=tuple(check.found.values()))
    return checked, check.problems


def _chapter(check: PictureCheck, chapter: Chapter) -> Chapter:
    """A chapter with the pictures of its title, body and notes checked and named."""
    place = Place(chapter.path, 1, chapter.path.parent)
    return replace(
        chapter,
        title_markup=check.fragment(chapter.title_markup, place),
        body=check.fragment(chapter.body, place),
        footnotes=tuple(replace(note, body=check.fragment(note.body, place)) for note in chapter.footnotes),
    )


def content_refusal(url: str, path: Path) -> str:
    """Why a file is refused as a picture (wrong kind, too large, damaged, scripted), or ''."""
    kind = PICTURE_TYPES.get(path.suffix.lower())
    if kind is None:
        return f"image '{url}' is not a picture: use a PNG, JPEG, GIF, WebP or SVG file"
    if path.stat().st_size > MAX_PICTURE_BYTES:
        return f"image '{url}' is larger than 10 MB"
    if path.suffix.lower() == ".svg":
        return _svg_refusal(url, path)
    with path.open("rb") as handle:
        head = handle.read(16)
    if not any(head.startswith(sig) for sig in kind.signatures):
        return f"image '{url}' is not a {path.suffix.lower().lstrip('.').upper()} file"
    return _raster_refusal(url, path)


def _raster_refusal(url: str, path: Path) -> str:
    """Why a raster picture is refused: too many pixels, or it does not decode completely."""
    from PIL import Image as Raster  # Pillow comes with WeasyPrint; imported only when a document has pictures

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Raster.DecompressionBombWarning)  # our own limit speaks instead
            with Raster.open(path) as picture:
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    return (f"image '{url}' is {width} x {height} pixels; pictures are limited to "
                            f"{MAX_PIXELS // 1_000_000} megapixels: scale it down")
                picture.load()
    except (OSError, SyntaxError, ValueError, Raster.DecompressionBombError):
        return f"image '{url}' is damaged and cannot be read"
    return ""


def _svg_refusal(url: str, path: Path) -> str:
    """Why an SVG is refused: not SVG, scripted, or pointing at other files (which the EPUB would carry as is)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError:
        return f"image '{url}' is not a well-formed SVG file"
    if root.tag != f"{SVG_NS}svg":
        return f"image '{url}' is not an SVG file"
    for element in _elements(root):
        if element.tag in {f"{SVG_NS}script", f"{SVG_NS}foreignObject"} or any(n.lower().startswith("on") for n in element.attrib):
            return f"image '{url}' holds a script; pictures must not run code"
        refs = [v for n, v in element.attrib.items() if n.endswith("href")]
        text = " ".join(element.attrib.values()) + (element.text or "")
        refs += re.findall(r"url\(\s*['\"]?([^'\")]*)", text)
        if any(not ref.strip().startswith("#") for ref in refs) or (element.tag == f"{SVG_NS}style" and "@import" in text):
            return f"image '{url}' refers to other files; an SVG picture must be self-contained"
    return ""


def _elements(root: Element) -> Iterator[Element]:
    """The elements of an SVG (comments and processing instructions left out)."""
    return (element for element in root.iter() if isinstance(element.tag, str))


# A picture a template writes (a logo in a copied web/document.html): its src attribute as rendered.
TEMPLATE_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@dataclass(frozen=True)
class TemplatePicture:
    """A picture a rendered template names: the src as written, and its checked Picture or why it is refused."""

    src: str
    picture: Picture | None
    refusal: str


def template_pictures(markup: str, document: Document, known: frozenset[str]) -> list[TemplatePicture]:
    """Every picture the rendered markup names but ``known`` (files the output already carries) and
    data: URIs (already inside), checked now as a chapter's would be."""
    import html

    check = PictureCheck(document.root)
    found: dict[str, TemplatePicture] = {}
    for match in TEMPLATE_IMG_SRC.finditer(markup):
        src = match.group(1) if match.group(1) is not None else match.group(2)
        url = html.unescape(src).strip()
        if url in known or unquote(url) in known or url.lower().startswith("data:") or src in found:
            continue
        name, reason = check._name(url, document.root)
        picture = Picture(name, PICTURE_TYPES[Path(name).suffix.lower()].media_type) if name else None
        found[src] = TemplatePicture(src, picture, reason)
    return list(found.values())


def picture_names(document: Document) -> frozenset[str]:
    """The names the pictures pass gave (as src attributes hold them, URL-encoded, and as written)."""
    return frozenset({quote(p.name) for p in document.pictures} | {p.name for p in document.pictures})


def read_picture(document: Document, picture: Picture) -> bytes:
    """The bytes of a picture the pass accepted (writers read pictures only through this)."""
    return (document.root.resolve() / picture.name).read_bytes()


# Pictures for screens (the EPUB and the web page): wider than this is wider than any reading
# view shows them, so they are scaled down; the PDF keeps the originals for print.
SCREEN_WIDTH = 1600
JPEG_QUALITY = 85


def screen_picture(document: Document, picture: Picture) -> bytes:
    """The bytes of a picture for the screen outputs: a PNG or JPEG wider than SCREEN_WIDTH scaled
    down to it (never up), in its own format (a PNG stays a lossless PNG, optimised; a JPEG is
    re-encoded only when that is smaller); every other picture as it is. The same bytes every run."""
    path = document.root.resolve() / picture.name
    status = path.stat()
    return _screen_bytes(str(path), status.st_size, status.st_mtime_ns, picture.media_type)


def screen_saving(document: Document) -> int:
    """How many bytes the screen pictures save over the originals (for dist's report)."""
    return sum(len(read_picture(document, p)) - len(screen_picture(document, p)) for p in document.pictures)


@functools.lru_cache(maxsize=64)
def _screen_bytes(path: str, _size: int, _mtime: int, media_type: str) -> bytes:
    """screen_picture's work, remembered while the file is unchanged (the EPUB and web page share it)."""
    from PIL import Image, ImageOps  # imported here: only pictures need it

    original = Path(path).read_bytes()
    if media_type not in {"image/png", "image/jpeg"}:
        return original
    with Image.open(io.BytesIO(original)) as opened:
        image = ImageOps.exif_transpose(opened)  # the orientation is kept when EXIF is not
        if image.width <= SCREEN_WIDTH:
            return original
        height = max(1, round(image.height * SCREEN_WIDTH / image.width))
        icc = opened.info.get("icc_profile")
        if image.mode == "P" or (media_type == "image/jpeg" and image.mode not in {"L", "RGB", "CMYK"}):
            image = image.convert("RGBA" if media_type == "image/png" else "RGB")
        scaled = image.resize((SCREEN_WIDTH, height), Image.LANCZOS)
    out = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if media_type == "image/png":
        scaled.save(out, format="PNG", optimize=True, **extra)
    else:
        scaled.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False, **extra)
    data = out.getvalue()
    return data if len(data) < len(original) else original
