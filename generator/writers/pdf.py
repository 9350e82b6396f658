"""The PDF writer: one HTML file for the whole document, laid out by WeasyPrint.

The chapters' trees get the print's own few transforms here, on copies: section numbers in
front of the headings, each footnote's text where it is called (for ``float: footnote``), the
address of each web link as a footnote (paper can't be clicked).

The glossary's page numbers need the page of every use of a term, which only a layout knows.
In a document without cross-references they are found in the layout that is kept: the page of
each use is noted as WeasyPrint makes the pages, and the glossary's numbers are cut down to those
pages before WeasyPrint reaches it (pdf_pages.py, ``laid_out_at_once``). The PDF is the one the
two layouts below give, byte for byte; a layout that does not bear its pages out is not kept.

Otherwise, and whenever that layout is not kept, the document is laid out first with the
first use in each chapter standing in for the numbers, the page of each use is read from that
layout, and the document is laid out again with, for each term, every page it is used on once
(consecutive pages as a range), each number a link to the first use on its page. With
cross-references the numbers are printed by ``target-counter()``, so they name the page of
their target in the layout that is kept. The glossary comes after every chapter, so its new
numbers move no use to another page.

The same first layout gives the page of each cross-reference (generator/xref.py) and of its
target: in the layout kept, a reference whose target is on another page is followed by that
page, "Figure 1 (page 5)", printed by ``target-counter()`` too. Only the choice to print it
comes from the first layout; the few words it adds can, rarely, move a target to the page of
its reference, and the number printed is then still right.

The first layout is lean (no margin boxes, the glossary's first entry only, nothing after it),
is skipped when nothing needs its pages, and, for a long report on two cores, is made in two
halves side by side (segments.py); the kept layout checks the pages of the anchors it links to
and, should one have moved, the first layout is made again whole. The kept layout's HTML keeps
an id only on the uses the glossary links to. A use that is not a link has no element: its
element's text carries its offset (mark_uses), its page is read from the layout's text boxes
(engine.UsePositions) and, where the glossary links to it, it is made an anchor at its text;
where the text cannot show it, the document is laid out again with a span around each use.

A rebuild tries the pages its document's last build found (generator/cache.py) and makes no
first layout when they still hold: the document is laid out at once with those pages, every
anchor the first layout would find kept, and the layout is kept if it puts each of them on the
page guessed (the ids no glossary number links to are dropped from it before the PDF is written).
That layout's chapters are the first layout's own chapters, anchor for anchor, as long as no
reference prints a page (a reference's "(page 5)" is the only thing in the chapters a page
changes; margin boxes and what follows the chapters move nothing in them): so the pages it finds
are the first layout's pages, and the PDF is the one a build without the guess makes, byte for
byte. When a guess fails, those pages are the first layout's and the document is laid out once
more with them, as a build without a guess would. Documents with such references, long reports
laid out in halves and documents with print templates of their own are built without a guess.
"""

from __future__ import annotations

import gc
import html as html_text
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from generator.cache import pages_entry, read_pages, write_pages
from generator.code import styled_in_print
from generator.engine import (PAGES_AS_LAID_OUT, USES_ATTRIBUTE, USES_BY_OFFSET, UsePositions, applies,
                              hanging_trailing_spaces, layout_tuning, leaders_in_one_run, licence_in_xmp,
                              missing_glyphs, notes_and_whole_tables, position_text, preload_hyphenation,
                              watched_pages)
from generator.errors import SourceError
from generator.fetch import PROFILE_URL, SandboxedFetcher, refuse_attachments
from generator.filters import heading_numbers, page_plan, unlinked_use_anchors, use_anchors
from generator.guard import checked_template_pictures
from generator.labels import Labels, document_labels
from generator.licences import LICENCES, rights_statement
from generator.model import Chapter, Document
from generator.pictures import picture_names
from generator.scripts import glyph_problems
from generator.templates import PROJECT_TEMPLATES, font_dirs, template_dirs
from generator.tree import Element, Fragment, mark_wide_tables, split_leading_paragraph, to_html
from generator.writers import ContentMarkup, Output, WriteContext, build_time, source_date_epoch, variant_suffix
from generator.writers.pdf_fonts import render_with_kept_fonts
from generator.writers.pdf_pages import GlossaryPages
from generator.writers.pdf_tags import Describe, tag_repair
from generator.writers.segments import segments, side_by_side, splits

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# A handout's page: half its sheet, laid out at that size (print.css and booklet.css know these names).
FOLDED_SIZES = {"a4": "A5", "letter": "half-letter"}
# Blocks a footnote may hold after its first paragraph, written as spans inside the floated note.
NOTE_BLOCKS = frozenset({"p", "ul", "ol", "li", "pre", "blockquote", "dl", "dt", "dd", "div", "table", "tr", "td", "th",
                         "thead", "tbody", "figure", "figcaption", "h2", "h3", "h4", "h5", "h6", "hr"})
