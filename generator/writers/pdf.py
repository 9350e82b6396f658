"""The PDF writer: one HTML file for the whole document, laid out by WeasyPrint."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

from generator.cache import preload_hyphenation
from generator.fetch import SandboxedFetcher, refuse_attachments
from generator.templates import PROJECT_TEMPLATES, font_dirs
from generator.writers import WriteContext, build_time, source_date_epoch

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# Python's cyclic collector during layout. Layout keeps every page's boxes alive, so the
# default collector (a collection every 700 new objects) keeps scanning a large, growing heap
# for little garbage. Everything alive before layout (modules, the document, the HTML tree)
# is frozen out of the scans, and the youngest generation is collected ten times less often:
# about 17 % faster on a 37-page document and 8 % on a 350-page one, for 5 % more peak memory
# (measured with bench/; see README, Performance).
LAYOUT_GC_THRESHOLD = (10_000, 10, 10)


class PdfWriter:
    """Renders ``print/document.html`` and its stylesheet into a tagged PDF."""

    name = "pdf"

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>.pdf``."""
        return ctx.out_dir / f"{ctx.document.slug}.pdf"

    def html(self, ctx: WriteContext) -> str:
        """The HTML handed to WeasyPrint."""
        template = ctx.env.get_template("print/document.html")
        return template.render(doc=ctx.document, meta=ctx.document.meta, options=ctx.options,
                               paper=PAPER_SIZES[ctx.options.paper])

    def render(self, ctx: WriteContext) -> bytes:
        """Render the HTML, lay it out and return the PDF's bytes."""
        return self.layout(ctx, self.html(ctx))

    def layout(self, ctx: WriteContext, markup: str) -> bytes:
        """Lay out HTML rendered by :meth:`html` and return the PDF's bytes."""
        from weasyprint import HTML  # imported here: it is slow to import and only the PDF needs it

        fetcher = SandboxedFetcher([ctx.document.root, PROJECT_TEMPLATES, *font_dirs()])
        html = HTML(string=markup, base_url=ctx.document.root.as_uri() + "/", url_fetcher=fetcher)
        options = {"pdf_variant": "pdf/ua-1", "pdf_identifier": ctx.document.meta.identifier.encode()}
        preload_hyphenation(ctx.document.meta.language)
        with source_date_epoch(ctx.document), layout_tuning():  # font subsetting reads the epoch
            rendered = html.render(**options)
            refuse_attachments(rendered)
            rendered.metadata.modified = build_time(ctx.document).strftime("%Y-%m-%dT%H:%M:%SZ")
            return rendered.write_pdf(**options)


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
