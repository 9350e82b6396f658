"""The EPUB writer: EPUB 3 with a cover, a nav document, an NCX and one XHTML file per chapter.

Every content document, the nav and the stylesheet come from Jinja templates; ebooklib
only packages them (manifest, spine, NCX, container, package document). The finishing
steps read like the book's parts: metadata, resources, content documents, table of
contents, spine, package, zip. The zip is rewritten with fixed timestamps and order so
that the same sources give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ebooklib import epub
from markupsafe import Markup

from generator.cover import SUPPLIED_COVER, cover_alt_text, cover_image
from generator.engine import PackageWriter
from generator.guard import checked_epub, checked_template_pictures
from generator.labels import document_labels
from generator.licences import rights_statement
from generator.links import collect_targets
from generator.model import Document, Heading, Picture
from generator.pictures import picture_names, screen_picture
from generator.scripts import script_for
from generator.tree import (EPUB_NS, Element, Fragment, break_long_words_in_cells, keep_words_whole, mark_wide_tables,
                            split_leading_paragraph, to_xhtml)
from generator.writers import ContentMarkup, Output, WriteContext, build_time

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COVER_FILE = SUPPLIED_COVER.as_posix()
EPUB_TYPE = f"{{{EPUB_NS}}}type"
# The semantics reading systems look for, from the ARIA role each generated link carries. A
# glossref is a noteref too: Apple Books and Kobo's iOS app pop up a noteref's target when it is
# marked as a footnote (the glossary's definition paragraph is, templates/epub/glossary.xhtml);
# glossref comes first, for DAISY Ace matches the role against the first type it knows.
EPUB_TYPES = {"doc-noteref": "noteref", "doc-glossref": "glossref noteref", "doc-biblioref": "biblioref"}
# Where the ids of the parts around the chapters live in the book.
FRAME_FILES = {"toc": "nav.xhtml", "toc-title": "nav.xhtml", "key-points-title": "title.xhtml"}
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

    def render(self, ctx: WriteContext) -> list[Output]:
        """Build the whole EPUB in memory."""
        document = ctx.document
        book = book_with_metadata(document)
        parts = content_parts(document)
        markup = EpubMarkup(document)
        items = {part.uid: self._content_item(ctx, part, parts, markup) for part in parts}
        for resource in resources(ctx) + template_resources(ctx, parts, items):
            book.add_item(resource_item(resource))
        for item in items.values():
            book.add_item(item)
        book.add_item(epub.EpubNcx())
        book.toc = ncx_entries(parts, items)
        book.spine = [items[part.uid] for part in parts]
        return [Output(self.output_path(ctx), checked_epub(repack_zip(package(book, document)), ctx.env))]

    def _content_item(self, ctx: WriteContext, part: Part, parts: list[Part], markup: EpubMarkup) -> RawXhtml:
        """Render one content document from its template."""
        chapter = next((c for c in ctx.document.chapters if c.id == part.uid), None)
        doc = ctx.document
        content = ctx.env.get_template(part.template).render(
            doc=doc, meta=doc.meta, chapter=chapter, part=part, parts=parts, markup=markup.part(part.file_name),
            cover_file=COVER_FILE, cover_alt=cover_alt_text(doc.meta), files=markup.files,
        )
        return RawXhtml(part.uid, part.file_name, part.title, content.encode("utf-8"), list(part.properties))


class EpubMarkup:
    """The document's content as the EPUB's content documents show it: links point into the right file."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.files = id_files(document)

    def part(self, file_name: str) -> ContentMarkup:
        """The content serialised for one content document (links to its own ids stay bare)."""
        doc = self.document
        here = file_name

        def show(fragment: Fragment) -> Markup:
            return Markup(epub_xhtml(fragment, here, self.files))

        notes = [(n.id, split_leading_paragraph(n.body.root)) for c in doc.chapters if c.file_name == here for n in c.footnotes]

        return ContentMarkup(
            titles={c.id: show(c.title_markup) for c in doc.chapters},
            bodies={c.id: show(c.body) for c in doc.chapters if c.file_name == here},
            notes={note_id: show(Fragment(first)) for note_id, (first, _) in notes},
            note_blocks={note_id: show(Fragment(rest)) for note_id, (_, rest) in notes},
            definitions={e.id: show(e.definition) for e in doc.glossary} if here == "glossary.xhtml" else {},
            summary=[show(point) for point in doc.meta.summary],
        )