# A table of more columns than these is set smaller, so that it fits the text block (print.css).
WEB_LINK = ("http://", "https://")
# Every CSS page-margin box: the first layout empties them all (PdfWriter.html).
MARGIN_BOXES = tuple(f"{edge}-{part}" for edge in ("top", "bottom") for part in ("left-corner", "left", "center", "right", "right-corner")) \
    + tuple(f"{side}-{part}" for side in ("left", "right") for part in ("top", "middle", "bottom"))
REFERENCE_ID = "-xref"  # a cross-reference's id in print, ch2-xref1: the first layout finds its page
_ID = re.compile(r'\sid="([^"]*)"')
_USES = re.compile(USES_ATTRIBUTE + r'="([^"]*)"')


class UsesNotPlaced(Exception):
    """A layout's text does not show where the uses marked by their offsets are (engine.UsePositions):
    the document is laid out again with a span around each use."""


class PagesMoved(Exception):
    """A page the first layout found (or guessed) is not the page of its anchor in the kept layout;
    ``pages``: the pages found instead, when they are the first layout's own (a failed guess)."""

    def __init__(self, pages: dict[str, int] | None = None) -> None:
        super().__init__()
        self.pages = pages


@dataclass(frozen=True)
class Guess:
    """The pages of a document's last build, tried in its next layout (see the module's docstring)."""

    pages: dict[str, int]
    seen: frozenset[str]  # the anchors the first layout would find, whose pages are compared
    unlinked: frozenset[str]  # anchors kept for the comparison, dropped before the PDF is written


