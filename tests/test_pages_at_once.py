"""The glossary's pages found in the layout that is kept (PdfWriter.laid_out_at_once, pdf_pages.py).

One layout instead of two, and never a byte changed: each test compares the PDF laid out at once
with the PDF of the two-layout build (a first layout for the pages, then the kept one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import engine
from generator.build import check
from generator.filters import page_plan
from generator.writers import BuildOptions, WriteContext
from generator.writers.pdf_pages import GlossaryPages
from tests.conftest import FIXTURES, SEED, SOURCE
from tests.layouts import CountingWriter, context


class TwoLayouts(CountingWriter):
    """The writer as it was before: a first layout finds the pages (no cache, no layout at once)."""

    def laid_out_at_once(self, ctx: WriteContext) -> None:
        return None

    def pages_entry(self, ctx: WriteContext) -> None:
        return None


@pytest.mark.parametrize(("source", "slug", "options"), [
    (SOURCE, SEED, BuildOptions()), (SOURCE, SEED, BuildOptions(paper="letter")),
    (SOURCE, SEED, BuildOptions(marks=True)), (SOURCE, SEED, BuildOptions(folded=True)),
    (FIXTURES, "print-features", BuildOptions()), (FIXTURES, "golden", BuildOptions()),
    (FIXTURES, "epub-rich", BuildOptions()), (FIXTURES, "web-doc", BuildOptions()),
    (FIXTURES, "i18n-ja", BuildOptions()), (FIXTURES, "i18n-ar", BuildOptions()),
    (FIXTURES, "i18n-de", BuildOptions()), (FIXTURES, "i18n-fr", BuildOptions())])
def test_one_layout_gives_the_pdf_two_layouts_give(source: Path, slug: str, options: BuildOptions,
                                                   tmp_path: Path) -> None:
    """Briefings (the glossary runs on after the last chapter) and reports (it starts a page): one
    layout, no first layout, the same bytes and the same --keep-html markup as the two-layout build."""
    ctx = context(source, slug, tmp_path, options)
    once, twice = CountingWriter(), TwoLayouts()
    markup, pdf = once.laid_out(ctx)
    assert (once.first_layouts, once.layouts) == (0, 1)
    assert (markup, pdf) == twice.laid_out(ctx)
    assert (twice.first_layouts, twice.layouts) == (1, 1)


def test_both_kinds_of_glossary_start_are_among_them() -> None:
    """The documents above hold both page plans, so both ways of cutting the numbers are tested."""
    plans = {page_plan(check(FIXTURES, [slug])[0]) for slug in ("print-features", "i18n-ja")}
    assert plans == {"briefing", "report"}


def test_a_layout_that_does_not_bear_the_pages_out_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A watcher that notes every use a page too late cuts the numbers for the wrong pages: the
    layout is not kept, the writer makes a first layout and the PDF is the two-layout build's."""
    ctx = context(FIXTURES, "i18n-ja", tmp_path)
    noted = GlossaryPages.after_page

    def late(self: GlossaryPages, number: int, anchors: list[str]) -> None:
        noted(self, number + 1, anchors)

    expected = TwoLayouts().pdf(ctx)
    monkeypatch.setattr(GlossaryPages, "after_page", late)
    writer = CountingWriter()
    assert writer.pdf(ctx) == expected
    assert (writer.first_layouts, writer.layouts) == (1, 2)


def test_a_glossary_reached_before_its_numbers_are_cut_is_not_kept(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A watcher told the glossary is on the first page (as a stylesheet that lets a report's
    glossary run on could make it) has cut nothing in time: the layout is refused and the
    two-layout build's PDF is written."""
    ctx = context(FIXTURES, "i18n-de", tmp_path)
    expected = TwoLayouts().pdf(ctx)
    noted = GlossaryPages.after_page

    def glossary_first(self: GlossaryPages, number: int, anchors: list[str]) -> None:
        noted(self, number, [*anchors, "glossary"] if number == 1 else anchors)

    monkeypatch.setattr(GlossaryPages, "after_page", glossary_first)
    writer = CountingWriter()
    assert writer.pdf(ctx) == expected
    assert (writer.first_layouts, writer.layouts) == (1, 2)


def test_cross_references_still_make_a_first_layout(tmp_path: Path) -> None:
    """A reference's "(page 5)" needs its target's page before its own chapter is laid out."""
    writer = CountingWriter()
    writer.pdf(context(FIXTURES, "figures", tmp_path))
    assert writer.first_layouts == 1


def test_on_another_weasyprint_the_first_layout_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The watch reaches into WeasyPrint 70's pagination: on another release it is not tried."""
    monkeypatch.setattr(engine, "_warned", set())
    real = engine.installed_version
    monkeypatch.setattr(engine, "installed_version",
                        lambda distribution: "71.0" if distribution == "weasyprint" else real(distribution))
    writer = CountingWriter()
    writer.pdf(context(SOURCE, SEED, tmp_path))
    assert (writer.first_layouts, writer.layouts) == (1, 1)
    assert "pages as laid out" in capsys.readouterr().err


def test_the_watch_puts_weasyprint_back() -> None:
    """After the block WeasyPrint paginates as it did before it."""
    from weasyprint import layout

    original = layout.make_all_pages
    with engine.watched_pages(engine.PageWatcher()) as watching:
        assert watching and layout.make_all_pages is not original
    assert layout.make_all_pages is original
