"""The PDF writer: one HTML file for the whole document, laid out by WeasyPrint."""

from __future__ import annotations

from pathlib import Path

from generator.cache import preload_hyphenation
from generator.fetch import SandboxedFetcher, refuse_attachments
from generator.templates import PROJECT_TEMPLATES, font_dirs
from generator.writers import WriteContext, build_time, source_date_epoch
from generator.writers.pdf_engine import hanging_trailing_spaces, layout_tuning

PAPER_SIZES = {"a4": "A4", "letter": "letter"}


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

        fetcher = SandboxedFetcher([ctx.document.root, PROJECT_TEMPLATES, *font_dirs()], document=ctx.document.root)
        html = HTML(string=markup, base_url=fetcher.base_url, url_fetcher=fetcher)  # the same URLs in any folder
        options = {"pdf_variant": "pdf/ua-1", "pdf_identifier": ctx.document.meta.identifier.encode()}
        preload_hyphenation(ctx.document.meta.language)
        with source_date_epoch(ctx.document), layout_tuning(), hanging_trailing_spaces():  # subsetting reads the epoch
            rendered = html.render(**options)
            refuse_attachments(rendered)
            rendered.metadata.modified = build_time(ctx.document).strftime("%Y-%m-%dT%H:%M:%SZ")
            return rendered.write_pdf(**options)