class PdfWriter:
    """Renders ``print/document.html`` and its stylesheet into a tagged PDF."""

    name = "pdf"
    spans = False  # a span around each use of a term that is not a link, not its offset (laid_out sets it)

    def output_path(self, ctx: WriteContext) -> Path:
        """``<out>/<slug>.pdf``, ``<slug>-letter.pdf`` on Letter, ``-marks`` with crop marks."""
        return ctx.out_dir / f"{ctx.document.slug}{variant_suffix(ctx.options)}.pdf"

    def render(self, ctx: WriteContext) -> list[Output]:
        """The PDF and, with --keep-html, the very HTML WeasyPrint laid out (``<slug>.print.html``)."""
        markup, pdf_bytes = self.laid_out(ctx)
        pdf = Output(self.output_path(ctx), pdf_bytes)
        if not ctx.options.keep_html:
            return [pdf]
        return [Output(self.output_path(ctx).with_suffix(".print.html"), markup.encode("utf-8")), pdf]

    def pdf(self, ctx: WriteContext) -> bytes:
        """The PDF's bytes alone (for the handouts, which impose them)."""
        return self.laid_out(ctx)[1]

    def laid_out(self, ctx: WriteContext) -> tuple[str, bytes]:
        """The final HTML and its PDF, found with each use of a term marked by its offset in its
        element's text or, should a layout's text not show where a use is, with a span around each."""
        if applies(USES_BY_OFFSET):
            try:
                return self.laid_out_with_pages(ctx)
            except UsesNotPlaced:
                pass
        self.spans = True
        try:
            return self.laid_out_with_pages(ctx)
        finally:
            self.spans = False

    def laid_out_with_pages(self, ctx: WriteContext) -> tuple[str, bytes]:
        """The final HTML and its PDF: a first layout finds the page of each use of a term, the second is kept.

        A first layout made in halves (segments.py) is checked against the kept one: should a page
        it found ever differ there, the first layout is made again whole and the second again.
        """
        if not page_targets(ctx.document):
            markup = self.html(ctx, {})
            return markup, self.layout(ctx, markup)
        at_once = self.laid_out_at_once(ctx)
        if at_once is not None:
            return at_once
        entry = self.pages_entry(ctx)
        guessed = self.laid_out_from_guess(ctx, entry) if entry is not None else None
        if guessed is not None:
            return guessed
        halves = self.first_layout_in_halves(ctx)
        pages = halves if halves is not None else self.whole_first_layout(ctx)
        markup = self.html(ctx, pages)
        try:
            result = markup, self.layout(ctx, markup, expected=pages if halves is not None else None)
        except PagesMoved:
            pages = self.whole_first_layout(ctx)
            markup = self.html(ctx, pages)
            result = markup, self.layout(ctx, markup)
        if entry is not None:
            write_pages(entry, pages)
        return result

    def laid_out_at_once(self, ctx: WriteContext) -> tuple[str, bytes] | None:
        """The final HTML and PDF from one layout that finds the glossary's pages as it goes
        (pdf_pages.py), or None where it cannot: a cross-reference (its "(page 5)" would need the
        pages before its chapter is laid out), a document's own print markup, a WeasyPrint release
        engine.watched_pages does not know, or a layout that does not bear its pages out."""
        document = ctx.document
        if reference_anchors(document) or own_print_markup(document) or not applies(PAGES_AS_LAID_OUT):
            return None
        watcher = GlossaryPages(document.glossary, runs_on=page_plan(document) == "briefing")
        try:
            pdf = self.layout(ctx, self.html(ctx, {}, all_uses=True), watcher=watcher)
        except PagesMoved:
            return None
        pages = watcher.pages()
        assert pages is not None  # layout() raised PagesMoved otherwise
        return self.html(ctx, pages), pdf

    def pages_entry(self, ctx: WriteContext) -> Path | None:
        """Where this document's pages are kept between builds, or None where a build makes no
        guess: caching off, a long report laid out in halves, a document with its own print markup."""
        if own_print_markup(ctx.document) or splits(ctx.document, page_plan(ctx.document)):
            return None
        options = ctx.options
        return pages_entry(str(ctx.document.root.resolve()), ctx.document.slug, type(self).__name__, page_size(ctx),
                           repr((options.marks, options.press, options.folded)))

    def laid_out_from_guess(self, ctx: WriteContext, entry: Path) -> tuple[str, bytes] | None:
        """The final HTML and PDF laid out with the last build's pages, or None where there are
        none or a reference prints a page (see the module's docstring)."""
        guess = read_pages(entry)
        if guess is None:
            return None
        blank = print_markup(ctx.document, {}, spans=self.spans)
        kept = print_markup(ctx.document, guess, keep_ids=True, spans=self.spans)
        if kept.bodies != blank.bodies:
            return None
        finds = first_layout_finds(ctx.document)
        lean = self.html(ctx, {}, finding_pages=True, markup=blank)
        seen = frozenset(anchor for anchor in map(html_text.unescape, _ID.findall(lean)) if finds(anchor)) \
            | marked_uses(lean)
        try:
            pdf = self.layout(ctx, self.html(ctx, guess, markup=kept),
                              guess=Guess(guess, seen, unlinked_use_anchors(ctx.document.glossary, guess)))
        except PagesMoved as moved:
            assert moved.pages is not None
            write_pages(entry, moved.pages)
            markup = self.html(ctx, moved.pages)
            return markup, self.layout(ctx, markup)
        return self.html(ctx, guess), pdf

    def whole_first_layout(self, ctx: WriteContext) -> dict[str, int]:
        """The pages of the first layout, made in one piece."""
        return self.use_pages(ctx, self.html(ctx, {}, finding_pages=True))

    def first_layout_in_halves(self, ctx: WriteContext) -> dict[str, int] | None:
        """The pages of the first layout, made in two halves side by side (segments.py), or None
        where the document is laid out whole (a briefing, a short report, one core, a user's own
        print/document.html, which may not know the segments)."""
        template = ctx.env.get_template("print/document.html")
        plan = page_plan(ctx.document)
        if not (template.filename or "").startswith(str(PROJECT_TEMPLATES)) or not splits(ctx.document, plan):
            return None
        blank = print_markup(ctx.document, {}, spans=self.spans)
        halves = segments(ctx.document, plan, blank.bodies)
        if halves is None:
            return None
        first, second = (self.html(ctx, {}, finding_pages=True, segment=half, markup=blank) for half in halves)
        found = side_by_side(lambda: self.anchor_pages_if_placed(ctx, first),
                             lambda: self.anchor_pages_if_placed(ctx, second))
        if None in found:
            raise UsesNotPlaced()
        (first_pages, count), (second_pages, _) = found  # type: ignore[misc]
        return {**first_pages, **{anchor: count + page for anchor, page in second_pages.items()}}

    def html(self, ctx: WriteContext, pages: dict[str, int], finding_pages: bool = False,
             segment: dict[str, object] | None = None, markup: ContentMarkup | None = None,
             all_uses: bool = False) -> str:
        """The HTML handed to WeasyPrint; ``pages`` (anchor → page of each use of a term) gives the glossary's numbers.

        ``finding_pages``: the HTML of the first layout, which only finds the pages of anchors in the
        chapters. The templates may leave out what cannot move them: the margin boxes, the glossary
        after its first entry and what follows the glossary (a third of that layout's time on the
        seed). The first entry stays so that the glossary's heading breaks as it will in the end.
        ``all_uses``: every use of a term linked from its entry, for a layout that cuts the numbers
        down as it goes (pdf_pages.py). The glossary's numbers are written as text, from ``pages``,
        unless a cross-reference's "(page 5)" may move a use after the pages were found: then
        target-counter() prints them.
        """
        template = ctx.env.get_template("print/document.html")
        html = template.render(doc=ctx.document, meta=ctx.document.meta, options=ctx.options, pages=pages,
                               finding_pages=finding_pages, all_uses=all_uses, margin_boxes=MARGIN_BOXES, segment=segment,
                               page_numbers={} if reference_anchors(ctx.document) else pages,
                               plan=page_plan(ctx.document), paper=page_size(ctx), profile_url=PROFILE_URL,
                               markup=markup or print_markup(ctx.document, pages, spans=self.spans))
        checked_template_pictures(html, ctx.document, ctx.env, "print/document.html", picture_names(ctx.document))  # WeasyPrint's fetcher reads them
        return html

    def use_pages(self, ctx: WriteContext, markup: str) -> dict[str, int]:
        """The page (from 1) of every use of a term, in a layout of ``markup``."""
        return self.anchor_pages(ctx, markup)[0]

    def anchor_pages_if_placed(self, ctx: WriteContext, markup: str) -> tuple[dict[str, int], int] | None:
        """:meth:`anchor_pages`, or None where the uses are not placed (a half laid out in a child
        process, whose exceptions reach this one as text)."""
        try:
            return self.anchor_pages(ctx, markup)
        except UsesNotPlaced:
            return None

    def anchor_pages(self, ctx: WriteContext, markup: str) -> tuple[dict[str, int], int]:
        """The page (from 1) of every use of a term and cross-reference target in a layout of
        ``markup``, and the number of its pages."""
        with self.rendering(ctx):
            rendered = self.rendered(ctx, markup)
        pages = pages_of(rendered, first_layout_finds(ctx.document))
        count = len(rendered.pages)
        # The layout's boxes are cyclic garbage now. Collected here, or the next layout's calm
        # collector (engine.py) freezes them with everything else alive: a second copy of the
        # document's boxes kept for the whole second layout (peak 1.35 GB instead of 0.78 on the
        # 300-page report).
        del rendered
        gc.collect()
        return pages, count

    def layout(self, ctx: WriteContext, markup: str, expected: dict[str, int] | None = None,
               guess: Guess | None = None, watcher: GlossaryPages | None = None) -> bytes:
        """Lay out HTML rendered by :meth:`html` and return the PDF's bytes; SourceError when a
        character has no font (it would be an empty box). PagesMoved when an anchor in ``expected``
        (anchor → page) is on another page, when the layout does not bear out a ``guess``, or the
        pages a ``watcher`` cut the glossary's numbers for."""
        options = self.options(ctx)
        with self.rendering(ctx), missing_glyphs() as missing:  # subsetting reads the epoch
            with watched_pages(watcher) if watcher is not None else nullcontext():
                rendered = self.rendered(ctx, markup)
            uses = placed_uses(rendered, markup)
            if expected is not None and moved_anchors(rendered, expected, uses):
                raise PagesMoved()
            if watcher is not None:
                guess = watched_guess(ctx.document, watcher)
            if guess is not None:
                confirm_guess(rendered, guess, uses)
            uses.anchored(rendered.pages, internal_targets(rendered))
            refuse_attachments(rendered)
            rendered.metadata.modified = build_time(ctx.document).strftime("%Y-%m-%dT%H:%M:%SZ")
            licence = ctx.document.meta.licence  # the licence, where PDF readers and asset managers look for it
            licence_in_xmp(rendered.metadata, rights_statement(licence) if licence else "",
                           LICENCES[licence].url if licence else "")
            with notes_and_whole_tables():  # glyphs are chosen as the text is drawn, here
                pdf = rendered.write_pdf(finisher=tag_repair(link_describer(ctx.document), self.finisher(ctx)), **options)
        if missing:
            raise SourceError(glyph_problems(ctx.document, missing))
        return pdf

    def rendered(self, ctx: WriteContext, markup: str) -> Any:
        """WeasyPrint's layout of ``markup``, with the document's kept fonts (pdf_fonts.py)."""
        return render_with_kept_fonts(self.html_document(ctx, markup), ctx.document.root, markup, **self.options(ctx))

    def html_document(self, ctx: WriteContext, markup: str) -> Any:
        """WeasyPrint's HTML for ``markup``, reading files only through the sandboxed fetcher."""
        from weasyprint import HTML  # imported here: it is slow to import and only the PDF needs it

        fetcher = self.fetcher(ctx)
        return HTML(string=markup, base_url=fetcher.base_url, url_fetcher=fetcher)  # the same URLs in any folder

    def fetcher(self, ctx: WriteContext) -> SandboxedFetcher:
        """The fetcher of every file WeasyPrint reads: the document's folder, the templates, the fonts."""
        return SandboxedFetcher([ctx.document.root, PROJECT_TEMPLATES, *font_dirs()], document=ctx.document.root)

    def finisher(self, ctx: WriteContext) -> Callable[[Any, Any], None] | None:
        """A last change to WeasyPrint's PDF objects before they are written (none here)."""
        return None

    def options(self, ctx: WriteContext) -> dict[str, Any]:
        """WeasyPrint's options: tagged PDF/UA and the document's identifier."""
        return {"pdf_variant": "pdf/ua-1", "pdf_identifier": ctx.document.meta.identifier.encode()}

    @contextmanager
    def rendering(self, ctx: WriteContext) -> Iterator[None]:
        """The conditions of every layout: hyphenation loaded, the source date and our engine fixes."""
        preload_hyphenation(ctx.document.meta.language)
        with source_date_epoch(ctx.document), layout_tuning(), hanging_trailing_spaces(), leaders_in_one_run():
            yield


