"""A rebuild tries the pages its document's last build found (PdfWriter.laid_out_from_guess).

The guess spares the first layout when it holds, and must never change a byte of the PDF: each
test compares the PDF built with a guess against the PDF of a build without one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import generator.writers.segments as segments_module
from generator.cache import pages_entry, read_pages, write_pages
from generator.templates import PROJECT_TEMPLATES
from generator.writers import BuildOptions, WriteContext
from generator.writers.pdf import PdfWriter
from tests import layouts
from tests.conftest import FIXTURES, SEED, SOURCE
from tests.layouts import context


def copied(source: Path, slug: str, tmp_path: Path) -> Path:
    """A copy of a document's folder, so that the test may edit it; returns the source folder."""
    shutil.copytree(source / slug, tmp_path / "source" / slug)
    return tmp_path / "source"


class CountingWriter(layouts.CountingWriter):
    """The counting writer that never lays a document out at once (test_pages_at_once.py), which
    would leave no first layout to spare: the guess is what a document with cross-references, or
    a build on another WeasyPrint, uses."""

    def laid_out_at_once(self, ctx: WriteContext) -> None:
        return None


def without_guess(ctx: WriteContext, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The PDF a build makes with no cache at all: the first layout, then the kept one."""
    with monkeypatch.context() as patch:
        patch.setenv("BRIEFING_CACHE", "0")
        return PdfWriter().pdf(ctx)


def entry_of(ctx: WriteContext) -> Path:
    """The cache file of the document's pages, for the counting writer (each writer class keeps its own)."""
    entry = CountingWriter().pages_entry(ctx)
    assert entry is not None
    return entry


@pytest.mark.parametrize(("source", "slug", "options"), [
    (SOURCE, SEED, BuildOptions()), (SOURCE, SEED, BuildOptions(paper="letter")),
    (FIXTURES, "i18n-ja", BuildOptions()), (FIXTURES, "print-features", BuildOptions()),
    (FIXTURES, "i18n-ar", BuildOptions())])
def test_a_rebuild_whose_pages_hold_makes_one_layout_and_the_same_pdf(
        source: Path, slug: str, options: BuildOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second build finds the first's pages still right: no first layout, the same bytes."""
    ctx = context(copied(source, slug, tmp_path), slug, tmp_path, options)
    plain = without_guess(ctx, monkeypatch)
    first, again = CountingWriter(), CountingWriter()
    assert first.pdf(ctx) == plain
    assert (first.first_layouts, first.layouts) == (1, 1)
    assert again.pdf(ctx) == plain
    assert (again.first_layouts, again.layouts) == (0, 1)
    assert read_pages(entry_of(ctx))  # the pages are kept for the next build


def test_a_wrong_guess_costs_one_more_layout_and_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page guessed one too far: the layout finds the real pages, which are the first
    layout's, and lays the document out again with them; the cache then holds the right pages."""
    ctx = context(copied(SOURCE, SEED, tmp_path), SEED, tmp_path)
    plain = without_guess(ctx, monkeypatch)
    CountingWriter().pdf(ctx)
    entry = entry_of(ctx)
    right = read_pages(entry)
    assert right
    write_pages(entry, {anchor: page + 1 for anchor, page in right.items()})
    writer = CountingWriter()
    assert writer.pdf(ctx) == plain
    assert (writer.first_layouts, writer.layouts) == (0, 2)
    assert read_pages(entry) == right


def test_a_guess_missing_an_anchor_is_not_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A guess must name every anchor the first layout would find, not only agree on those it names."""
    ctx = context(copied(SOURCE, SEED, tmp_path), SEED, tmp_path)
    plain = without_guess(ctx, monkeypatch)
    CountingWriter().pdf(ctx)
    entry = entry_of(ctx)
    right = read_pages(entry) or {}
    write_pages(entry, dict(list(right.items())[1:]))
    writer = CountingWriter()
    assert writer.pdf(ctx) == plain
    assert writer.layouts == 2 and read_pages(entry) == right


def test_an_edit_that_moves_pages_gives_the_pdf_of_a_build_without_a_guess(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Text added early in the seed moves later uses of terms to other pages: the stale guess is
    caught and the PDF is the one a build from nothing makes; a small edit then keeps the pages."""
    source = copied(SOURCE, SEED, tmp_path)
    CountingWriter().pdf(context(source, SEED, tmp_path))
    chapter = min((source / SEED).glob("*.md"))
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + "\n\n" + "More words that push the following text along the page. " * 80 + "\n",
                       encoding="utf-8")
    ctx = context(source, SEED, tmp_path)
    plain = without_guess(ctx, monkeypatch)
    stale = CountingWriter()
    assert stale.pdf(ctx) == plain
    assert (stale.first_layouts, stale.layouts) == (0, 2)
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("push the", "pushes the", 1), encoding="utf-8")
    ctx = context(source, SEED, tmp_path)
    small = CountingWriter()
    assert small.pdf(ctx) == without_guess(ctx, monkeypatch)
    assert (small.first_layouts, small.layouts) == (0, 1)