def id_files(document: Document) -> dict[str, str]:
    """The content document that holds each id of the book."""
    files: dict[str, str] = {}
    for anchor, part in collect_targets(document).owner.items():
        if part == "glossary":
            files[anchor] = "glossary.xhtml"
        elif part == "front":
            files[anchor] = FRAME_FILES.get(anchor, "nav.xhtml")
        else:
            files[anchor] = f"{part}.xhtml"
    return files


def epub_xhtml(fragment: Fragment, here: str, files: dict[str, str]) -> str:
    """A fragment as the EPUB writes it: epub:type on noterefs and glossrefs, links qualified by file,
    wide tables classed to be set smaller, words in cells kept whole where their column allows,
    long words in cells given break points.

    No table is put in a box that scrolls sideways (the web page's ``div.table-wrap``): a paginated
    reading system lays a scrolling box out as one piece, so a table taller than the page lost its
    rows below the page's foot in foliate-js and epub.js. EPUB tables fit the column instead (epub.css).
    """
    root = fragment.copy()
    mark_wide_tables(root)
    keep_words_whole(root)
    break_long_words_in_cells(root)
    for link in root.iter("a"):
        qualify_link(link, here, files)
        kind = EPUB_TYPES.get(link.get("role", ""))
        if kind:
            set_epub_type(link, kind)
    for section in root.iter("section"):
        if section.get("role") == "doc-bibliography":
            set_epub_type(section, "bibliography")
    return to_xhtml(root, epub_types=True)


def set_epub_type(element: Element, kind: str) -> None:
    """Add ``epub:type`` right after the class, where the templates write it too."""
    attributes = list(element.attrib.items())
    element.attrib.clear()
    for name, value in attributes:
        element.set(name, value)
        if name == "class":
            element.set(EPUB_TYPE, kind)
    if EPUB_TYPE not in element.attrib:
        element.set(EPUB_TYPE, kind)


def qualify_link(link: Element, here: str, files: dict[str, str]) -> None:
    """Point an internal link at the file holding its target (a chapter's own id: the file itself)."""
    href = link.get("href", "")
    if not href.startswith("#"):
        return
    anchor = unquote(href[1:])
    target = files.get(anchor)
    if target is None or (target == here and anchor != target.removesuffix(".xhtml")):
        return
    link.set("href", target if anchor == target.removesuffix(".xhtml") else f"{target}{href}")


def content_parts(document: Document) -> list[Part]:
    """The content documents in reading order: cover, title page, contents, chapters, glossary."""
    labels = document_labels(document)
    parts = [
        Part("cover", "cover.xhtml", labels["cover"], "epub/cover.xhtml", in_toc=False),
        Part("title", "title.xhtml", labels["title_page"], "epub/title.xhtml"),
        Part("nav", "nav.xhtml", labels["contents"], "epub/nav.xhtml", ("nav",), in_toc=False),
    ]
    parts += [
        Part(c.id, c.file_name, c.title, "epub/chapter.xhtml", sections=tuple(h for h in c.headings if h.level == 2))
        for c in document.chapters
    ]
    if document.glossary:
        parts.append(Part("glossary", "glossary.xhtml", labels["glossary"], "epub/glossary.xhtml"))
    return parts


