"""The handout writers: the PDF laid out as usual, then imposed two pages to a sheet side."""

from __future__ import annotations

from generator.impose import impose, output_suffix
from generator.writers import Output, WriteContext
from generator.writers.pdf import PdfWriter


class HandoutWriter:
    """The document's PDF, rendered in memory and imposed: ``<out>/<slug>-<layout>.pdf``."""

    name = "handout"
    layout = ""

    def render(self, ctx: WriteContext) -> list[Output]:
        """Lay out the PDF, impose it, and return the one handout file."""
        pdf = PdfWriter().pdf(ctx)
        path = ctx.out_dir / f"{ctx.document.slug}{output_suffix(self.layout)}.pdf"
        back_page = bool(ctx.document.meta.url)  # the QR code to the web edition stays on the back
        return [Output(path, impose(pdf, self.layout, ctx.options.paper, back_page))]


class BookletWriter(HandoutWriter):
    """Saddle-stitch order: print double-sided, flip on the short edge, fold."""

    name = layout = "booklet"


class TwoUpWriter(HandoutWriter):
    """Two pages to a sheet side in reading order."""

    name = layout = "2up"