def pages_of(rendered: Any, wanted: Callable[[str], bool], uses: UsePositions | None = None) -> dict[str, int]:
    """The page (from 1) of each wanted anchor of a laid-out document, an element's id or a use
    marked by its offset (``uses``: those already placed in it); an anchor split over two pages
    counts on the first, where WeasyPrint's links to it go and its target-counter() looks."""
    found: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, start=1):
        for anchor in page.anchors:
            if anchor not in found and wanted(anchor):
                found[anchor] = number
    for anchor, (number, _) in (uses or placed_uses(rendered)).placed.items():
        if wanted(anchor):
            found.setdefault(anchor, number)
    return found


def placed_uses(rendered: Any, markup: str | None = None) -> UsePositions:
    """The page and text box of every use marked by its offset in a laid-out document (none where
    ``markup``, its HTML, marks none); UsesNotPlaced where its text does not show them."""
    uses = UsePositions()
    if markup is not None and USES_ATTRIBUTE not in markup:
        return uses
    if uses.on_pages(rendered.pages).failed:
        raise UsesNotPlaced()
    return uses


def marked_uses(markup: str) -> frozenset[str]:
    """The anchors of the uses an HTML marks by their offsets."""
    return frozenset(mark.rsplit("@", 1)[0] for marks in _USES.findall(markup)
                     for mark in html_text.unescape(marks).split())


