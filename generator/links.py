"""The link pass: every id of the document collected, every link checked and resolved.

A link in a chapter may point at
- the web or an address: ``https://…``, ``http://…``, ``mailto:…``, ``tel:…``;
- an id in the same chapter: ``#why-now`` (a heading's own id, or the id made from its text,
  without the ``ch2-`` prefix) or any id of the document written in full (``#ch3-costs``);
- another chapter: ``02-compute.md`` (its start) or ``02-compute.md#why-now``.
Every internal link is rewritten to ``#<id>``, the id as the outputs carry it; each writer
then writes it in its own form (the EPUB's ``ch2.xhtml#id``). A link to nothing is an error
with its file, line and column and, when a name is close, "did you mean". The rules are
described for authors in README.md, "Links".
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.errors import Problem
from generator.model import Chapter, Document
from generator.tree import Fragment, ids, position

DOCUMENT_FILE = "document.yaml"
GLOSSARY_FILE = "glossary.yaml"
WEB_SCHEMES = ("http", "https")
ADDRESS_SCHEMES = ("mailto", "tel")
ALLOWED_IN_DOCUMENT = "link to a #section or another chapter (other.md#section)"
ALLOWED = "link to a web address (http, https, mailto, tel), a #section or another chapter (other.md#section)"
# Ids of the parts the templates write around the chapters (contents, glossary, key points).
FRAME_IDS = ("toc", "toc-title", "glossary", "glossary-title", "key-points-title")
GENERATED_CLASSES = frozenset({"noteref", "glossref"})  # links the tool made itself, always right


@dataclass
class Targets:
    """Every id of the document and the part that holds it ('ch2', 'glossary' or 'front')."""

    owner: dict[str, str] = field(default_factory=dict)
    short: dict[str, dict[str, str]] = field(default_factory=dict)  # per chapter: 'why-now' -> 'ch2-why-now'
    chapters: dict[str, Chapter] = field(default_factory=dict)  # by their name in document.yaml
    aliases: dict[str, str] = field(default_factory=dict)  # a chapter's own id (front matter) -> its id

    def add(self, anchor: str, part: str) -> None:
        """File an id under the part that holds it."""
        self.owner.setdefault(anchor, part)


def collect_targets(document: Document) -> Targets:
    """Every id a link may point at: chapters, headings, notes, glossary entries, the frame's."""
    targets = Targets(chapters={chapter.name: chapter for chapter in document.chapters})
    for anchor in FRAME_IDS:
        targets.add(anchor, "front" if not anchor.startswith("glossary") else "glossary")
    for chapter in document.chapters:
        _collect_chapter(targets, chapter)
    for entry in document.glossary:
        targets.add(entry.id, "glossary")
    return targets


def _collect_chapter(targets: Targets, chapter: Chapter) -> None:
    """The ids of one chapter, full and (for headings) short."""
    short = targets.short.setdefault(chapter.id, {})
    if chapter.alias:
        targets.aliases.setdefault(chapter.alias, chapter.id)
    for anchor in (chapter.id, f"{chapter.id}-title"):
        targets.add(anchor, chapter.id)
    for anchor, _ in ids(chapter.body.root):
        targets.add(anchor, chapter.id)
    for note in chapter.footnotes:
        targets.add(note.id, chapter.id)
    for heading in chapter.headings:
        short.setdefault(heading.id.removeprefix(f"{chapter.id}-") if not heading.explicit else heading.id, heading.id)


def link_pass(document: Document) -> tuple[Document, list[Problem]]:
    """Check and resolve every link of the document: the document with internal links as ``#id``, and the problems."""
    targets = collect_targets(document)
    problems = duplicate_ids(document)
    resolver = Resolver(document, targets, problems)
    meta_path = document.root / DOCUMENT_FILE  # in reading order: document.yaml, the chapters, the glossary
    lines = document.meta.summary_line or tuple(1 for _ in document.meta.summary)
    summary = tuple(resolver.fragment(point, meta_path, None, line) for point, line in zip(document.meta.summary, lines, strict=True))
    chapters = tuple(resolver.chapter(chapter) for chapter in document.chapters)
    glossary_path = document.root / GLOSSARY_FILE
    glossary = tuple(replace(e, definition=resolver.fragment(e.definition, glossary_path, None, e.line))
                     for e in document.glossary)
    resolved = replace(document, chapters=chapters, glossary=glossary, meta=replace(document.meta, summary=summary))
    return resolved, problems


def duplicate_ids(document: Document) -> list[Problem]:
    """Authors' heading ids given twice in the document."""
    problems: list[Problem] = []
    first: dict[str, tuple[Chapter, int]] = {c.alias: (c, 1) for c in reversed(document.chapters) if c.alias}
    for chapter in document.chapters:
        explicit = {h.id for h in chapter.headings if h.explicit}
        for anchor, element in ids(chapter.body.root):
            if anchor not in explicit or not element.tag.startswith("h"):
                continue
            line, column = position(element)
            if anchor in first:
                earlier, earlier_line = first[anchor]
                where = f"line {earlier_line}" if earlier is chapter else f"{earlier.name}, line {earlier_line}"
                problems.append(Problem(chapter.path, line or 1, column or 1, f"heading id '{anchor}' is also given in {where}"))
            else:
                first[anchor] = (chapter, line)
    return problems


