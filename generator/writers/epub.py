"""The EPUB writer: EPUB 3 with a cover, a nav document, an NCX and one XHTML file per chapter.

Every content document, the nav and the stylesheet come from Jinja templates; ebooklib
only packages them (manifest, spine, NCX, container, package document). The finishing
steps read like the book's parts: metadata, resources, content documents, table of
contents, spine, package, zip. The zip is rewritten with fixed timestamps and order so
that the same sources give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from generator.cover import SUPPLIED_COVER, cover_alt_text, cover_image
from generator.errors import Problem, SourceError
from generator.guard import checked_epub
from generator.model import Chapter, Document, Heading
from generator.writers import WriteContext, build_time

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
COVER_FILE = SUPPLIED_COVER.as_posix()
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # http:, data:, file: ...
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


class RawXhtml(epub.EpubHtml):
    """A content document whose bytes we rendered ourselves; ebooklib must not re-parse them."""

    def __init__(self, uid: str, file_name: str, title: str, content: bytes, properties: list[str] | None = None) -> None:
        super().__init__(uid=uid, file_name=file_name, title=title)
        self.content = content
        self.properties = properties or []

    def get_content(self, default: bytes | None = None) -> bytes:
        """The rendered XHTML, unchanged."""
        return self.content


class PackageWriter(epub.EpubWriter):
    """ebooklib's writer, with the publication's language declared on the package element too."""

    def __init__(self, target: io.BytesIO, book: epub.EpubBook, language: str, options: dict[str, Any]) -> None:
        super().__init__(target, book, options)
        self.language = language

    def _write_opf_file(self, root: etree._Element) -> None:
        """Add ``xml:lang`` to ``<package>`` (ebooklib only writes dc:language), then write."""
        root.set(XML_LANG, self.language)
        super()._write_opf_file(root)


@dataclass(frozen=True)
class Part:
    """One content document of the book, in spine order."""

    uid: str
    file_name: str
    title: str
    template: str
    properties: tuple[str, ...] = ()
    in_toc: bool = True
    sections: tuple[Heading, ...] = ()  # listed under the part in the table of contents


@dataclass(frozen=True)
class Resource:
    """A file of the book that is not a content document: stylesheet, cover, picture."""

    uid: str
    file_name: str
    media_type: str
    content: bytes
    properties: tuple[str, ...] = ()


class EpubWriter:
    """Renders the ``epub/`` templates and packages them."""

    name = "epub"

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>.epub``."""
        return ctx.out_dir / f"{ctx.document.slug}.epub"

    def render(self, ctx: WriteContext) -> bytes:
        """Build the whole EPUB in memory."""
        document = ctx.document
        book = book_with_metadata(document)
        for resource in resources(ctx):
            book.add_item(resource_item(resource))
        parts = content_parts(document)
        items = {part.uid: self._content_item(ctx, part, parts) for part in parts}
        for item in items.values():
            book.add_item(item)
        book.add_item(epub.EpubNcx())
        book.toc = ncx_entries(parts, items)
        book.spine = [items[part.uid] for part in parts]
        return checked_epub(repack_zip(package(book, document)), ctx.env)

    def _content_item(self, ctx: WriteContext, part: Part, parts: list[Part]) -> RawXhtml:
        """Render one content document from its template."""
        chapter = next((c for c in ctx.document.chapters if c.id == part.uid), None)
        doc = ctx.document
        content = ctx.env.get_template(part.template).render(
            doc=doc, meta=doc.meta, chapter=chapter, part=part, parts=parts,
            cover_file=COVER_FILE, cover_alt=cover_alt_text(doc.meta),
        )
        return RawXhtml(part.uid, part.file_name, part.title, content.encode("utf-8"), list(part.properties))


def content_parts(document: Document) -> list[Part]:
    """The content documents in reading order: cover, title page, contents, chapters, glossary."""
    parts = [
        Part("cover", "cover.xhtml", "Cover", "epub/cover.xhtml", in_toc=False),
        Part("title", "title.xhtml", "Title page", "epub/title.xhtml"),
        Part("nav", "nav.xhtml", "Contents", "epub/nav.xhtml", ("nav",), in_toc=False),
    ]
    parts += [
        Part(c.id, c.file_name, c.title, "epub/chapter.xhtml", sections=tuple(h for h in c.headings if h.level == 2))
        for c in document.chapters
    ]
    if document.glossary:
        parts.append(Part("glossary", "glossary.xhtml", "Glossary", "epub/glossary.xhtml"))
    return parts


