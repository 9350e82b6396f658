"""Jinja filters over the model's data (numbers, groups, page references); none of them touches markup."""

from __future__ import annotations

from generator.glossary import sort_key
from generator.model import Chapter, Document, GlossaryEntry, Heading, TermUse

NUMBERED_LEVELS = (2, 3)  # "2.1" and "2.1.1"; deeper headings stay unnumbered
GLOSSARY_LETTERS_FROM = 13
BRIEFING_WORDS = 3000  # a document of at most this many words is laid out as a briefing when layout: is absent  # a glossary of more than a dozen entries is grouped under letter headings


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


def page_plan(document: Document) -> str:
    """The PDF's page plan: ``layout:`` from document.yaml, else by length.

    A document whose chapters hold at most ``BRIEFING_WORDS`` words is a *briefing* (chapters run
    on, one after another); a longer one a *report* (each chapter on a new page).
    """
    if document.meta.layout:
        return document.meta.layout
    return "briefing" if word_count(document) <= BRIEFING_WORDS else "report"


def word_count(document: Document) -> int:
    """The words of the document's chapters."""
    return sum(len(" ".join(c.body.copy().itertext()).split()) for c in document.chapters)


def caption_list(document: Document, kind: str) -> list[tuple[str, str, str]]:
    """The numbered figures or tables ('figures', 'tables') as (id, number, caption text), for a list after the contents."""
    from generator.xref import CAPTIONED, numbered

    tag = "figure" if kind == "figures" else "table"
    found: list[tuple[str, str, str]] = []
    for chapter in document.chapters:
        for element in (e for e in numbered(chapter.body.root) if e.tag == tag):
            caption = element.find(CAPTIONED[tag][1])
            label = next((s for s in caption.iter("span") if s.get("class") == "caption-label"), None)
            number = label.get("data-number", "") if label is not None else ""
            text = (label.tail or "") + "".join("".join(e.itertext()) + (e.tail or "") for e in caption if e is not label) \
                if label is not None else "".join(caption.itertext())
            found.append((element.get("id", ""), number, " ".join(text.split())))
    return found


def use_anchors(glossary: tuple[GlossaryEntry, ...]) -> frozenset[str]:
    """The anchor of every use of every term: the first layout finds the page of each."""
    return frozenset(use.anchor for entry in glossary for use in entry.uses)


def page_runs(uses: tuple[TermUse, ...], pages: dict[str, int]) -> list[tuple[TermUse, ...]]:
    """A term's pages as runs of consecutive pages, each run its first page's first use and, for
    a run of more than one page, its last page's first use: pages 4, 5, 6 and 9 give ``[(u4, u6), (u9,)]``.

    ``pages`` maps each use's anchor to its page, as a first layout found them; with no page
    known (that first layout), the first use in each chapter stands for a page.
    """
    if not pages:
        first_in_chapter: dict[str, TermUse] = {}
        for use in uses:
            first_in_chapter.setdefault(use.chapter_id, use)
        return [(use,) for use in first_in_chapter.values()]
    first: dict[int, TermUse] = {}
    for use in uses:
        if use.anchor in pages:
            first.setdefault(pages[use.anchor], use)
    runs: list[list[int]] = []
    for page in sorted(first):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return [(first[run[0]],) if len(run) == 1 else (first[run[0]], first[run[-1]]) for run in runs]


def unlinked_use_anchors(glossary: tuple[GlossaryEntry, ...], pages: dict[str, int]) -> frozenset[str]:
    """The anchors of the uses no glossary page number links to (all but the first use on each
    page of a run's ends), given the pages a first layout found; none without pages."""
    if not pages:
        return frozenset()
    linked = {use.anchor for entry in glossary for run in page_runs(entry.uses, pages) for use in run}
    return use_anchors(glossary) - linked


def glossary_groups(entries: tuple[GlossaryEntry, ...], first_only: bool = False) -> list[tuple[str, list[GlossaryEntry]]]:
    """Entries under their initial letter; one group without a letter for a short glossary.

    ``first_only``: the first group with its first entry alone, as the PDF's first layout lays it out.
    """
    if len(entries) < GLOSSARY_LETTERS_FROM:
        groups = [("", list(entries))]
    else:
        initials: dict[str, list[GlossaryEntry]] = {}
        for entry in entries:
            initial = sort_key(entry.term)[:1].upper()
            initials.setdefault(initial if initial.isalpha() else "#", []).append(entry)
        groups = list(initials.items())
    return [(groups[0][0], groups[0][1][:1])] if first_only and groups else groups
