"""The EPUB writer: EPUB 3 with a nav document, an NCX and one XHTML file per chapter.

Every content document, the nav and the stylesheet come from Jinja templates; ebooklib
only packages them (manifest, spine, NCX, container). Its zip is then rewritten with fixed
timestamps and order so the same sources give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub

from generator.model import Document
from generator.writers import WriteContext

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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


class EpubWriter:
    """Renders the ``epub/`` templates and packages them."""

    name = "epub"

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>.epub``."""
        return ctx.out_dir / f"{ctx.document.slug}.epub"

    def render(self, ctx: WriteContext) -> bytes:
        """Build the whole EPUB in memory."""
        book = self._book(ctx.document)
        book.add_item(epub.EpubItem(uid="css", file_name="styles/epub.css", media_type="text/css",
                                    content=ctx.env.get_template("epub/epub.css").render(doc=ctx.document).encode()))
        parts = self._parts(ctx.document)
        items = [self._content_item(ctx, part) for part in parts]
        nav = RawXhtml("nav", "nav.xhtml", "Contents", self._render(ctx, "epub/nav.xhtml", parts=parts), ["nav"])
        for item in [*items, nav]:
            book.add_item(item)
        book.add_item(epub.EpubNcx())
        book.toc = [epub.Link(p.file_name, p.title, p.uid) for p in parts]
        book.spine = [items[0], nav, *items[1:]]
        return repack_zip(self._write(book, modified_time(ctx.document)))

    def _book(self, document: Document) -> epub.EpubBook:
        """An EpubBook carrying the document's metadata."""
        meta = document.meta
        book = epub.EpubBook()
        book.set_identifier(meta.identifier)
        book.set_title(meta.title)
        book.set_language(meta.language)
        for n, author in enumerate(meta.authors, start=1):
            # ebooklib's add_author gives every creator the id "creator"; ids must be unique.
            book.add_metadata("DC", "creator", author, {"id": f"creator{n}"})
        if meta.publisher:
            book.add_metadata("DC", "publisher", meta.publisher)
        book.add_metadata("DC", "date", meta.date.isoformat())
        if meta.summary_text:
            book.add_metadata("DC", "description", " ".join(meta.summary_text))
        return book

    def _parts(self, document: Document) -> list[Part]:
        """The content documents in reading order: title page, chapters, glossary."""
        parts = [Part("title", "title.xhtml", "Title page", "epub/title.xhtml")]
        parts += [Part(c.id, c.file_name, c.title, "epub/chapter.xhtml") for c in document.chapters]
        if document.glossary:
            parts.append(Part("glossary", "glossary.xhtml", "Glossary", "epub/glossary.xhtml"))
        return parts

    def _content_item(self, ctx: WriteContext, part: Part) -> RawXhtml:
        """Render one content document."""
        chapter = next((c for c in ctx.document.chapters if c.id == part.uid), None)
        content = self._render(ctx, part.template, chapter=chapter, part=part)
        return RawXhtml(part.uid, part.file_name, part.title, content)

    def _render(self, ctx: WriteContext, template: str, **values: object) -> bytes:
        """Render an EPUB template with the document in scope."""
        doc = ctx.document
        return ctx.env.get_template(template).render(doc=doc, meta=doc.meta, **values).encode("utf-8")

    def _write(self, book: epub.EpubBook, modified: dt.datetime) -> bytes:
        """Let ebooklib package the book into a zip in memory; errors raise instead of returning False."""
        buffer = io.BytesIO()
        writer = epub.EpubWriter(buffer, book, {
            "epub3_pages": False,  # it would file every element with an id and epub:type as a page break
            "epub3_landmark": False,  # our nav template writes the landmarks
            "epub2_guide": False,
            "mtime": modified,
            "raise_exceptions": True,
        })
        writer.process()
        writer.write()
        return buffer.getvalue()


def modified_time(document: Document) -> dt.datetime:
    """The build timestamp: SOURCE_DATE_EPOCH when set, otherwise the document's date, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.combine(document.meta.date, dt.time(), tzinfo=dt.timezone.utc)


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
