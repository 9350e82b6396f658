"""The reading-system test (tools/readers/readers.mjs, `make readers`) on a temporary build.

The seed and four fixtures are built as EPUBs and the seed as a web page; the script opens the
EPUBs in foliate-js and epub.js and the page in Chromium, and fails on overflow, low contrast, a
heading or table cell outside the reader's font, or a glossary or footnote link without a target.
`make readers` opens every buildable fixture (about 5 minutes on two cores); here a subset keeps
the test near 90 s: epub-rich (glossary, notes, table, figure, callouts), links, i18n-de (long
compound words, the overflow a phone column meets first) and code-wide (code blocks and a
twelve-column, forty-row table that must wrap to the column and break across pages).
Skipped, saying why, where node, the npm packages (`make readers-setup`) or Chromium are missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SEED, SOURCE, run_generator

READERS = ROOT / "tools" / "readers"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FIXTURE_BOOKS = ("epub-rich", "links", "i18n-de", "code-wide")
WEB_CONFIGURATIONS = [(width, scheme) for width in (390, 1280, 1600) for scheme in ("light", "dark")]


def missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: the reading-system test needs it"
    if not (READERS / "node_modules" / "puppeteer-core").is_dir() or not (READERS / "node_modules" / "foliate-js").is_dir():
        return "the reading engines are not installed: run `make readers-setup`"
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


def problems(stdout: str, where: str) -> list[str]:
    """The problem lines printed under the report of one configuration ("foliate broken 390x844 night")."""
    lines = stdout.splitlines()
    engine, rest = where.split(" ", 1)
    header = next(i for i, line in enumerate(lines) if line.startswith(f"FAIL {engine.ljust(7)} {rest}:"))
    block = []
    for line in lines[header + 1:]:
        if not line.startswith("     "):
            break
        block.append(line.strip())
    return block


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_reading_systems(tmp_path: Path) -> None:
    books = tmp_path / "books"
    for args in (
        ("epub", SEED, "--source", str(SOURCE)),
        ("epub", *FIXTURE_BOOKS, "--source", str(FIXTURES)),
        ("html", SEED, "--source", str(SOURCE)),
    ):
        result = run_generator(*args, "--out", str(books), "--no-progress")
        assert result.returncode == 0, result.stderr
    out = tmp_path / "readers"
    result = subprocess.run(
        ["node", str(READERS / "readers.mjs"), str(books), str(out)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "CHROMIUM": str(CHROMIUM)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every check passed" in result.stdout, result.stdout
    # Both engines ran on every book, and the web page in both schemes.
    for book in (SEED, *FIXTURE_BOOKS):
        for engine in ("foliate", "epubjs"):
            assert (out / f"{engine}-{book}-390x844-night.png").is_file()
            assert f"ok   {engine.ljust(7)} {book} 800x1200 day" in result.stdout
    # The web page at phone, laptop and wide-screen widths, light and dark: contrast and overflow.
    for width, scheme in WEB_CONFIGURATIONS:
        assert f"ok   web     {SEED}.html {width} {scheme}" in result.stdout
        assert (out / f"web-{SEED}-{width}-{scheme}.png").is_file()


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_reading_systems_find_a_broken_stylesheet(tmp_path: Path) -> None:
    """The checks are not vacuous: over-wide paragraphs, dark-blue links and a sans-serif heading, and
    a long table in a box that scrolls, fail on a phone at night in both engines."""
    built = tmp_path / "built"
    result = run_generator("epub", "epub-rich", "code-wide", "--source", str(FIXTURES), "--out", str(built), "--no-progress")
    assert result.returncode == 0, result.stderr
    books = tmp_path / "books"
    books.mkdir()
    bad = "\na { color: #0000ee !important } h2 { font-family: sans-serif !important } p { width: 900px }\n"
    with_css(built / "epub-rich.epub", books / "broken.epub", bad)
    # The table wrapper the EPUB had before: a box that scrolls sideways, laid out in one piece.
    with_css(built / "code-wide.epub", books / "scrolling.epub", "\ntable { display: block; overflow-x: auto }\n")
    result = subprocess.run(
        ["node", str(READERS / "readers.mjs"), str(books), str(tmp_path / "readers")],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "CHROMIUM": str(CHROMIUM)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    for engine in ("foliate", "epubjs"):
        found = problems(result.stdout, f"{engine} broken 390x844 night")
        # The column is the phone's (390 px less the engine's margins), not the iframe's.
        assert any(re.search(r"overflow: <p\b.* is 900px wide in a 3[0-9]{2}px column", f) for f in found), found
        assert any("contrast 2.23:1" in f and "rgb(0, 0, 238)" in f for f in found), found
        assert any("font: <h2" in f for f in found), found
        # The forty-row table in a scrolling box is taller than the phone's page: its last rows are cut.
        clipped = problems(result.stdout, f"{engine} scrolling 390x844 night")
        assert any(re.search(r"clipped: <table\.wider> .* is \d+px tall in a \d+px page", f) for f in clipped), clipped


def with_css(epub: Path, out: Path, css: str) -> None:
    """A copy of ``epub`` with ``css`` appended to its stylesheet."""
    with zipfile.ZipFile(epub) as src, zipfile.ZipFile(out, "w") as copy:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("epub.css"):
                data += css.encode()
            copy.writestr(info, data)