def internal_targets(rendered: Any) -> frozenset[str]:
    """The anchors a laid-out document's links go to."""
    return frozenset(target for page in rendered.pages for kind, target, *_ in page.links if kind == "internal")


def own_print_markup(document: Document) -> bool:
    """Whether the document brings a template of the PDF's markup (``templates/print/*.html`` or
    ``templates/shared/*.html``): the proof that a guess is right holds for our templates, which
    show nothing of the pages before the glossary; a stylesheet of its own leaves it whole."""
    return own_print_templates(document, ".html")


def own_print_templates(document: Document, suffix: str) -> bool:
    """Whether the document's own ``templates/print/`` or ``templates/shared/`` holds a file
    ending in ``suffix``."""
    own = [folder for folder in template_dirs(document.root) if folder != PROJECT_TEMPLATES]
    return any(path.suffix == suffix for folder in own for part in ("print", "shared") for path in (folder / part).glob("*"))


def first_layout_finds(document: Document) -> Callable[[str], bool]:
    """Whether the first layout records an anchor's page: a term's use, a cross-reference or its target."""
    targets = page_targets(document)
    return lambda anchor: anchor in targets or REFERENCE_ID in anchor


def confirm_guess(rendered: Any, guess: Guess, uses: UsePositions | None = None) -> None:
    """PagesMoved, with the pages found, unless a laid-out document has every anchor the first
    layout would find on the page guessed; then drop the anchors kept only to check that, so that
    the PDF is the one laid out without them (an id is an anchor and a PDF destination, and no more)."""
    found = pages_of(rendered, guess.seen.__contains__, uses)
    if found != guess.pages:
        raise PagesMoved(found)
    for page in rendered.pages:
        for anchor in guess.unlinked & page.anchors.keys():
            del page.anchors[anchor]


