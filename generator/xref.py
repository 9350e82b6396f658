"""The cross-reference pass: figures and tables numbered, every ``@fig-``/``@tbl-``/``@sec-`` resolved.

A figure (``<figure id="fig-…">``) or a table (``<table id="tbl-…">``) with a caption gets its
number and label in front of the caption: "Figure 1: …". Numbers run through the document in
the briefing plan, and per chapter in the report plan ("Figure 2.1", like its sections). A
reference mark (generator/xref_syntax.py) becomes a link to its target reading "Figure 1",
"Table 2" or "Section 3.1" (the section's number as the PDF prints it, generator/filters.py), or
"Chapter 3" for a chapter whose title heading (or front matter) gives an id starting ``sec-``.
A reference to no target is an error at its file, line and column, with the closest id.
The labels come from the document's catalogue (``figure_number``, ``table_number``,
``section_number``, ``caption_label``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from lxml import etree

from generator.errors import Problem
from generator.filters import heading_numbers, page_plan
from generator.labels import Labels, document_labels
from generator.model import Chapter, Document
from generator.tree import Element, Fragment, position, unwrap

KINDS = {"fig": ("figure", "figure_number"), "tbl": ("table", "table_number"), "sec": ("section", "section_number")}
CAPTIONED = {"figure": ("fig-", "figcaption"), "table": ("tbl-", "caption")}  # the id's prefix, the caption's tag
NO_BREAK = "\u00a0"  # "Figure 1" never breaks between its label and its number


@dataclass(frozen=True)
class Target:
    """What a reference to one id reads: its kind ('fig', 'tbl', 'sec') and its text ("Figure 1")."""

    kind: str
    text: str
    number: str = ""
    anchor: str = ""  # the id a link goes to when it is not the referred id (a chapter's: its own id)


def xref_pass(document: Document) -> tuple[Document, list[Problem]]:
    """Number the captions and resolve every reference; the document and the problems."""
    labels = document_labels(document)
    targets = collect_targets(document, labels)
    problems = duplicate_targets(document)
    chapters = tuple(_chapter(chapter, targets, labels, problems) for chapter in document.chapters)
    return replace(document, chapters=chapters), problems


def collect_targets(document: Document, labels: Labels) -> dict[str, Target]:
    """Every figure, table and ``sec-`` heading of the document, with what a reference to it reads."""
    per_chapter = page_plan(document) == "report"
    targets: dict[str, Target] = {}
    counts = {"fig": 0, "tbl": 0}
    for chapter in document.chapters:
        counts = {"fig": 0, "tbl": 0} if per_chapter else counts
        for anchor in (element.get("id", "") for element in numbered(chapter.body.root)):
            kind = anchor[:3]
            counts[kind] += 1
            number = labels.number(counts[kind])
            number = f"{labels.number(chapter.number)}.{number}" if per_chapter else number
            targets[anchor] = Target(kind, _label(labels, kind, number), number)
        for anchor, number in heading_numbers(chapter).items():
            if anchor.startswith("sec-"):
                targets[anchor] = Target("sec", _label(labels, "sec", number), number)
        if chapter.alias.startswith("sec-"):  # '# Why now {#sec-why-now}': "Chapter 3", to the chapter's start
            number = labels.number(chapter.number)
            text = labels.format("chapter_number", chapter=number).replace(" ", NO_BREAK)
            targets[chapter.alias] = Target("sec", text, number, chapter.id)
    return targets


def duplicate_targets(document: Document) -> list[Problem]:
    """A figure or table id given a second time in the document (a reference could not tell them apart)."""
    problems: list[Problem] = []
    first: dict[str, str] = {}
    for chapter in document.chapters:
        for element in numbered(chapter.body.root):
            anchor = element.get("id", "")
            line, column = position(next((e for e in element.iter() if position(e)[0]), element))
            if anchor in first:
                problems.append(Problem(chapter.path, line or 1, column or 1, f"{element.tag} id '{anchor}' is also given in {first[anchor]}"))
            first.setdefault(anchor, f"{chapter.name}, line {line or 1}")
    return problems


def numbered(root: Element) -> list[Element]:
    """The numbered figures and tables of a tree (an id of their prefix and a caption), in reading order."""
    return [element for element in root.iter("figure", "table")
            if element.get("id", "").startswith(CAPTIONED[element.tag][0]) and element.find(CAPTIONED[element.tag][1]) is not None]


def _label(labels: Labels, kind: str, number: str) -> str:
    """'Figure 1', its space a no-break space."""
    return labels.format(KINDS[kind][1], n=number).replace(" ", NO_BREAK)


def _chapter(chapter: Chapter, targets: dict[str, Target], labels: Labels, problems: list[Problem]) -> Chapter:
    """One chapter with its captions numbered and its references (body and notes) resolved."""
    body = _fragment(chapter.body, chapter, targets, problems, captions=labels)
    notes = tuple(replace(n, body=_fragment(n.body, chapter, targets, problems)) for n in chapter.footnotes)
    return replace(chapter, body=body, footnotes=notes)


def _fragment(fragment: Fragment, chapter: Chapter, targets: dict[str, Target], problems: list[Problem],
              captions: Labels | None = None) -> Fragment:
    """A copy of a fragment with captions numbered (when labels are given) and references resolved."""
    marks = [e for e in fragment.iter("span") if e.get("class") == "xref-mark"]
    if not marks and (captions is None or not numbered(fragment.root)):
        return fragment
    root = fragment.copy()
    if captions is not None:
        number_captions(root, targets, captions)
    for mark in [e for e in root.iter("span") if e.get("class") == "xref-mark"]:
        _resolve(mark, chapter, targets, problems)
    return Fragment(root)


def number_captions(root: Element, targets: dict[str, Target], labels: Labels) -> None:
    """Put "Figure 1:" in front of each numbered caption."""
    for element in numbered(root):
        caption = element.find(CAPTIONED[element.tag][1])
        number = targets[element.get("id", "")].number
        label = etree.Element("span", {"class": "caption-label", "data-number": number})  # for the lists (filters.caption_list)
        label.text = labels.format("caption_label", label=targets[element.get("id", "")].text)
        label.tail = " " + (caption.text or "")
        caption.text = None
        caption.insert(0, label)


def _resolve(mark: Element, chapter: Chapter, targets: dict[str, Target], problems: list[Problem]) -> None:
    """Turn a reference mark into a link to its target, or record it as a problem (its text kept)."""
    anchor = mark.get("data-xref", "")
    target = targets.get(anchor)
    if target is None:
        line, column = position(mark)
        problems.append(Problem(chapter.path, line or 1, column or 1, missing_message(anchor, targets)))
        unwrap(mark)
        return
    mark.tag = "a"
    mark.attrib.clear()
    mark.attrib.update({"class": "xref", "href": f"#{target.anchor or anchor}"})
    mark.text = target.text


def missing_message(anchor: str, targets: dict[str, Target]) -> str:
    """"reference '@fig-x' names no figure of this document", with the closest id of its kind."""
    kind = anchor[:3]
    close = difflib.get_close_matches(anchor, [a for a, t in targets.items() if t.kind == kind], n=1)
    hint = f"; did you mean '@{close[0]}'?" if close else ""
    if kind == "sec":
        what = "numbered section or chapter (a '## ' or '### ' heading, or a chapter's '# ' title, with the id {#" + anchor + "})"
    else:
        what = f"{KINDS[kind][0]} with a caption"
    return f"reference '@{anchor}' names no {what} in this document{hint}"
