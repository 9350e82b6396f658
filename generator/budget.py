"""The size budget: a document no larger than a build on this kind of machine can lay out.

WeasyPrint keeps every box of every page in memory while it lays out a PDF: 20,000 headings,
a 50,000-row table or a 5,000-term glossary linked at every use took more than 2 GB. The
budget weighs the elements of the chapters' trees, their headings and the glossary's term uses
(see the weights below). The 300-page benchmark document weighs about 19,000; the limit is
about eight times that, some 3,000 pages of ordinary text.
"""

from __future__ import annotations

from generator.errors import Problem
from generator.model import Document
from generator.tree import Fragment

MAX_WEIGHT = 150_000
# What a piece costs the PDF's layout, relative to an ordinary element: a heading is also a
# contents entry with a page reference, a bookmark and a tagged structure element; a term use
# is an anchor. (Measured order of magnitude, not exact: the limit keeps a wide margin.)
HEADING_WEIGHT, USE_WEIGHT = 10, 2
DOCUMENT_FILE = "document.yaml"


def size_pass(document: Document) -> tuple[Document, list[Problem]]:
    """The document unchanged, and a problem when it is over the budget."""
    elements = sum(_count(c.body) + sum(_count(n.body) for n in c.footnotes) for c in document.chapters)
    headings = sum(len(c.headings) for c in document.chapters)
    uses = sum(len(e.uses) for e in document.glossary)
    weight = elements + (HEADING_WEIGHT - 1) * headings + USE_WEIGHT * uses
    if weight <= MAX_WEIGHT:
        return document, []
    message = (f"the document is too large to lay out: {elements:,} elements, {headings:,} headings and {uses:,} "
               f"glossary uses weigh {weight:,}, over the limit of {MAX_WEIGHT:,} (about 3,000 pages of text): "
               "split it into several documents"
               + ("; or link fewer uses (glossary_links: first-per-chapter)" if document.meta.glossary_links == "every" else ""))
    return document, [Problem(document.root / DOCUMENT_FILE, 1, 1, message)]


def _count(fragment: Fragment) -> int:
    """The elements of a fragment's tree."""
    return sum(1 for _ in fragment.iter())
