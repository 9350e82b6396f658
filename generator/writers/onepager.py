"""The one-pager: one side of A4 or Letter to leave behind at events and meetings.

It shows the kind, title, subtitle, date and authors, the key points, the chapters as "inside
this briefing" and, when ``url:`` is set, the QR code to the full edition; it is laid out with
the briefing's stylesheet and tagged as the PDF is (PDF/UA). The type is never shrunk to make it
fit: when the key points need more than one side the build refuses, saying by how much.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from markupsafe import Markup

from generator.engine import layout_tuning, notes_and_whole_tables, preload_hyphenation
from generator.errors import Problem, SourceError
from generator.fetch import SandboxedFetcher, refuse_attachments
from generator.guard import checked_template_pictures
from generator.pictures import picture_names
from generator.templates import PROJECT_TEMPLATES, font_dirs
from generator.tree import to_html
from generator.writers import ContentMarkup, Output, WriteContext, build_time, source_date_epoch, variant_suffix
from generator.writers.pdf import PAPER_SIZES
from generator.writers.pdf_fonts import render_with_kept_fonts
from generator.writers.pdf_tags import tag_repair

if TYPE_CHECKING:
    import weasyprint

KEY_POINT_LINE = 11 * 1.45 * 96 / 72  # px: one line of a key point (11 pt at line-height 1.45)
MEASURING_PAGE = "@page onepager { size: {width} 2000mm !important; }"  # a user stylesheet: !important wins
WIDTHS = {"a4": "210mm", "letter": "8.5in"}


class OnePagerWriter:
    """Renders ``onepager/document.html`` into ``<out>/<slug>-onepager.pdf``, one page or a source error."""

    name = "onepager"

    def render(self, ctx: WriteContext) -> list[Output]:
        """The one-pager's PDF; SourceError when it needs more than one side."""
        markup = self.html(ctx)
        with source_date_epoch(ctx.document), layout_tuning():
            rendered = self.layout(ctx, markup)
            if len(rendered.pages) > 1:
                raise SourceError([too_long(ctx, self.pages_needed(ctx, markup, rendered))])
            refuse_attachments(rendered)
            rendered.metadata.modified = build_time(ctx.document).strftime("%Y-%m-%dT%H:%M:%SZ")
            with notes_and_whole_tables():
                data = rendered.write_pdf(finisher=tag_repair(), **pdf_options(ctx))
        return [Output(ctx.out_dir / f"{ctx.document.slug}-onepager{variant_suffix(ctx.options, marked=False)}.pdf", data)]

    def html(self, ctx: WriteContext) -> str:
        """The HTML handed to WeasyPrint."""
        document = ctx.document
        markup = ContentMarkup(
            titles={c.id: Markup(to_html(c.title_markup.root)) for c in document.chapters},
            bodies={}, notes={}, note_blocks={}, definitions={},
            summary=[Markup(to_html(point.root)) for point in document.meta.summary],
        )
        html = ctx.env.get_template("onepager/document.html").render(
            doc=document, meta=document.meta, options=ctx.options, paper=PAPER_SIZES[ctx.options.paper],
            markup=markup, plan="report")  # print.css's own page rules; the one-pager sets its page itself
        checked_template_pictures(html, document, ctx.env, "onepager/document.html", picture_names(document))  # WeasyPrint's fetcher reads them
        return html

    def layout(self, ctx: WriteContext, markup: str, extra_css: str = "") -> weasyprint.Document:
        """Lay out the HTML (with extra_css after it) into a WeasyPrint document."""
        from weasyprint import CSS, HTML  # slow to import; only the PDFs need it

        fetcher = SandboxedFetcher([ctx.document.root, PROJECT_TEMPLATES, *font_dirs()], document=ctx.document.root)
        html = HTML(string=markup, base_url=fetcher.base_url, url_fetcher=fetcher)
        preload_hyphenation(ctx.document.meta.language)
        stylesheets = [CSS(string=extra_css, url_fetcher=fetcher)] if extra_css else []
        return render_with_kept_fonts(html, ctx.document.root, markup, stylesheets=stylesheets, **pdf_options(ctx))

    def pages_needed(self, ctx: WriteContext, markup: str, rendered: weasyprint.Document) -> tuple[float, float]:
        """The sides the content needs and its height beyond one side (px): laid out again on one very tall page."""
        side = rendered.pages[0]._page_box.height
        tall = self.layout(ctx, markup, MEASURING_PAGE.replace("{width}", WIDTHS[ctx.options.paper]))
        height = content_height(tall.pages[0]._page_box)
        return height / float(side), height - float(side)


def content_height(page_box: object) -> float:
    """The height of the page's flow, from its top to the bottom of the ``main`` element (px)."""
    root = page_box.children[0]  # type: ignore[attr-defined]
    boxes = [root]
    while boxes:
        box = boxes.pop()
        if box.element_tag == "main":
            return float(box.position_y + box.margin_height() - root.position_y)
        boxes.extend(getattr(box, "children", ()))
    return float(root.margin_height())


def pdf_options(ctx: WriteContext) -> dict[str, object]:
    """Tagged as the PDF is: PDF/UA-1, the document's identifier."""
    return {"pdf_variant": "pdf/ua-1", "pdf_identifier": ctx.document.meta.identifier.encode()}


def too_long(ctx: WriteContext, needed: tuple[float, float]) -> Problem:
    """The problem of a one-pager that does not fit: how many pages it needs, how many lines to cut."""
    pages, excess = needed
    pages = max(math.ceil(pages * 10) / 10, 1.1)  # it did not fit: more than one side, however little
    lines = max(1, math.ceil(excess / KEY_POINT_LINE))
    line = ctx.document.meta.summary_line[0] if ctx.document.meta.summary_line else 1
    return Problem(ctx.document.root / "document.yaml", line, 0,
                   f"the one-pager needs {pages:.1f} pages; "
                   f"shorten the key points by about {lines} line{'s' if lines != 1 else ''}")
