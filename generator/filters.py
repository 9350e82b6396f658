"""Jinja filters that adapt the model's XHTML to one output."""

from __future__ import annotations

import re

from generator.glossary import sort_key
from generator.model import Chapter, GlossaryEntry, Heading, TermUse

NUMBERED_LEVELS = (2, 3)  # "2.1" and "2.1.1"; deeper headings stay unnumbered
GLOSSARY_LETTERS_FROM = 13  # a glossary of more than a dozen entries is grouped under letter headings
HEADING_OPEN = re.compile(r'<h([1-6]) id="([^"]+)">')
EXTERNAL_LINK = re.compile(r'<a href="(https?://[^"]+)">(.*?)</a>', re.DOTALL)
TERM_USE = re.compile(r'<span class="term-use" id="([^"]*)">(.*?)</span>', re.DOTALL)
GLOSSREF_ID = re.compile(r'(<a class="glossref" [^>]*?) id="([^"]*)"')


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


def print_headings(html: str, chapter: Chapter) -> str:
    """Put each section's number in front of its heading text, so bookmarks and the TOC agree."""
    numbers = heading_numbers(chapter)

    def numbered(match: re.Match[str]) -> str:
        number = numbers.get(match.group(2))
        return match.group(0) + (f'<span class="heading-number">{number}</span> ' if number else "")

    return HEADING_OPEN.sub(numbered, html)


def page_anchors(glossary: tuple[GlossaryEntry, ...]) -> frozenset[str]:
    """The anchors of every use the glossary's page numbers point at."""
    return frozenset(use.anchor for entry in glossary for use in page_uses(entry.uses))


def print_term_anchors(html: str, targets: frozenset[str]) -> str:
    """Keep an id only on the uses of a term that the glossary's page numbers point at (targets).

    Every other use loses its anchor (an unlinked use its span too): WeasyPrint compares each
    anchor with every earlier one while paginating, so two thirds fewer anchors make a long
    document's layout markedly faster. The EPUB and the web page keep them all, for their
    back-links to every use.
    """
    html = TERM_USE.sub(lambda m: m.group(0) if m.group(1) in targets else m.group(2), html)
    return GLOSSREF_ID.sub(lambda m: m.group(0) if m.group(2) in targets else m.group(1), html)


def print_link_notes(html: str) -> str:
    """Follow each external link with a footnote giving its address: a printed page can't be clicked."""

    def with_note(match: re.Match[str]) -> str:
        url, text = match.group(1), match.group(2)
        if re.sub(r"<[^>]*>", "", text).strip() in {url, url.split("://", 1)[1]}:
            return match.group(0)  # the address is already the text
        return f'{match.group(0)}<span class="footnote link-note"><a class="url" href="{url}">{url}</a></span>'

    return EXTERNAL_LINK.sub(with_note, html)


def print_footnotes(html: str, chapter: Chapter) -> str:
    """Put each footnote's text where it is called, for WeasyPrint's ``float: footnote``."""
    for note in chapter.footnotes:
        marker_start = html.find(f'href="#{note.id}"')
        if marker_start < 0:
            continue
        start = html.rfind("<a ", 0, marker_start)
        end = html.find("</a>", marker_start) + len("</a>")
        html = html[:start] + f'<span class="footnote" id="{note.id}">{note.html}</span>' + html[end:]
    return html


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


# The EPUB (templates/epub/)


def epub_links(html: str) -> str:
    """Point glossary links at the glossary's own file in the EPUB."""
    return html.replace('href="#g-', 'href="glossary.xhtml#g-')
