"""The glossary's page numbers found in the layout that is kept: no first layout.

The glossary lists, for each term, the pages it is used on, and only a layout knows them. The
glossary comes after every chapter, so by the time WeasyPrint reaches it every use has its page.
The document is laid out once with every use of a term linked from its entry and both labels
("page", "pages") in place; as WeasyPrint makes each page (engine.watched_pages) the page of each
use is noted, and before the next page is laid out each entry's numbers are cut down to what
the pages noted so far show: for each run of consecutive pages, the first use on its first page
and, for a longer run, on its last, "–" between them and ", " between runs, the one label that
fits. That is the list the two-layout build writes from a first layout's pages, and the boxes
left are the boxes its HTML gives.

When the glossary starts on a page of its own (a report) every use has its page before it does,
and the numbers are cut once. When it runs on after the last chapter (a briefing), the uses not
placed yet are taken to be on the page about to be made, which is the glossary's first page if
the glossary starts on it. Once a page holds any of the glossary, nothing is cut again.

:meth:`GlossaryPages.confirmed` then checks the layout against the pages the numbers were cut
for; should a use be on another page (a footnote carried over to the next page, a stylesheet
that lets the glossary run on in a report, a later pass of WeasyPrint's that moves pages), the
layout is not kept and the writer makes a first layout as before.
"""

from __future__ import annotations

from typing import Any

from generator.engine import PageWatcher, boxes_in, inline_parts, rearrange_inline
from generator.filters import page_runs
from generator.model import GlossaryEntry

GLOSSARY_ID = "glossary"  # print/glossary.html's section
USED_ON = "used-on"  # the span of an entry's page numbers


class GlossaryPages(PageWatcher):
    """Cuts each glossary entry's numbers down to the pages of its uses as the pages are made."""

    def __init__(self, glossary: tuple[GlossaryEntry, ...], runs_on: bool) -> None:
        self.entries = {use.anchor: entry for entry in glossary for use in entry.uses}
        self.runs_on = runs_on  # the glossary may start on the page of the last chapter's end
        self.placed: dict[str, int] = {}  # a use's anchor → the first page it was seen on
        self.spans: list[tuple[Any, list[Any], list[tuple[str, str]], GlossaryEntry]] | None = None
        self.cut_for: dict[str, int] | None = None  # the pages the numbers now in the boxes were cut for
        self.started = False  # a page holds some of the glossary: nothing is cut after
        self.page = 0  # the last page made

    def before_page(self, root_box: Any) -> None:
        """Cut the numbers for the pages known (and, where the glossary runs on, the page to come)."""
        if self.started:
            return
        if self.spans is None:
            self.spans = [self.entry_span(box) for box in boxes_in(root_box, GLOSSARY_ID, USED_ON)]
        unplaced = [anchor for anchor in self.entries if anchor not in self.placed]
        if unplaced and not self.runs_on:
            return
        pages = {**self.placed, **dict.fromkeys(unplaced, self.page + 1)}
        if pages != self.cut_for:
            for box, children, parts, entry in self.spans:
                order = self.order(parts, entry, pages)
                numbers = {item: str(pages[parts[item][1][1:]]) for item in order
                           if isinstance(item, int) and parts[item][0] == "href"}
                rearrange_inline(box, children, order, numbers)
            self.cut_for = pages

    def after_page(self, number: int, anchors: list[str]) -> None:
        """Note the page of each use first seen on it (a use split over two pages counts on the
        first, as pdf.pages_of says); once the glossary is reached, stop cutting."""
        if number == 1:
            self.placed = {}  # a pass of WeasyPrint's starts again at the first page
        self.page = number
        for anchor in anchors:
            if anchor in self.entries:
                self.placed.setdefault(anchor, number)
            elif anchor == GLOSSARY_ID:
                self.started = True

    def entry_span(self, box: Any) -> tuple[Any, list[Any], list[tuple[str, str]], GlossaryEntry]:
        """A used-on span's box, its children as built, their parts and its entry (by its first link)."""
        parts = inline_parts(box)
        first = next(value for kind, value in parts if kind == "href")
        return box, list(box.children), parts, self.entries[first[1:]]

    def order(self, parts: list[tuple[str, str]], entry: GlossaryEntry, pages: dict[str, int]) -> list[int | str]:
        """The children to keep, as print/glossary.html writes them for ``pages``: what comes before
        the labels, the label that fits, what comes between the labels and the first link (the
        no-break space), then each run's links, with "–" and ", " as new texts."""
        runs = page_runs(entry.uses, pages)
        links = {value[1:]: index for index, (kind, value) in enumerate(parts) if kind == "href"}
        single, plural = (index for index, (kind, _) in enumerate(parts) if kind == "class")
        first_link = min(links.values())
        order: list[int | str] = [*range(single), plural if len(runs) > 1 or len(runs[0]) > 1 else single,
                                  *range(plural + 1, first_link)]
        for number, run in enumerate(runs):
            if number:
                order.append(", ")
            for position, use in enumerate(run):
                if position:
                    order.append("–")
                order.append(links[use.anchor])
        return order

    def pages(self) -> dict[str, int] | None:
        """The pages the numbers were cut for, if they were cut before the glossary was laid out;
        the writer then checks that each use is on its page in the finished layout."""
        return self.cut_for if self.started else None
