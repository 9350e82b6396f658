"""Handouts: the page order of booklets and two-up sheets, checked on the order functions and on real PDFs."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader

from generator import build
from generator.impose import SHEET_SIZES, booklet_sides, fit, impose, padded_count, two_up_sides
from generator.labels import document_labels
from generator.templates import make_environment
from generator.writers import BuildOptions, WriteContext
from generator.writers.handout import folded
from generator.writers.pdf import PdfWriter
from tests.conftest import FIXTURES, SEED, SOURCE, build_fixture, run_generator
from tests.helpers import squash, text_runs

A4 = (595.275591, 841.889764)
MM = 72 / 25.4


def reading_path(sides: list[tuple[int | None, int | None]]) -> list[int | None]:
    """The pages in the order a reader meets them in the folded stack (sheet sides printed front, back, ...).

    Going in: the front's right half of each sheet, then the back's left half behind it; coming out,
    from the innermost sheet: the back's right half, then the front's left half.
    """
    fronts, backs = sides[0::2], sides[1::2]
    going_in = [page for front, back in zip(fronts, backs) for page in (front[1], back[0])]
    coming_out = [page for front, back in reversed(list(zip(fronts, backs))) for page in (back[1], front[0])]
    return going_in + coming_out


def half_texts(page: PageObject, width: float) -> tuple[str, str]:
    """The text drawn on the left and on the right half of a sheet side, told apart by position."""
    halves: tuple[list[str], list[str]] = ([], [])

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        if text.strip():
            halves[int(x >= width / 2)].append(text)

    page.extract_text(visitor_text=visit)
    return "".join(halves[0]), "".join(halves[1])


def numbered_pdf(pages: int) -> bytes:
    """An A4 PDF whose page k holds only the text PAGE-k."""
    from weasyprint import HTML

    body = "".join(f'<p style="break-after: page">PAGE-{k}</p>' for k in range(1, pages + 1))
    return HTML(string=f"<style>@page {{ size: A4 }}</style>{body}").write_pdf()


def page_label(text: str) -> str | None:
    """PAGE-k read back from a half, or None for a blank half."""
    text = squash(text)
    return text or None


def test_booklet_sides_read_in_order_when_folded() -> None:
    """For 1 to 40 pages, walking the folded stack meets every page once, in order, blanks at the end."""
    for pages in range(1, 41):
        sides = booklet_sides(pages)
        total = padded_count(pages, 4)
        assert len(sides) == total // 2
        assert reading_path(sides) == [*range(pages), *[None] * (total - pages)]


def test_booklet_sides_of_eight_pages() -> None:
    """Eight pages give two sheets: 8|1, 2|7 on the first; 6|3, 4|5 on the second (1-based)."""
    assert booklet_sides(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]


def test_two_up_sides_keep_reading_order() -> None:
    """Two-up puts pages in reading order, a blank after an odd last page."""
    assert two_up_sides(5) == [(0, 1), (2, 3), (4, None)]
    assert two_up_sides(4) == [(0, 1), (2, 3)]


def test_fit_scales_a4_to_a5() -> None:
    """An A4 page fits an A5 half of an A4 sheet at 1/sqrt(2), with (almost) no margin left over."""
    scale, dx, dy = fit(A4, (SHEET_SIZES["a4"][0] / 2, SHEET_SIZES["a4"][1]))
    assert scale == pytest.approx(0.7071, abs=1e-4)
    assert (dx, dy) == pytest.approx((0, 0), abs=0.05)  # A5 is not exactly half of A4 in points


def test_booklet_of_five_pages_pads_with_blanks_on_the_right_halves() -> None:
    """Five pages become two sheets (four sides) with three blank halves, each page on its half."""
    reader = PdfReader(io.BytesIO(impose(numbered_pdf(5), "booklet", "a4")))
    width = SHEET_SIZES["a4"][0]
    halves = [tuple(page_label(t) for t in half_texts(page, width)) for page in reader.pages]
    assert halves == [(None, "PAGE1"), ("PAGE2", None), (None, "PAGE3"), ("PAGE4", "PAGE5")]


def test_two_up_letter_sheets_in_reading_order() -> None:
    """Two-up on Letter: landscape Letter sheets, pages in reading order, a blank after the last."""
    reader = PdfReader(io.BytesIO(impose(numbered_pdf(3), "2up", "letter")))
    width = SHEET_SIZES["letter"][0]
    assert [tuple(float(v) for v in p.mediabox[2:]) for p in reader.pages] == [(792.0, 612.0)] * 2
    halves = [tuple(page_label(t) for t in half_texts(page, width)) for page in reader.pages]
    assert halves == [("PAGE1", "PAGE2"), ("PAGE3", None)]


@pytest.fixture(scope="module")
def seed_booklet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing's booklet, built by the real command."""
    return build_fixture(tmp_path_factory, SEED, "handout", source=SOURCE) / f"{SEED}-booklet.pdf"