def watched_guess(document: Document, watcher: GlossaryPages) -> Guess:
    """The pages a watcher cut the glossary's numbers for, as a guess the layout must bear out;
    PagesMoved when it cut none before the glossary was laid out."""
    pages = watcher.pages()
    if pages is None:
        raise PagesMoved()
    return Guess(pages, frozenset(watcher.entries), unlinked_use_anchors(document.glossary, pages))


def moved_anchors(rendered: Any, expected: dict[str, int], uses: UsePositions | None = None) -> list[str]:
    """The anchors of ``expected`` (anchor → page) that a laid-out document has on another page."""
    return [anchor for anchor, number in pages_of(rendered, expected.__contains__, uses).items()
            if expected[anchor] != number]


def page_size(ctx: WriteContext) -> str:
    """The page the PDF is laid out on: the paper, or half of it for a handout."""
    return (FOLDED_SIZES if ctx.options.folded else PAPER_SIZES)[ctx.options.paper]


def link_describer(document: Document) -> Describe:
    """A link's description from its target id, in the document's language (the PDF's ``/Contents``)."""
    labels = document_labels(document)
    targets = link_targets(document, labels)

    def describe(target: str, page: int) -> str | None:
        if target not in targets:
            return None
        return labels.format("link_on_page", target=targets[target], page=labels.number(page))

    return describe


def link_targets(document: Document, labels: Labels) -> dict[str, str]:
    """What each internal target is, in words: chapters, sections, the glossary, its terms and their uses."""
    targets = {"glossary-title": labels["glossary"]}
    for chapter in document.chapters:
        targets[chapter.id] = targets[f"{chapter.id}-title"] = labels.format(
            "link_chapter", number=chapter.number, title=chapter.title)
        targets.update({note.id: labels.format("link_note", n=note.number) for note in chapter.footnotes})
        targets.update({heading: labels.format("link_section", number=number)
                        for heading, number in heading_numbers(chapter).items()})
    for entry in document.glossary:
        targets[entry.id] = labels.format("link_glossary", term=entry.term)
        targets.update({use.anchor: labels.format("link_use", term=entry.term) for use in entry.uses})
    return targets


