"""The web writer: one self-contained HTML file per document, for the web and for email.

Everything the page needs travels inside it: the stylesheet in a ``<style>`` element and each
picture as a ``data:`` URI, read through the same sandboxed fetcher as the PDF so that a
chapter can only embed files from its own document folder. Fonts are not embedded: the
stylesheet names the project's fonts first and falls back to system font stacks, which keeps
the seed briefing's file small enough to mail.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from generator.errors import Problem, SourceError
from generator.guard import checked_web_page
from generator.model import Chapter, Document, GlossaryEntry, TermUse
from generator.writers import WriteContext

if TYPE_CHECKING:
    from generator.fetch import SandboxedFetcher

IMAGE_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')
HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>/])")
EPUB_TYPE = re.compile(r'\sepub:type="[^"]*"')
INLINE_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$")
PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"})


@dataclass(frozen=True)
class ChapterUses:
    """The uses of one glossary term inside one chapter, for the glossary's back-links."""

    chapter: Chapter
    uses: tuple[TermUse, ...]


class HtmlWriter:
    """Renders ``web/document.html`` with its stylesheet and pictures inlined."""

    name = "html"

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>.html``."""
        return ctx.out_dir / f"{ctx.document.slug}.html"

    def render(self, ctx: WriteContext) -> bytes:
        """The whole page, as UTF-8 bytes."""
        document = web_document(ctx.document)
        template = ctx.env.get_template("web/document.html")
        html = template.render(doc=document, meta=document.meta, options=ctx.options,
                               uses_by_chapter={e.id: uses_by_chapter(document, e) for e in document.glossary})
        return checked_web_page(html, ctx.env).encode("utf-8")


def web_document(document: Document) -> Document:
    """The document with each chapter's markup adapted to a single web page."""
    fetcher = _fetcher(document.root)
    problems: list[Problem] = []
    chapters = tuple(web_chapter(chapter, fetcher, problems) for chapter in document.chapters)
    if problems:
        raise SourceError(problems)
    # Definitions cross-reference other terms with the same glossref markup as the chapters.
    glossary = tuple(replace(e, definition_html=EPUB_TYPE.sub("", e.definition_html)) for e in document.glossary)
    return replace(document, chapters=chapters, glossary=glossary)


def web_chapter(chapter: Chapter, fetcher: SandboxedFetcher, problems: list[Problem]) -> Chapter:
    """One chapter with pictures embedded, headings one level down, tables scrollable, no EPUB attributes."""
    html = wrap_tables(demote_headings(EPUB_TYPE.sub("", chapter.html)))
    html = IMAGE_SRC.sub(lambda m: m.group(1) + escape(_data_uri(chapter, unescape(m.group(2)), fetcher, problems)) + m.group(3), html)
    notes = tuple(replace(note, html=EPUB_TYPE.sub("", note.html)) for note in chapter.footnotes)
    return replace(chapter, html=html, footnotes=notes)


def demote_headings(html: str) -> str:
    """Move every heading one level down: the page's h1 is the document title, chapters are h2."""
    return HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", html)


def wrap_tables(html: str) -> str:
    """Put each table in a box that scrolls sideways on a phone instead of widening the page."""
    return html.replace("<table>", '<div class="table-wrap"><table>').replace("</table>", "</table></div>")


def uses_by_chapter(document: Document, entry: GlossaryEntry) -> list[ChapterUses]:
    """An entry's uses grouped by chapter, in reading order."""
    groups = [ChapterUses(c, tuple(u for u in entry.uses if u.chapter_id == c.id)) for c in document.chapters]
    return [group for group in groups if group.uses]


def _data_uri(chapter: Chapter, src: str, fetcher: SandboxedFetcher, problems: list[Problem]) -> str:
    """The picture a chapter names, as a data: URI; a refused or missing one is a source problem."""
    if INLINE_IMAGE.match(src):
        return src
    from weasyprint.urls import FatalURLFetchingError, URLFetchingError

    url = urljoin(chapter.path.parent.resolve().as_uri() + "/", src)
    try:
        response = fetcher.fetch(url)
        data, media_type = response.read(), response.headers.get_content_type()
    except (FatalURLFetchingError, URLFetchingError, OSError) as error:  # the fatal one is a BaseException
        problems.append(_problem(chapter.path, src, f"picture '{src}' cannot be embedded: {error}"))
        return ""
    if media_type not in PICTURE_TYPES:
        problems.append(_problem(chapter.path, src, f"'{src}' is not a picture (PNG, JPEG, GIF, SVG or WebP)"))
        return ""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _fetcher(root: Path) -> SandboxedFetcher:
    """The sandboxed fetcher, limited to the document's own folder."""
    from generator.fetch import SandboxedFetcher  # imports WeasyPrint: only when a page is rendered

    return SandboxedFetcher([root])


def _problem(path: Path, needle: str, message: str) -> Problem:
    """A problem placed at the first line of the chapter that mentions ``needle``."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return Problem(path, number, line.index(needle) + 1, message)
    except OSError:
        pass
    return Problem(path, 1, 1, message)
