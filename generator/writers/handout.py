"""The handout writers: the PDF laid out at half the sheet (templates/print/booklet.css), then imposed
two pages to a sheet side at 100 %."""

from __future__ import annotations

from dataclasses import replace

from generator.impose import impose, output_suffix
from generator.writers import Output, WriteContext, variant_suffix
from generator.writers.pdf import PdfWriter


class HandoutWriter:
    """The document's PDF, rendered in memory and imposed: ``<out>/<slug>-<layout>.pdf`` (``-<layout>-letter.pdf`` on Letter)."""

    name = "handout"
    layout = ""

    def render(self, ctx: WriteContext) -> list[Output]:
        """Lay out the PDF at half the sheet, impose it, and return the one handout file."""
        pdf = PdfWriter().pdf(folded(ctx))
        path = ctx.out_dir / f"{ctx.document.slug}{output_suffix(self.layout)}{variant_suffix(ctx.options, marked=False)}.pdf"
        back_page = bool(ctx.document.meta.url)  # the QR code to the web edition stays on the back
        return [Output(path, impose(pdf, self.layout, ctx.options.paper, back_page))]


def folded(ctx: WriteContext) -> WriteContext:
    """The context of a handout's layout: pages half the sheet (A5, half-letter) with mirrored margins, no marks."""
    return replace(ctx, options=replace(ctx.options, folded=True, marks=False))


class BookletWriter(HandoutWriter):
    """Saddle-stitch order: print double-sided, flip on the short edge, fold."""

    name = layout = "booklet"


class TwoUpWriter(HandoutWriter):
    """Two pages to a sheet side in reading order."""

    name = layout = "2up"