def book_with_metadata(document: Document) -> epub.EpubBook:
    """An EpubBook carrying the document's bibliographic and accessibility metadata."""
    meta = document.meta
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    if meta.identifier.startswith("urn:uuid:"):
        # Library managers (Calibre) read the scheme from this refinement, not from the value.
        book.add_metadata("OPF", "meta", "uuid", {"refines": "#id", "property": "identifier-type", "scheme": "xsd:string"})
    # set_title would add a dc:title without an id, which the subtitle refinement needs.
    book.title = meta.title
    book.add_metadata("DC", "title", meta.title, {"id": "main-title"})
    add_title_refinements(book, "main-title", "main", meta.title, 1)
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        add_title_refinements(book, "subtitle", "subtitle", meta.subtitle, 2)
    book.set_language(meta.language)
    if script_for(meta.language).direction == "rtl":  # ebooklib writes it as the spine's page-progression-direction
        book.set_direction("rtl")
    for n, author in enumerate(meta.authors, start=1):
        # ebooklib's add_author gives every creator the id "creator"; ids must be unique.
        book.add_metadata("DC", "creator", author, {"id": f"creator{n}"})
        book.add_metadata("OPF", "meta", "aut", {"refines": f"#creator{n}", "property": "role", "scheme": "marc:relators"})
        book.add_metadata("OPF", "meta", author_sort(author), {"refines": f"#creator{n}", "property": "file-as"})
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    book.add_metadata("DC", "date", meta.date.isoformat())
    if meta.licence:
        book.add_metadata("DC", "rights", rights_statement(meta.licence))
    if meta.series:
        book.add_metadata("OPF", "meta", meta.series, {"id": "series", "property": "belongs-to-collection"})
        book.add_metadata("OPF", "meta", "series", {"refines": "#series", "property": "collection-type"})
    if meta.summary_text:
        book.add_metadata("DC", "description", " ".join(meta.summary_text))
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    # EPUB 2 reading systems find the cover through this; EPUB 3 ones through cover-image.
    book.add_metadata("OPF", "cover", "", {"name": "cover", "content": "cover-image"})
    for prop, value in accessibility_metadata(document):
        book.add_metadata("OPF", "meta", value, {"property": prop})
    return book


def add_title_refinements(book: epub.EpubBook, title_id: str, kind: str, text: str, sequence: int) -> None:
    """Say which title is which, in what order, and how to sort it, so that a library manager shows
    the title alone rather than "Title: Subtitle"."""
    for prop, value in (("title-type", kind), ("display-seq", str(sequence)), ("file-as", text)):
        book.add_metadata("OPF", "meta", value, {"refines": f"#{title_id}", "property": prop})


def author_sort(name: str) -> str:
    """An author's sort key, "Surname, Given names" for a personal name of two or three words;
    a name with other words or a comma (an organisation, "Smith, Jane") is kept as written."""
    words = name.split()
    organisation = {"desk", "team", "press", "office", "group", "unit", "institute", "department", "and", "of", "&"}
    if "," in name or not 2 <= len(words) <= 3 or any(w.lower() in organisation for w in words):
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def accessibility_metadata(document: Document) -> list[tuple[str, str]]:
    """The EPUB Accessibility 1.1 properties, as (property, value) pairs in a fixed order."""
    has_images = bool(document.pictures)
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
    """A plain-language account of what makes the book accessible, in English whatever the book's language."""
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
    css = epub_stylesheet(ctx).encode("utf-8")
    found = [
        Resource("css", "styles/epub.css", "text/css", css),
        Resource("cover-image", COVER_FILE, "image/png", cover_image(document), ("cover-image",)),
    ]
    pictures = [
        Resource(f"img{n}", picture.name, picture.media_type, screen_picture(document, picture))
        for n, picture in enumerate((p for p in document.pictures if p.name != COVER_FILE), start=1)
    ]
    return found + pictures


def template_resources(ctx: WriteContext, parts: list[Part], items: dict[str, RawXhtml]) -> list[Resource]:
    """The pictures the content documents' templates name beyond the chapters' and the cover, checked, for the manifest."""
    document, found = ctx.document, dict[str, Picture]()
    for part in parts:
        markup = items[part.uid].content.decode("utf-8")
        for item in checked_template_pictures(markup, document, ctx.env, part.template,
                                              picture_names(document) | {COVER_FILE}):
            found.setdefault(item.picture.name, item.picture)
    return [Resource(f"tpl{n}", p.name, p.media_type, screen_picture(document, p)) for n, p in enumerate(found.values(), start=1)]


def epub_stylesheet(ctx: WriteContext) -> str:
    """epub.css, then the theme's settings (epub/theme.css), kept apart so that either may be overridden alone."""
    document = ctx.document
    base = ctx.env.get_template("epub/epub.css").render(doc=document)
    return base + "\n" + ctx.env.get_template("epub/theme.css").render(doc=document, meta=document.meta)


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