def book_with_metadata(document: Document) -> epub.EpubBook:
    """An EpubBook carrying the document's bibliographic and accessibility metadata."""
    meta = document.meta
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    # set_title would add a dc:title without an id, which the subtitle refinement needs.
    book.title = meta.title
    book.add_metadata("DC", "title", meta.title, {"id": "main-title"})
    book.add_metadata("OPF", "meta", "main", {"refines": "#main-title", "property": "title-type"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata("OPF", "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.set_language(meta.language)
    for n, author in enumerate(meta.authors, start=1):
        # ebooklib's add_author gives every creator the id "creator"; ids must be unique.
        book.add_metadata("DC", "creator", author, {"id": f"creator{n}"})
        book.add_metadata("OPF", "meta", "aut", {"refines": f"#creator{n}", "property": "role", "scheme": "marc:relators"})
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    book.add_metadata("DC", "date", meta.date.isoformat())
    if meta.summary_text:
        book.add_metadata("DC", "description", " ".join(meta.summary_text))
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    # EPUB 2 reading systems find the cover through this; EPUB 3 ones through cover-image.
    book.add_metadata("OPF", "cover", "", {"name": "cover", "content": "cover-image"})
    for prop, value in accessibility_metadata(document):
        book.add_metadata("OPF", "meta", value, {"property": prop})
    return book


def accessibility_metadata(document: Document) -> list[tuple[str, str]]:
    """The EPUB Accessibility 1.1 properties, as (property, value) pairs in a fixed order."""
    has_images = any(c.images for c in document.chapters)
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if has_images:
        features.append("alternativeText")
    modes = ["textual", "visual"] if has_images else ["textual"]
    sufficient = ["textual"] + (["textual,visual"] if has_images else [])
    return [
        ("dcterms:conformsTo", CONFORMANCE),
        *[("schema:accessMode", m) for m in modes],
        *[("schema:accessModeSufficient", m) for m in sufficient],
        *[("schema:accessibilityFeature", f) for f in features],
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", accessibility_summary(has_images)),
    ]


def accessibility_summary(has_images: bool) -> str:
    """A plain-language account of what makes the book accessible."""
    images = " Every picture has a text description, so the text alone conveys everything." if has_images else ""
    return (
        "This publication meets EPUB Accessibility 1.1 at WCAG 2.2 Level AA. "
        "Chapters and sections are marked up as headings, and a table of contents and landmarks "
        "lead to them; the reading order follows the text. Footnotes open as pop-up notes and "
        "link back to where they are called; glossary terms link to their definitions, and each "
        f"definition links back to every place the term is used.{images}"
    )


def resources(ctx: WriteContext) -> list[Resource]:
    """The stylesheet, the cover image and every picture the chapters show."""
    document = ctx.document
    css = ctx.env.get_template("epub/epub.css").render(doc=document).encode("utf-8")
    found = [
        Resource("css", "styles/epub.css", "text/css", css),
        Resource("cover-image", COVER_FILE, "image/png", cover_image(document), ("cover-image",)),
    ]
    return found + chapter_images(document, {COVER_FILE})


def chapter_images(document: Document, taken: set[str]) -> list[Resource]:
    """The pictures of every chapter, each once, named by their path in the document folder."""
    images: list[Resource] = []
    problems: list[Problem] = []
    for chapter in document.chapters:
        for path in chapter.images:
            name = image_name(document, chapter, path, problems)
            if name and name not in taken:
                taken.add(name)
                uid = f"img{len(images) + 1}"
                images.append(Resource(uid, name, IMAGE_TYPES[Path(name).suffix.lower()], (document.root / name).read_bytes()))
    if problems:
        raise SourceError(problems)
    return images


def image_name(document: Document, chapter: Chapter, path: Path, problems: list[Problem]) -> str | None:
    """An image's path inside the document folder (and the EPUB), or None with a problem."""
    source = path.relative_to(chapter.path.parent).as_posix() if path.is_relative_to(chapter.path.parent) else str(path)
    line = line_of(chapter.path, source) or line_of(chapter.path, path.name) or 1
    resolved = path.resolve()
    if URL_SCHEME.match(source) or source.startswith("/"):
        problems.append(Problem(chapter.path, line, 1, f"image '{source}' must be a file in the document's folder"))
    elif not resolved.is_relative_to(document.root.resolve()):
        problems.append(Problem(chapter.path, line, 1, f"image '{source}' lies outside the document's folder"))
    elif not resolved.is_file():
        problems.append(Problem(chapter.path, line, 1, f"image '{source}' not found"))
    elif resolved.suffix.lower() not in IMAGE_TYPES:
        problems.append(Problem(chapter.path, line, 1, f"image '{source}' is not PNG, JPEG, GIF, SVG or WebP"))
    else:
        return resolved.relative_to(document.root.resolve()).as_posix()
    return None


def line_of(path: Path, needle: str) -> int:
    """The first line of a file that mentions needle (0 when none does)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((n for n, line in enumerate(lines, start=1) if needle in line), 0)


def resource_item(resource: Resource) -> epub.EpubItem:
    """The ebooklib manifest item of a resource."""
    item = epub.EpubItem(uid=resource.uid, file_name=resource.file_name, media_type=resource.media_type, content=resource.content)
    item.properties = list(resource.properties)  # ebooklib writes them into the manifest
    return item


def ncx_entries(parts: list[Part], items: dict[str, RawXhtml]) -> list[Any]:
    """The NCX's table of contents, as the nav's: each part, with a chapter's sections under it."""
    entries: list[Any] = []
    for part in (p for p in parts if p.in_toc):
        sections = [epub.Link(f"{part.file_name}#{h.id}", h.text, h.id) for h in part.sections]
        entries.append((items[part.uid], sections) if sections else items[part.uid])
    return entries


def package(book: epub.EpubBook, document: Document) -> bytes:
    """Let ebooklib package the book into a zip in memory; errors raise instead of returning False."""
    buffer = io.BytesIO()
    writer = PackageWriter(buffer, book, document.meta.language, {
        "epub3_pages": False,  # it would file every element with an id and epub:type as a page break
        "epub3_landmark": False,  # our nav template writes the landmarks
        "epub2_guide": False,
        "mtime": build_time(document),
        "raise_exceptions": True,
    })
    writer.process()
    writer.write()  # called directly, so an OSError propagates rather than becoming False
    return buffer.getvalue()


def repack_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps: mimetype first and stored, then the rest in name order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(source.namelist(), key=lambda n: (n != "mimetype", n != "META-INF/container.xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name), compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
