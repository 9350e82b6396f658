"""WeasyPrint as the PDF writer runs it: tuned for speed, and one line-breaking bug worked around.

Everything here wraps WeasyPrint 70 and pydyf 0.13 (pinned in requirements.lock) from the
outside, for the duration of one layout, and is covered by tests/test_pdf.py.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

# Python's cyclic collector during layout. Layout keeps every page's boxes alive, so the
# default collector (a collection every 700 new objects) keeps scanning a large, growing heap
# for little garbage. Everything alive before layout (modules, the document, the HTML tree)
# is frozen out of the scans, and the youngest generation is collected ten times less often:
# about 17 % faster on a 37-page document and 8 % on a 350-page one, for 5 % more peak memory
# (measured with bench/; see README, Performance).
LAYOUT_GC_THRESHOLD = (10_000, 10, 10)


@contextlib.contextmanager
def layout_tuning() -> Iterator[None]:
    """WeasyPrint with pydyf's page references cached and a calmer garbage collector."""
    cache_page_references()
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*LAYOUT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()  # a long-lived process (watch) collects it all again afterwards


def cache_page_references() -> None:
    """Make ``pydyf.PDF.page_references`` constant-time.

    pydyf (0.13) rebuilds the tuple of every page's reference each time the property is read,
    and WeasyPrint reads it for every element of the PDF/UA structure tree and every link:
    quadratic in the page count, 15 % of a 350-page build. Pages are only ever appended to
    ``Kids``, so the tuple is rebuilt when its length changes and is otherwise the same value.
    tests/test_pdf.py checks that the PDF's bytes are the same with and without this.
    """
    import pydyf

    if getattr(pydyf.PDF, "_page_references_cached", False):
        return

    def page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        cached = pdf.__dict__.get("_page_references")
        if cached is None or cached[0] is not kids or cached[1] != len(kids):
            cached = (kids, len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
            pdf.__dict__["_page_references"] = cached
        return cached[2]

    pydyf.PDF.page_references = property(page_references)
    pydyf.PDF._page_references_cached = True


@contextlib.contextmanager
def hanging_trailing_spaces() -> Iterator[None]:
    """Lay out lines with WeasyPrint's text splitter fixed for text that ends in a space."""
    from weasyprint.layout import inline

    original = inline.split_first_line
    inline.split_first_line = fitting_with_hanging_spaces(original)
    try:
        yield
    finally:
        inline.split_first_line = original


def fitting_with_hanging_spaces(split_first_line: Callable[..., Any]) -> Callable[..., Any]:
    """``split_first_line`` that lets trailing spaces hang, as CSS Text 3 says they do.

    WeasyPrint 70 decides whether a text fits on the rest of a line by its width *with* its
    trailing space. A text run ending in a space (before an inline element such as ``<em>``
    or a link, or before the end of a block) that fits only without that space is then
    split after its first word, leaving that word alone on a line: "margin" /
    "raises quarter ... which." instead of one line. Here such a run is kept whole; the
    caller already lets the space hang past the line's end.
    """
    from math import inf

    from weasyprint.text.line_break import create_layout, first_line_metrics, line_size

    def split(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
              is_line_start: bool = True, minimum: bool = False) -> Any:
        collapsing = style["white_space"] in ("normal", "pre-line")
        short = max_width is not None and max_width != inf and style["font_size"] \
            and len(text) <= max_width / style["font_size"] * 4  # fewer characters than the line could hold
        if collapsing and short and text.endswith(" ") and text.strip(" ") and "\n" not in text:
            layout = create_layout(text, style, context, max_width, justification_spacing)
            line, resume_index = layout.get_first_line()
            if resume_index is None:
                width, _ = line_size(line, style)
                if width <= max_width or _fits(text.rstrip(" "), style, context, max_width, justification_spacing):
                    return first_line_metrics(line, text, layout, None, True, style)
            layout.deactivate()
        return split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)

    def _fits(text: str, style: Any, context: Any, max_width: float, justification_spacing: float) -> bool:
        layout = create_layout(text, style, context, max_width, justification_spacing)
        line, resume_index = layout.get_first_line()
        width, _ = line_size(line, style)
        layout.deactivate()
        return resume_index is None and width <= max_width

    return split
