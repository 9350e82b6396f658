"""The reading-system test (tools/readers/readers.mjs, `make readers`) on a temporary build.

The seed and three fixtures are built as EPUBs and the seed as a web page; the script opens the
EPUBs in foliate-js and epub.js and the page in Chromium, and fails on overflow, low contrast, a
heading or table cell outside the reader's font, or a glossary or footnote link without a target.
Skipped, saying why, where node, the npm packages (`make readers-setup`) or Chromium are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SEED, SOURCE, run_generator

READERS = ROOT / "tools" / "readers"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FIXTURE_BOOKS = ("epub-rich", "i18n-fr", "links")


def missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: the reading-system test needs it"
    if not (READERS / "node_modules" / "puppeteer-core").is_dir() or not (READERS / "node_modules" / "foliate-js").is_dir():
        return "the reading engines are not installed: run `make readers-setup`"
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


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
    assert (out / f"web-{SEED}-390-dark.png").is_file()
    assert (out / f"web-{SEED}-1600-light.png").is_file()


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_reading_systems_find_a_broken_stylesheet(tmp_path: Path) -> None:
    """The checks are not vacuous: dark-blue links and a sans-serif heading fail. (An over-wide
    paragraph, p { width: 900px }, was caught on the readtest branch but is not after the merge
    into main; left open in issue 17.)"""
    built = tmp_path / "built"
    result = run_generator("epub", "epub-rich", "--source", str(FIXTURES), "--out", str(built), "--no-progress")
    assert result.returncode == 0, result.stderr
    books = tmp_path / "books"
    books.mkdir()
    bad = "\na { color: #0000ee !important } h2 { font-family: sans-serif !important }\n"
    with zipfile.ZipFile(built / "epub-rich.epub") as src, zipfile.ZipFile(books / "broken.epub", "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("epub.css"):
                data += bad.encode()
            out.writestr(info, data)
    result = subprocess.run(
        ["node", str(READERS / "readers.mjs"), str(books), str(tmp_path / "readers")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "CHROMIUM": str(CHROMIUM), "READERS_ENGINES": "epubjs"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL epubjs  broken 390x844 night" in result.stdout
    assert "contrast 2.23:1" in result.stdout and "rgb(0, 0, 238)" in result.stdout
    assert "font: <h2" in result.stdout
