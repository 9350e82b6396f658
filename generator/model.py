"""The document model: frozen records, no I/O, no rendering.

Every stage after loading takes a Document and returns a Document; writers only read it.
Content (chapter bodies, titles, notes, definitions, key points) is held as element trees
(:class:`~generator.tree.Fragment`), which passes copy before they change them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from generator.tree import Fragment


@dataclass(frozen=True)
class Heading:
    """A section heading inside a chapter (level 2 and below)."""

    level: int
    id: str
    text: str
    explicit: bool = False  # the author gave the id (`## Why now {#why-now}`)


@dataclass(frozen=True)
class Footnote:
    """A footnote of one chapter: its number, anchor id and body (inline content)."""

    number: int
    id: str
    ref_id: str
    body: Fragment


@dataclass(frozen=True)
class Chapter:
    """One Markdown file: its title (the leading ``# `` heading) and its body as a tree."""

    id: str
    number: int
    path: Path
    name: str  # as listed under 'chapters' in document.yaml, relative to the document folder
    title: str
    title_markup: Fragment
    body: Fragment
    headings: tuple[Heading, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    alias: str = ""  # the id an author gave the chapter in its front matter (links to it go to its start)

    @property
    def file_name(self) -> str:
        """Name of the chapter's own XHTML file in an EPUB."""
        return f"{self.id}.xhtml"


@dataclass(frozen=True)
class TermUse:
    """One place in the text where a glossary term occurs."""

    chapter_id: str
    anchor: str
    linked: bool


@dataclass(frozen=True)
class GlossaryEntry:
    """A glossary term with its definition (inline content) and where it is used."""

    id: str
    term: str
    definition: Fragment
    aliases: tuple[str, ...] = ()
    line: int = 0
    uses: tuple[TermUse, ...] = ()


@dataclass(frozen=True)
class Theme:
    """document.yaml's ``theme:``, validated: what every output takes its colours and logo from."""

    accent: str = ""  # "#rrggbb"; "" keeps the project's teal
    tint: str = ""  # "#rrggbb", the pale ground of key points and notes; "" keeps the project's
    logo: str = ""  # a picture's path relative to the document folder, as written; "" for none
    logo_line: int = 0  # where the logo is written in document.yaml, for the pictures pass's message
    serif: str = ""  # an installed font family's name (validated with fontconfig); "" keeps Source Serif Pro
    sans: str = ""  # the same for headings and labels; "" keeps Source Sans Pro


@dataclass(frozen=True)
class Metadata:
    """The contents of ``document.yaml`` after validation."""

    title: str
    date: dt.date
    chapters: tuple[str, ...]
    subtitle: str = ""
    kind: str = ""
    language: str = "en"
    authors: tuple[str, ...] = ()
    publisher: str = ""
    summary: tuple[Fragment, ...] = ()
    summary_line: tuple[int, ...] = ()  # where each key point is written in document.yaml
    summary_text: tuple[str, ...] = ()
    identifier: str = ""
    glossary_links: str = "first-per-chapter"
    layout: str = ""  # "briefing", "report", or "" to choose by length (generator/filters.py, page_plan)
    keywords: tuple[str, ...] = ()
    series: str = ""  # the series the document belongs to (the EPUB's belongs-to-collection)
    allow_html: bool = False
    url: str = ""  # where the web edition will live; the PDF shows it with a QR code
    licence: str = ""  # an SPDX id of generator/licences.py's table
    doi: str = ""
    citation_style: str = ""  # a bundled CSL style's name or a .csl file of the folder (generator/citations.py)
    nocite: tuple[str, ...] = ()  # keys listed in References though uncited; "*" for every work
    lists: tuple[str, ...] = ()  # "figures", "tables": lists after the contents (generator/filters.py, caption_list)
    # document.yaml's ``labels:``, as written: label key → text, or plural forms as (form, text) pairs.
    labels: tuple[tuple[str, str | tuple[tuple[str, str], ...]], ...] = ()
    theme: Theme = Theme()


@dataclass(frozen=True)
class Picture:
    """A picture the document shows, checked by the loader: a file inside the document folder."""

    name: str  # its path relative to the document folder, POSIX style, as every output refers to it
    media_type: str


@dataclass(frozen=True)
class Document:
    """A whole briefing: metadata, chapters in reading order, glossary in appendix order."""

    slug: str
    root: Path
    meta: Metadata
    chapters: tuple[Chapter, ...]
    glossary: tuple[GlossaryEntry, ...] = ()
    pictures: tuple[Picture, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def chapter(self, chapter_id: str) -> Chapter:
        """Return the chapter with this id."""
        return next(c for c in self.chapters if c.id == chapter_id)