class Resolver:
    """Checks the links of one document against its targets, rewriting internal ones."""

    def __init__(self, document: Document, targets: Targets, problems: list[Problem]) -> None:
        self.document = document
        self.root = document.root.resolve()
        self.targets = targets
        self.problems = problems

    def chapter(self, chapter: Chapter) -> Chapter:
        """One chapter with the links of its body and notes resolved."""
        return replace(
            chapter,
            body=self.fragment(chapter.body, chapter.path, chapter, 1),
            footnotes=tuple(replace(n, body=self.fragment(n.body, chapter.path, chapter, 1)) for n in chapter.footnotes),
        )

    def fragment(self, fragment: Fragment, path: Path, chapter: Chapter | None, line: int) -> Fragment:
        """A fragment with each link checked and internal ones rewritten (a copy only when something changes)."""
        links = [a for a in fragment.iter("a") if a.get("href") is not None and a.get("class") not in GENERATED_CLASSES]
        if not links:
            return fragment
        root = fragment.copy()
        for link in (a for a in root.iter("a") if a.get("href") is not None and a.get("class") not in GENERATED_CLASSES):
            where = position(link)
            href = self._resolve(link.get("href", "").strip(), path, chapter, (where[0] or line, where[1] or 1))
            if href is not None:
                link.set("href", href)
        return Fragment(root)

    def _resolve(self, url: str, path: Path, chapter: Chapter | None, where: tuple[int, int]) -> str | None:
        """The link as the outputs write it, or None (unchanged) when it goes outside or is refused."""
        if not url:
            return self._refuse(path, where, "a link needs a target: [text](https://…), [text](#section) or [text](other.md)")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in WEB_SCHEMES or scheme in ADDRESS_SCHEMES:
            if _good_address(url, scheme):
                return None
            return self._refuse(path, where, f"link '{url}' is not a complete address; {ALLOWED}")
        if url.startswith("#"):
            return self._fragment(url, unquote(url[1:]), path, chapter, where)
        if scheme or parts.netloc or not parts.path or url.startswith("/"):
            return self._refuse(path, where, f"link '{url}' is not allowed; {ALLOWED}")
        return self._file(url, unquote(parts.path), unquote(parts.fragment), path, where)

    def _fragment(self, url: str, name: str, path: Path, chapter: Chapter | None, where: tuple[int, int]) -> str | None:
        """``#name``: a short heading id of this chapter, or any id of the document."""
        found = self._in_chapter(name, chapter) if chapter else None
        found = found or self.targets.aliases.get(name)
        if found is None and name in self.targets.owner:
            found = name
        if found is not None:
            return f"#{found}"
        scope = "this chapter or the document" if chapter else "the document"
        return self._refuse(path, where, f"link '{url}' points at no heading or id of {scope}{self._near(name, chapter, '#')}")

    def _file(self, url: str, name: str, fragment: str, path: Path, where: tuple[int, int]) -> str | None:
        """``other.md`` or ``other.md#name``: another chapter of the document."""
        target_path = os.path.normpath(path.parent.resolve() / name)
        relative = Path(target_path).relative_to(self.root).as_posix() if Path(target_path).is_relative_to(self.root) else ""
        target = self.targets.chapters.get(relative)
        if target is None:
            if not name.endswith(".md"):
                return self._refuse(path, where, f"link '{url}' is to a file, and no output carries files beside "
                                                 f"the chapters: publish it and link to its web address (https://…), "
                                                 f"or {ALLOWED_IN_DOCUMENT}")
            if relative in self.document.meta.chapters:
                return None  # a listed chapter that could not be read: its own problem is reported
            close = difflib.get_close_matches(relative, list(self.targets.chapters), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; the chapters are: {', '.join(self.targets.chapters)}"
            return self._refuse(path, where, f"link '{url}' names no chapter of this document{hint}")
        if not fragment:
            return f"#{target.id}"
        found = self._in_chapter(fragment, target)
        if found is not None:
            return f"#{found}"
        near = self._near(fragment, target, f"{target.name}#")
        return self._refuse(path, where, f"link '{url}' points at no heading or id of chapter '{target.name}'{near}")

    def _in_chapter(self, name: str, chapter: Chapter) -> str | None:
        """An id of a chapter by its short or full name."""
        found = self.targets.short.get(chapter.id, {}).get(name)
        if found is None and self.targets.aliases.get(name) == chapter.id:
            found = chapter.id
        if found is None and self.targets.owner.get(name) == chapter.id:
            found = name
        return found

    def _near(self, name: str, chapter: Chapter | None, prefix: str) -> str:
        """'; did you mean …?' with the closest id a link could have meant, or ''."""
        names: Iterable[str] = self.targets.short.get(chapter.id, {}) if chapter else ()
        candidates = list(names) + list(self.targets.aliases) + [a for a in self.targets.owner if _authored(a)]
        close = difflib.get_close_matches(name, candidates, n=1)
        return f"; did you mean '{prefix}{close[0]}'?" if close else ""

    def _refuse(self, path: Path, where: tuple[int, int], message: str) -> None:
        """Record a refused link."""
        self.problems.append(Problem(path, where[0], where[1], message))
        return None


def _good_address(url: str, scheme: str) -> bool:
    """A web address with a host, or an address after mailto:/tel:."""
    parts = urlsplit(url)
    if scheme in ADDRESS_SCHEMES:
        return bool(parts.path.strip())
    host = parts.hostname or ""
    return bool(host) and not host.startswith(".") and ".." not in host and all(c.isalnum() or c in "-._[]:" for c in host)


def _authored(anchor: str) -> bool:
    """Whether an id is one an author could have meant (a heading's, not a use anchor or a note's)."""
    from generator.markdown import reserved_id

    return not reserved_id(anchor)