def print_markup(document: Document, pages: dict[str, int] | None = None, keep_ids: bool = False,
                 spans: bool = False) -> ContentMarkup:
    """Every piece of content, transformed for print and serialised as HTML (``pages``: see PdfWriter.html);
    ``keep_ids``: the id of every use of a term kept, linked or not; ``spans``: see print_body."""
    labels = document_labels(document)
    unlinked = frozenset() if keep_ids else unlinked_use_anchors(document.glossary, pages or {})
    plain = not own_print_styles(document)
    return ContentMarkup(
        titles={c.id: Markup(to_html(c.title_markup.root)) for c in document.chapters},
        bodies={c.id: Markup(to_html(print_body(c, pages or {}, labels, unlinked, plain, spans)))
                for c in document.chapters},
        notes={}, note_blocks={},  # each note's text is inside its chapter's body, where it is called
        definitions={e.id: Markup(to_html(e.definition.root)) for e in document.glossary},
        summary=[Markup(to_html(point.root)) for point in document.meta.summary],
    )


def print_body(chapter: Chapter, pages: dict[str, int] | None = None, labels: Labels | None = None,
               unlinked: frozenset[str] = frozenset(), plain_tokens: bool = False, spans: bool = False) -> Element:
    """A chapter's body for print: numbered headings, link notes, footnotes in place, references' pages.

    Every use of a term keeps its anchor for the first layout, which finds the page of each
    (use_pages); the second drops the ``unlinked`` ones, which no glossary number links to.
    A use that is not a link loses its span, its place kept as an offset (mark_uses), unless
    ``spans``. ``plain_tokens``: the spans of code tokens print.css draws as plain code are left out.
    """
    body = chapter.body.copy()
    number_headings(body, heading_numbers(chapter))
    mark_wide_tables(body)
    if plain_tokens:
        unwrap_plain_tokens(body)
    add_link_notes(body)
    place_footnotes(body, chapter)
    if labels is not None:
        add_reference_pages(body, chapter, pages or {}, labels)
    if not spans:
        mark_uses(body)
    drop_ids(body, unlinked)
    return body


def mark_uses(root: Element) -> None:
    """Replace the span of each use of a term that is not a link by its text, the element that
    holds it marked with the use's anchor and offset in that element's own text
    (``data-uses="ch1-aws-2@17"``, see engine.UsePositions): the layout has fewer boxes to make.
    ``root`` is the body's container, which is not written out as an element."""
    # Text right inside the body's container (between raw HTML blocks) has no element of its own
    # in the HTML: those uses keep their spans and ids.
    holders = {id(span.getparent()): span.getparent() for span in root.iter("span")
               if span.get("class") == "term-use" and span.getparent() is not root}
    for holder in holders.values():
        reached, marks, uses = len(position_text(holder.text or "")), [], []
        for child in holder:
            if child.tag == "span" and child.get("class") == "term-use":
                marks.append(f"{child.get('id')}@{reached}")
                uses.append(child)
                reached += len(position_text(child.text or ""))
            reached += len(position_text(child.tail or ""))
        holder.set(USES_ATTRIBUTE, " ".join(marks))
        for use in uses:
            unwrap(use)


def own_print_styles(document: Document) -> bool:
    """Whether the document brings a stylesheet of the PDF's (``templates/print/*.css`` or
    ``templates/shared/*.css``), which may give any code token a look of its own."""
    return own_print_templates(document, ".css")


def unwrap_plain_tokens(root: Element) -> None:
    """Take out the span of every code token print.css gives no look (``code.styled_in_print``):
    its text joins its neighbours', drawn the same (checked page by page on a technical book)."""
    for pre in root.iter("pre"):
        if "code" not in (pre.get("class") or "").split():
            continue
        for span in list(pre.iter("span")):
            name = span.get("class") or ""
            if name and " " not in name and name != "line" and len(span) == 0 and not styled_in_print(name):
                unwrap(span)


def unwrap(element: Element) -> None:
    """Replace a childless element by its text, joined to the text before it."""
    parent = element.getparent()
    text = (element.text or "") + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)


def drop_ids(root: Element, ids: frozenset[str]) -> None:
    """Remove the ``id`` of every element whose id is in ``ids``. An id changes nothing in the
    layout, but WeasyPrint makes an anchor and a PDF destination of each, and checks each anchor
    as it paginates: 1,177 of the 300-page report's 3,838 term uses are linked from no glossary
    number (the later uses on a page)."""
    if not ids:
        return
    for element in root.iter():
        if element.get("id") in ids:
            del element.attrib["id"]