def test_no_guess_where_a_reference_prints_the_page_of_its_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """"Figure 1 (page 5)" is in the chapters and depends on the pages: a layout with it is not
    the first layout, so a rebuild makes the first layout again (and the same PDF)."""
    ctx = context(copied(FIXTURES, "figures", tmp_path), "figures", tmp_path)
    plain = without_guess(ctx, monkeypatch)
    CountingWriter().pdf(ctx)
    assert read_pages(entry_of(ctx))
    writer = CountingWriter()
    assert writer.pdf(ctx) == plain
    assert (writer.first_layouts, writer.layouts) == (1, 1)


def test_no_guess_for_a_report_laid_out_in_halves_or_a_document_with_its_own_print_markup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The halves are made side by side, so there is nothing to spare; a template of the
    document's own may show the pages anywhere. Its own stylesheet leaves the guess."""
    source = copied(SOURCE, SEED, tmp_path)
    meta = source / SEED / "document.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\nlayout: report\n", encoding="utf-8")
    monkeypatch.setattr(segments_module, "cores", lambda: 2)
    monkeypatch.setattr(segments_module, "SEGMENT_FROM_WORDS", 0)
    assert PdfWriter().pages_entry(context(source, SEED, tmp_path)) is None
    monkeypatch.setattr(segments_module, "SEGMENT_FROM_WORDS", 10**9)
    assert PdfWriter().pages_entry(context(source, SEED, tmp_path)) is not None
    own = source / SEED / "templates" / "print"
    own.mkdir(parents=True)
    (own / "theme.css").write_text("h2 { color: #123456; }\n", encoding="utf-8")
    assert PdfWriter().pages_entry(context(source, SEED, tmp_path)) is not None
    shutil.copy(PROJECT_TEMPLATES / "print" / "glossary.html", own / "glossary.html")
    assert PdfWriter().pages_entry(context(source, SEED, tmp_path)) is None


def test_each_paper_and_variant_keeps_its_own_pages(tmp_path: Path) -> None:
    """A4 and Letter, with and without marks, are four entries: one never guesses for another."""
    source = copied(SOURCE, SEED, tmp_path)
    entries = {PdfWriter().pages_entry(context(source, SEED, tmp_path, BuildOptions(paper=paper, marks=marks)))
               for paper in ("a4", "letter") for marks in (False, True)}
    assert len(entries) == 4 and None not in entries


@pytest.mark.parametrize("damage", [b"", b"not json", b"[1, 2]", b'{"a": "1"}', b'{"a": 0}', b'{"a": true}',
                                    b'{"a": 1.5}', b"{}", b'{"a": 1, "b": -2}'])
def test_a_damaged_pages_entry_is_no_guess(damage: bytes, tmp_path: Path) -> None:
    """Only a map of anchors to page numbers from 1 is read back; anything else is ignored."""
    entry = tmp_path / "entry.json"
    entry.write_bytes(damage)
    assert read_pages(entry) is None
    assert read_pages(tmp_path / "missing.json") is None
    write_pages(entry, {"ch1-use-3": 2, "fig-1": 4})
    assert read_pages(entry) == {"ch1-use-3": 2, "fig-1": 4}
    assert json.loads(entry.read_bytes()) == {"ch1-use-3": 2, "fig-1": 4}


def test_no_pages_are_kept_with_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BRIEFING_CACHE=0: no entry, and a build neither reads nor writes one."""
    monkeypatch.setenv("BRIEFING_CACHE", "0")
    assert pages_entry("anything") is None
    ctx = context(copied(SOURCE, SEED, tmp_path), SEED, tmp_path)
    assert PdfWriter().pages_entry(ctx) is None
    writer = CountingWriter()
    writer.pdf(ctx)
    writer.pdf(ctx)
    assert writer.first_layouts == 2
    monkeypatch.delenv("BRIEFING_CACHE")
    assert not entry_of(ctx).exists()
