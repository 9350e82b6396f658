"""The glossary linking pass: a document in, the same document out with terms linked.

One compiled alternation holds every term and alias, longest first, so the text is
scanned once whatever the size of the glossary. The pass works on the chapters' XHTML,
which the Markdown stage produced and which therefore has a simple, known shape: tags
never contain a raw '>' and text holds no raw '<'.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import replace
from html import escape

from generator.model import Chapter, Document, GlossaryEntry, TermUse

TAG_OR_TEXT = re.compile(r"<[^>]*>|[^<]+")
SKIPPED_ELEMENTS = frozenset({"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style"})
ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9&.\-]*$")


def link_glossary(document: Document) -> Document:
    """Link glossary terms in every chapter and record where each term is used."""
    if not document.glossary:
        return document
    matcher = TermMatcher(document.glossary)
    uses: dict[str, list[TermUse]] = defaultdict(list)
    chapters = tuple(_link_chapter(chapter, matcher, document.meta.glossary_links, uses) for chapter in document.chapters)
    glossary = tuple(replace(entry, uses=tuple(uses[entry.id])) for entry in sort_entries(document.glossary))
    return replace(document, chapters=chapters, glossary=glossary)


def sort_entries(entries: tuple[GlossaryEntry, ...]) -> tuple[GlossaryEntry, ...]:
    """Appendix order: case-insensitive, leading punctuation ignored, accents with their base letter."""
    return tuple(sorted(entries, key=lambda e: (sort_key(e.term), e.term)))


def sort_key(term: str) -> str:
    """The key a term is alphabetised by."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
    return folded.lstrip("\"'“‘([{-_.*# ").casefold()


class TermMatcher:
    """Finds every glossary term and alias in a text with one regular expression."""

    def __init__(self, entries: tuple[GlossaryEntry, ...]) -> None:
        self.entry_for: dict[str, str] = {}
        patterns: list[tuple[int, str]] = []
        for entry in entries:
            for form in (entry.term, *entry.aliases):
                group = f"t{len(patterns)}"
                self.entry_for[group] = entry.id
                patterns.append((len(form), f"(?P<{group}>{_form_pattern(form)})"))
        alternation = "|".join(p for _, p in sorted(patterns, key=lambda item: -item[0]))
        self.regex = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])")

    def finditer(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, entry id) for each match, left to right."""
        return [(m.start(), m.end(), self.entry_for[m.lastgroup or ""]) for m in self.regex.finditer(text)]


def _form_pattern(form: str) -> str:
    """The pattern for one spelling: acronyms exactly, other words in any case and with a plural."""
    words = r"[\s\u00a0]+".join(re.escape(w) for w in form.split())
    if ACRONYM.match(form):
        return words + "s?"
    return f"(?i:{words}(?:s|es)?)"


def _link_chapter(chapter: Chapter, matcher: TermMatcher, mode: str, uses: dict[str, list[TermUse]]) -> Chapter:
    """Wrap each use of a term in the chapter: a link where the mode says so, an anchor elsewhere."""
    linked_here: set[str] = set()
    counter: dict[str, int] = defaultdict(int)
    out: list[str] = []
    skip_depth = 0
    for piece in TAG_OR_TEXT.findall(chapter.html):
        if piece.startswith("<"):
            skip_depth += _skip_change(piece)
            out.append(piece)
        elif skip_depth:
            out.append(piece)
        else:
            out.append(_link_text(piece, chapter.id, matcher, mode, linked_here, counter, uses))
    return replace(chapter, html="".join(out))


def _skip_change(tag: str) -> int:
    """+1 entering an element whose text is never linked, -1 leaving one, 0 otherwise."""
    name = re.match(r"</?([a-zA-Z0-9]+)", tag)
    if not name or name.group(1).lower() not in SKIPPED_ELEMENTS or tag.endswith("/>"):
        return 0
    return -1 if tag.startswith("</") else 1


def _link_text(
    text: str,
    chapter_id: str,
    matcher: TermMatcher,
    mode: str,
    linked_here: set[str],
    counter: dict[str, int],
    uses: dict[str, list[TermUse]],
) -> str:
    """Replace the terms in one escaped text run with links or anchors."""
    pieces: list[str] = []
    position = 0
    for start, end, entry_id in matcher.finditer(text):
        counter[entry_id] += 1
        anchor = f"{chapter_id}-{entry_id}-{counter[entry_id]}"
        link = mode == "every" or (mode == "first-per-chapter" and entry_id not in linked_here)
        linked_here.add(entry_id)
        uses[entry_id].append(TermUse(chapter_id=chapter_id, anchor=anchor, linked=link))
        pieces.append(text[position:start])
        pieces.append(_term_markup(text[start:end], entry_id, anchor, link))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _term_markup(text: str, entry_id: str, anchor: str, link: bool) -> str:
    """The markup around one use of a term."""
    if link:
        return f'<a class="glossref" epub:type="glossref" role="doc-glossref" id="{anchor}" href="#{entry_id}">{text}</a>'
    return f'<span class="term-use" id="{anchor}">{text}</span>'


def _unused(document: Document) -> list[str]:
    """Terms that are defined but never used (reported once per build as warnings)."""
    return [escape(e.term) for e in document.glossary if not e.uses]
