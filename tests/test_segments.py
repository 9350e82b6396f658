"""The PDF's first layout in two halves side by side (generator/writers/segments.py).

The halves must find every anchor on the page one whole layout finds it on; the kept layout
checks that, and falls back to a whole first layout when a page differs.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import generator.writers.pdf as pdf_writer
import generator.writers.segments as segments_module
from generator.build import check
from generator.labels import document_labels
from generator.templates import make_environment
from generator.writers import BuildOptions, WriteContext
from generator.writers.pdf import PdfWriter
from generator.writers.segments import segments, side_by_side
from tests.conftest import FIXTURES, SEED, SOURCE

needs_two_cores = pytest.mark.skipif(segments_module.cores() < 2 or not hasattr(os, "fork"),
                                     reason="the halves are laid out side by side only with two cores and fork")


def as_report(source: Path, slug: str, tmp_path: Path) -> WriteContext:
    """A copy of a document laid out in the report plan, as the PDF writer's context."""
    shutil.copytree(source / slug, tmp_path / slug)
    meta = tmp_path / slug / "document.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(re.sub(r"(?m)^layout:.*$", "layout: report", text) if "layout:" in text
                    else text + "\nlayout: report\n", encoding="utf-8")
    (document,) = check(tmp_path, [slug])
    return WriteContext(document, make_environment(document.root, document_labels(document)), BuildOptions(), tmp_path / "out")


@needs_two_cores
@pytest.mark.parametrize(("source", "slug"), [(SOURCE, SEED), (FIXTURES, "print-features"), (FIXTURES, "figures"),
                                              (FIXTURES, "i18n-ja"), (FIXTURES, "golden")])
def test_the_halves_find_every_anchor_on_the_page_the_whole_layout_does(
        source: Path, slug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Footnotes numbered on across the halves, figures and cross-references, a long table, a
    landscape page, Japanese: every term use and reference target on the same page."""
    monkeypatch.setattr(segments_module, "SEGMENT_FROM_WORDS", 0)
    ctx = as_report(source, slug, tmp_path)
    writer = PdfWriter()
    halves = writer.first_layout_in_halves(ctx)
    whole = writer.use_pages(ctx, writer.html(ctx, {}, finding_pages=True))
    assert halves is not None and len(whole) >= 4
    assert halves == whole


def test_the_halves_carry_the_footnote_numbers_and_split_the_matter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first half has the cover and contents, the second the glossary and a footnote counter
    that goes on from the first half's notes; a briefing and a short report are laid out whole."""
    monkeypatch.setattr(segments_module, "cores", lambda: 2)
    ctx = as_report(SOURCE, SEED, tmp_path)
    blank = pdf_writer.print_markup(ctx.document, {})
    assert segments(ctx.document, "report", blank.bodies) is None  # the seed is shorter than SEGMENT_FROM_WORDS
    monkeypatch.setattr(segments_module, "SEGMENT_FROM_WORDS", 0)
    assert segments(ctx.document, "briefing", blank.bodies) is None
    first, second = segments(ctx.document, "report", blank.bodies) or []
    assert [*first["chapters"], *second["chapters"]] == list(ctx.document.chapters)  # type: ignore[misc]
    notes = sum(blank.bodies[c.id].count('<span class="footnote"') for c in first["chapters"])  # type: ignore[union-attr]
    assert second["notes_before"] == notes
    writer = PdfWriter()
    html = [writer.html(ctx, {}, finding_pages=True, segment=half, markup=blank) for half in (first, second)]
    assert 'id="toc-title"' in html[0] and 'id="toc-title"' not in html[1]
    assert 'id="glossary-title"' in html[1] and 'id="glossary-title"' not in html[0]
    assert (f'style="counter-reset: footnote {notes}"' in html[1]) == (notes > 0)
    monkeypatch.setattr(segments_module, "cores", lambda: 1)
    assert segments(ctx.document, "report", blank.bodies) is None


def test_pages_that_moved_in_the_kept_layout_fall_back_to_a_whole_first_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Halves that put an anchor on a wrong page are caught by the kept layout: the PDF is the one
    a whole first layout gives, byte for byte."""
    monkeypatch.setenv("BRIEFING_CACHE", "0")  # the second build would try the first's pages (test_page_guess.py)
    ctx = as_report(SOURCE, SEED, tmp_path)
    serial = PdfWriter().pdf(ctx)
    writer = PdfWriter()
    right = writer.use_pages(ctx, writer.html(ctx, {}, finding_pages=True))
    wrong = {anchor: page + 1 for anchor, page in right.items()}
    monkeypatch.setattr(writer, "first_layout_in_halves", lambda ctx: wrong)
    monkeypatch.setattr(writer, "laid_out_at_once", lambda ctx: None)  # halves are for reports with references
    layouts: list[dict[str, int] | None] = []
    layout = writer.layout
    monkeypatch.setattr(writer, "layout", lambda ctx, markup, expected=None: layouts.append(expected) or layout(ctx, markup, expected))
    assert writer.pdf(ctx) == serial
    assert layouts == [wrong, None]  # the check failed, then the kept layout was made again


def test_a_failure_in_the_child_is_raised_in_the_parent() -> None:
    """side_by_side returns both results in order, and raises what the child raised."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    assert side_by_side(lambda: {"a": 1}, lambda: {"b": 2}) == ({"a": 1}, {"b": 2})

    def broken() -> dict[str, int]:
        raise ValueError("no layout")

    with pytest.raises(RuntimeError, match="no layout"):
        side_by_side(broken, lambda: {})
