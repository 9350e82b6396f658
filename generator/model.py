"""The document model: frozen records, no I/O, no rendering.

Every stage after loading takes a Document and returns a Document; writers only read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    """A section heading inside a chapter (level 2 and below)."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Footnote:
    """A footnote of one chapter: its number, anchor id and HTML body (inline content)."""

    number: int
    id: str
    ref_id: str
    html: str


@dataclass(frozen=True)
class Chapter:
    """One Markdown file: its title (the leading ``# `` heading) and its body as XHTML."""

    id: str
    number: int
    path: Path
    title: str
    title_html: str
    html: str
    headings: tuple[Heading, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    images: tuple[Path, ...] = ()  # checked by the loader: real pictures inside the document folder

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
    """A glossary term with its definition (inline XHTML) and where it is used."""

    id: str
    term: str
    definition_html: str
    aliases: tuple[str, ...] = ()
    line: int = 0
    uses: tuple[TermUse, ...] = ()


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
    summary_html: tuple[str, ...] = ()
    summary_text: tuple[str, ...] = ()
    identifier: str = ""
    glossary_links: str = "first-per-chapter"
    keywords: tuple[str, ...] = ()
    allow_html: bool = False
    # document.yaml's ``labels:``, as written: label key → text, or plural forms as (form, text) pairs.
    labels: tuple[tuple[str, str | tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class Document:
    """A whole briefing: metadata, chapters in reading order, glossary in appendix order."""

    slug: str
    root: Path
    meta: Metadata
    chapters: tuple[Chapter, ...]
    glossary: tuple[GlossaryEntry, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def chapter(self, chapter_id: str) -> Chapter:
        """Return the chapter with this id."""
        return next(c for c in self.chapters if c.id == chapter_id)
