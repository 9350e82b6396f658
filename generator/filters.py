"""Jinja filters over the model's data (numbers, groups, page references); none of them touches markup."""

from __future__ import annotations

from generator.glossary import sort_key
from generator.model import Chapter, GlossaryEntry, Heading, TermUse

NUMBERED_LEVELS = (2, 3)  # "2.1" and "2.1.1"; deeper headings stay unnumbered
GLOSSARY_LETTERS_FROM = 13  # a glossary of more than a dozen entries is grouped under letter headings


# The PDF (templates/print/)


def heading_numbers(chapter: Chapter) -> dict[str, str]:
    """Each numbered section heading's id mapped to its number, e.g. ``{"ch2-why": "2.1"}``."""
    numbers: dict[str, str] = {}
    counts = [0] * len(NUMBERED_LEVELS)
    for heading in chapter.headings:
        if heading.level not in NUMBERED_LEVELS:
            continue
        depth = NUMBERED_LEVELS.index(heading.level)
        counts[depth] += 1
        counts[depth + 1:] = [0] * (len(counts) - depth - 1)
        numbers[heading.id] = ".".join(str(n) for n in (chapter.number, *counts[: depth + 1]))
    return numbers


def toc_sections(chapter: Chapter) -> list[tuple[str, Heading]]:
    """The chapter's first-level sections with their numbers, for the table of contents."""
    numbers = heading_numbers(chapter)
    return [(numbers[h.id], h) for h in chapter.headings if h.level == NUMBERED_LEVELS[0]]


def page_anchors(glossary: tuple[GlossaryEntry, ...]) -> frozenset[str]:
    """The anchors of every use the glossary's page numbers point at."""
    return frozenset(use.anchor for entry in glossary for use in page_uses(entry.uses))


def page_uses(uses: tuple[TermUse, ...]) -> list[TermUse]:
    """The first use of a term in each chapter: the places its glossary entry gives page numbers for.

    Chapters start on a new page, so these never share a page and the numbers never repeat;
    finding the page of every use would need a second layout of the whole document.
    """
    first: dict[str, TermUse] = {}
    for use in uses:
        first.setdefault(use.chapter_id, use)
    return list(first.values())


def glossary_groups(entries: tuple[GlossaryEntry, ...]) -> list[tuple[str, list[GlossaryEntry]]]:
    """Entries under their initial letter; one group without a letter for a short glossary."""
    if len(entries) < GLOSSARY_LETTERS_FROM:
        return [("", list(entries))]
    groups: dict[str, list[GlossaryEntry]] = {}
    for entry in entries:
        initial = sort_key(entry.term)[:1].upper()
        groups.setdefault(initial if initial.isalpha() else "#", []).append(entry)
    return list(groups.items())