@pytest.fixture(scope="module")
def folded_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed laid out as the booklet lays it out before imposing (A5 pages), in this process."""
    out = tmp_path_factory.mktemp("folded")
    document = build.check(SOURCE, [SEED])[0]
    ctx = WriteContext(document, make_environment(document.root, document_labels(document)), BuildOptions(), out)
    (out / "folded.pdf").write_bytes(PdfWriter().pdf(folded(ctx)))
    return out / "folded.pdf"


def test_seed_booklet_halves_hold_the_pages_of_the_pdf(seed_booklet: Path, folded_pdf: Path) -> None:
    """Each half of each A4 sheet side holds the text of the A5 page saddle-stitch order puts there."""
    source = [squash(p.extract_text()) for p in PdfReader(str(folded_pdf)).pages]
    reader = PdfReader(str(seed_booklet))
    width = SHEET_SIZES["a4"][0]
    assert [tuple(round(float(v), 1) for v in p.mediabox[2:]) for p in reader.pages] == [(841.9, 595.3)] * (len(reader.pages))
    expected = [tuple(source[i] if i is not None else "" for i in side) for side in booklet_sides(len(source))]
    found = [tuple(squash(t) for t in half_texts(page, width)) for page in reader.pages]
    assert len(found) == len(expected) == padded_count(len(source), 4) // 2
    assert found == expected


def test_seed_booklet_keeps_metadata_outline_and_links(seed_booklet: Path, folded_pdf: Path) -> None:
    """Title, author and language carry over; bookmarks and internal links lead to the right sheet side."""
    source, booklet = PdfReader(str(folded_pdf)), PdfReader(str(seed_booklet))
    assert booklet.metadata.title == source.metadata.title == "Amazon and Anthropic"
    assert booklet.metadata.author == source.metadata.author
    assert booklet.trailer["/Root"]["/Lang"] == "en"
    side_of = {page: index for index, side in enumerate(booklet_sides(len(source.pages))) for page in side}
    chapters = [item for item in booklet.outline if not isinstance(item, list)]
    originals = [item for item in source.outline if not isinstance(item, list)]
    assert [c.title for c in chapters] == [o.title for o in originals]
    for moved, original in zip(chapters, originals):
        assert booklet.get_destination_page_number(moved) == side_of[source.get_destination_page_number(original)]
    links = [a.get_object() for p in booklet.pages for a in p.get("/Annots") or []]
    assert len(links) == sum(len(p.get("/Annots") or []) for p in source.pages)
    names = booklet.named_destinations
    assert all(str(link["/Dest"]) in names for link in links if "/Dest" in link)


def test_handout_cli_writes_2up_and_refuses_bad_sources(tmp_path: Path) -> None:
    """--layout 2up writes <slug>-2up.pdf; a broken source exits 1 and writes nothing."""
    broken = tmp_path / "src" / "broken"
    broken.mkdir(parents=True)
    (broken / "document.yaml").write_text("title: Broken\nchapters: [missing.md]\n", encoding="utf-8")
    result = run_generator("handout", "broken", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "document.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def booklet(out: Path, slug: str, source: Path, paper: str = "a4") -> Path:
    """Build one document's booklet with the real command and return its path."""
    result = run_generator("booklet", slug, "--source", str(source), "--out", str(out), "--paper", paper)
    assert result.returncode == 0, result.stderr
    return out / f"{slug}-booklet{'-letter' if paper == 'letter' else ''}.pdf"


@pytest.mark.parametrize(("slug", "source", "paper"), [(SEED, SOURCE, "a4"), (SEED, SOURCE, "letter"),
                                                       ("print-features", FIXTURES, "a4")])
def test_nothing_on_a_booklet_sheet_is_set_below_7pt(tmp_path: Path, slug: str, source: Path, paper: str) -> None:
    """Every text run on every sheet, its size read from the content streams with the placement's scale, is >= 7 pt;
    the body is 10 pt (laid out at A5 or half-letter, placed at 100 %)."""
    reader = PdfReader(str(booklet(tmp_path, slug, source, paper)))
    runs = [run for number in range(len(reader.pages)) for run in text_runs(reader, number)]
    assert runs and min(run.size for run in runs) >= 7, sorted({(r.size, r.font) for r in runs})[:5]
    body = Counter(run.size for run in runs if run.font == "Source-Serif-Pro")
    assert body.most_common(1)[0][0] == 10


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_booklet_margins_are_mirrored_about_the_fold(tmp_path: Path, paper: str) -> None:
    """Text starts 14 mm from the outer edge on a left-hand half and 17 mm from the fold on a right-hand half:
    the inner margin is at the fold on both sides of it."""
    reader = PdfReader(str(booklet(tmp_path, SEED, SOURCE, paper)))
    half = SHEET_SIZES[paper][0] / 2
    left, right = [], []
    for number in range(len(reader.pages)):
        starts = [run.x for run in text_runs(reader, number)]
        left += [min(x for x in starts if x < half)] if any(x < half for x in starts) else []
        right += [min(x for x in starts if x >= half) - half] if any(x >= half for x in starts) else []
    assert left and right
    assert all(abs(x / MM - 14) < 0.6 for x in left), [round(x / MM, 2) for x in left]
    assert all(abs(x / MM - 17) < 0.6 for x in right), [round(x / MM, 2) for x in right]


def test_letter_booklet_has_its_own_name_and_half_letter_pages(tmp_path: Path) -> None:
    """--paper letter writes <slug>-booklet-letter.pdf on landscape Letter sheets, beside the A4 booklet."""
    booklet(tmp_path, SEED, SOURCE, "a4")
    letter = booklet(tmp_path, SEED, SOURCE, "letter")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{SEED}-booklet-letter.pdf", f"{SEED}-booklet.pdf"]
    assert [float(v) for v in PdfReader(str(letter)).pages[0].mediabox[2:]] == [792, 612]