def page_targets(document: Document) -> frozenset[str]:
    """The anchors whose pages the PDF prints: every use of a term and every cross-reference's target.

    Empty (no term used, no cross-reference) means no first layout: it would find nothing.
    """
    return use_anchors(document.glossary) | reference_anchors(document)


def reference_anchors(document: Document) -> frozenset[str]:
    """The target of every cross-reference: the first layout finds the page of each."""
    return frozenset(a.get("href", "")[1:] for c in document.chapters
                     for fragment in (c.body, *(n.body for n in c.footnotes))
                     for a in fragment.iter("a") if a.get("class") == "xref")


def add_reference_pages(root: Element, chapter: Chapter, pages: dict[str, int], labels: Labels) -> None:
    """Give each cross-reference an id, and follow one whose target is on another page with that page."""
    references = [a for a in root.iter("a") if a.get("class") == "xref"]
    for number, link in enumerate(references, start=1):
        anchor = f"{chapter.id}{REFERENCE_ID}{number}"
        link.set("id", anchor)
        target = link.get("href", "")[1:]
        if anchor in pages and target in pages and pages[anchor] != pages[target]:
            note = _page_note(target, labels)
            note.tail, link.tail = link.tail, None
            link.addnext(note)


def _page_note(target: str, labels: Labels) -> Element:
    """' (page 5)': the label around a ``target-counter()`` link to the target."""
    before, _, after = labels["reference_page"].partition("{page}")
    note = etree.Element("span", {"class": "reference-page"})
    note.text = f" ({before}"
    counter = etree.SubElement(note, "a", {"class": "page-ref", "href": f"#{target}"})
    counter.tail = f"{after})"
    return note


def number_headings(root: Element, numbers: dict[str, str]) -> None:
    """Put each section's number in front of its heading text, so bookmarks and the TOC agree."""
    for heading in root.iter("h2", "h3", "h4", "h5", "h6"):
        number = numbers.get(heading.get("id", ""))
        if number:
            span = etree.Element("span", {"class": "heading-number"})
            span.text = number
            span.tail = " " + (heading.text or "")
            heading.text = None
            heading.insert(0, span)


def add_link_notes(root: Element) -> None:
    """Follow each web link with a footnote giving its address, unless the address is its text."""
    for link in [a for a in root.iter("a") if a.get("href", "").startswith(WEB_LINK) and a.get("class") is None]:
        url = link.get("href", "")
        if "".join(link.itertext()).strip() in {url, url.split("://", 1)[1]}:
            continue
        note = etree.Element("span", {"class": "footnote link-note"})
        address = etree.SubElement(note, "a", {"class": "url", "href": url})
        address.text = url
        note.tail, link.tail = link.tail, None
        link.addnext(note)


def place_footnotes(root: Element, chapter: Chapter) -> None:
    """Put each footnote's text in place of its first call, for WeasyPrint's ``float: footnote``."""
    calls: dict[str, Element] = {}
    for link in root.iter("a"):
        if link.get("class") == "noteref":
            calls.setdefault(link.get("href", "")[1:], link)
    for note in chapter.footnotes:
        call = calls.get(note.id)
        if call is None:
            continue
        span = _note_span(note.id, note.body)
        span.tail = call.tail
        call.getparent().replace(call, span)


def _note_span(note_id: str, body: Fragment) -> Element:
    """A footnote's body as the span WeasyPrint floats to the foot of the page.

    The note sits inside a paragraph, where HTML allows no blocks: its first paragraph's
    content comes first, and every block after it becomes a span of class ``fn-<tag>``
    that print.css sets as a block (a list item as a list item, code as preformatted).
    """
    first, rest = split_leading_paragraph(body.root)
    for element in rest.iter():
        if element.tag in NOTE_BLOCKS:
            element.set("class", f"fn-{element.tag}" + (f" {element.get('class')}" if element.get("class") else ""))
            if element.tag != "pre":  # the line breaks between blocks would become empty lines
                element.tail = element.tail if (element.tail or "").strip() else None
                element.text = element.text if (element.text or "").strip() or not len(element) else None
            element.tag = "span"
    rest.text = rest.text if (rest.text or "").strip() else None
    first.extend(rest)
    if len(rest) == 0 and rest.text:
        first.text = (first.text or "") + rest.text
    first.tag = "span"
    first.attrib.update({"class": "footnote", "id": note_id})
    return first
