"""The web writer: one self-contained HTML file per document, for the web and for email.

Everything the page needs travels inside it: the stylesheet in a ``<style>`` element and each
picture as a ``data:`` URI, read from the name the pictures pass gave it (a file it checked
inside the document folder). Fonts are not embedded: the
stylesheet names the project's fonts first and falls back to system font stacks, which keeps
the seed briefing's file small enough to mail.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markupsafe import Markup

from generator.guard import checked_template_pictures, checked_web_page
from generator.model import Chapter, Document, GlossaryEntry, TermUse
from generator.pictures import screen_picture
from generator.tree import Element, Fragment, split_leading_paragraph, to_html, wrap_tables
from generator.writers import ContentMarkup, Output, WriteContext

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


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

    def render(self, ctx: WriteContext) -> list[Output]:
        """The whole page, as UTF-8 bytes."""
        document = ctx.document
        template = ctx.env.get_template("web/document.html")
        html = template.render(doc=document, meta=document.meta, options=ctx.options, markup=web_markup(document),
                               uses_by_chapter={e.id: uses_by_chapter(document, e) for e in document.glossary})
        html = embed_template_pictures(html, document, ctx.env)
        return [Output(self.output_path(ctx), checked_web_page(html, ctx.env).encode("utf-8"))]


def web_markup(document: Document) -> ContentMarkup:
    """Every piece of content adapted to one web page: pictures inside, headings one level down, tables scrollable."""
    pictures = picture_uris(document)

    def show(fragment: Fragment, body: bool = False) -> Markup:
        root = fragment.copy()
        embed_pictures(root, pictures)
        if body:
            demote_headings(root)
            wrap_tables(root)
            join_note_markers(root)
        return Markup(to_html(root))

    notes = [(n.id, split_leading_paragraph(n.body.root)) for c in document.chapters for n in c.footnotes]
    return ContentMarkup(
        titles={c.id: show(c.title_markup) for c in document.chapters},
        bodies={c.id: show(c.body, body=True) for c in document.chapters},
        notes={note_id: show(Fragment(first)) for note_id, (first, _) in notes},
        note_blocks={note_id: show(Fragment(rest)) for note_id, (_, rest) in notes},
        definitions={e.id: show(e.definition) for e in document.glossary},
        summary=[show(point) for point in document.meta.summary],
    )


def picture_uris(document: Document) -> dict[str, str]:
    """Each picture of the document (checked by the pictures pass) as a data: URI, by its name."""
    return {
        p.name: f"data:{p.media_type};base64,{base64.b64encode(screen_picture(document, p)).decode('ascii')}"
        for p in document.pictures
    }


def embed_pictures(root: Element, pictures: dict[str, str]) -> None:
    """Point every picture at its data: URI, so that the page needs no other file."""
    for image in root.iter("img"):
        image.set("src", pictures.get(unquote(image.get("src", "")), ""))


def embed_template_pictures(html: str, document: Document, env: Any) -> str:
    """The page with every picture its templates name (the theme's logo, a logo in a copied
    web/document.html) checked as a chapter's picture is and put inside as a data: URI; a refused
    one is an error at the template line that names it."""
    for found in checked_template_pictures(html, document, env, "web/document.html"):
        data = base64.b64encode(screen_picture(document, found.picture)).decode("ascii")
        html = html.replace(f'src="{found.src}"', f'src="data:{found.picture.media_type};base64,{data}"')
        html = html.replace(f"src='{found.src}'", f"src='data:{found.picture.media_type};base64,{data}'")
    return html


WORD_JOINER = "\u2060"


def join_note_markers(root: Element) -> None:
    """Glue each footnote marker to the text before it with a word joiner: after punctuation
    ("competition.[1]") a line may otherwise break and start with the marker alone."""
    for marker in root.iter("a"):
        if "noteref" not in (marker.get("class") or "").split():
            continue
        previous = marker.getprevious()
        if previous is not None:
            if not previous.tail or not previous.tail[-1].isspace():  # "**word**[^1]" too
                previous.tail = (previous.tail or "") + WORD_JOINER
        else:
            parent = marker.getparent()
            if parent is not None and parent.text and not parent.text[-1].isspace():
                parent.text += WORD_JOINER


def demote_headings(root: Element) -> None:
    """Move every heading one level down: the page's h1 is the document title, chapters are h2."""
    for heading in root.iter(*HEADINGS):
        heading.tag = f"h{min(int(heading.tag[1]) + 1, 6)}"


def uses_by_chapter(document: Document, entry: GlossaryEntry) -> list[ChapterUses]:
    """An entry's uses grouped by chapter, in reading order."""
    groups = [ChapterUses(c, tuple(u for u in entry.uses if u.chapter_id == c.id)) for c in document.chapters]
    return [group for group in groups if group.uses]
