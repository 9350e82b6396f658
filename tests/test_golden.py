"""Golden files: the text outputs of the fixture document tests/fixtures/golden/, compared exactly.

The fixture is built once per session by the real commands (``all --keep-html`` and ``html``)
with ``SOURCE_DATE_EPOCH`` set to its date, and each file below is compared, character for
character, with its copy in tests/golden/golden/:

- from the EPUB, under their names in the zip: the package document (``EPUB/content.opf``),
  ``toc.ncx``, ``nav.xhtml``, the title page (the key points), the three chapters and the
  glossary;
- ``golden.print.html``, the HTML handed to WeasyPrint for the PDF;
- ``golden.html``, the self-contained web page.

Before comparing, what depends on the machine is normalised, the same way in the stored copy:

- a ``file://`` URL into an installed package (the fonts of ``font_source_*`` in the print
  HTML) loses everything up to and including ``site-packages/`` or ``dist-packages/``, which
  becomes ``{site-packages}/`` (the virtual environment's place and Python version vary);
- the fixture's folder and the checkout's root, absolute (as a path or a ``file://`` URL),
  become ``{fixture}`` and ``{root}`` (today no output contains them);
- the build date needs no rewriting: ``SOURCE_DATE_EPOCH`` is fixed, so an outside value
  cannot leak in.

After an intended change, ``make golden`` (``UPDATE_GOLDEN=1`` on this module) rewrites the
stored copies; review the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, run_generator
from tests.helpers import epubcheck_problems, opf_path

CASE = "golden"
FIXTURE = FIXTURES / CASE
GOLDEN = Path(__file__).resolve().parent / "golden" / CASE
SOURCE_DATE_EPOCH = "1775001600"  # 2026-04-01T00:00:00Z, the fixture's date
EPUB_MEMBERS = ("toc.ncx", "nav.xhtml", "title.xhtml", "ch1.xhtml", "ch2.xhtml", "ch3.xhtml", "glossary.xhtml")
PRINT_HTML = f"{CASE}.print.html"
WEB_PAGE = f"{CASE}.html"
INSTALLED_FILE = re.compile(r"file://[^\s\"')]*?/(?:site|dist)-packages/")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# What the fixture is there to exercise, each seen in one output: (feature, file, marker, times).
# Checked so that an edit of the fixture (or a golden refresh) cannot silently drop a case.
FEATURES = [
    ("key point with inline Markdown", "EPUB/title.xhtml", "<strong>82\u00a0%</strong>", 1),
    ("keywords", "EPUB/content.opf", "<dc:subject>", 3),
    ("a footnote cited twice", "EPUB/ch1.xhtml", 'href="#ch1-fn1">1</a>', 2),
    ("a second footnote", "EPUB/ch1.xhtml", 'id="ch1-fn2"', 1),
    ("a link to a heading of the chapter", "EPUB/ch1.xhtml", 'href="#ch1-how-it-is-measured"', 1),
    ("a table", "EPUB/ch1.xhtml", "<table>", 1),
    ("a picture with alt text", "EPUB/ch1.xhtml", 'alt="Map of the valley', 1),
    ("a ### heading", "EPUB/ch1.xhtml", '<h3 id="ch1-how-it-is-measured">', 1),
    ("a link note in print, for the link whose text is not its URL only", PRINT_HTML, 'class="footnote link-note"', 1),
    ("a link whose text is its URL", PRINT_HTML, '>https://example.org/valley/data</a>', 1),
    ("a figure", "EPUB/ch2.xhtml", "<figcaption>Figure 1.", 1),
    ("a note callout", "EPUB/ch2.xhtml", '<aside class="callout note"', 1),
    ("a pull quote", "EPUB/ch2.xhtml", '<blockquote class="callout pullquote">', 1),
    ("a definition list", "EPUB/ch2.xhtml", "<dt>Draw-off tower</dt>", 1),
    ("a forced glossary link", "EPUB/ch3.xhtml", 'href="glossary.xhtml#g-leakage">losses from the network</a>', 1),
    ("a suppressed glossary link", "EPUB/ch3.xhtml", "names the reservoir and", 1),
    ("a glossary alias", "EPUB/glossary.xhtml", '<span class="aliases">(storage lake)</span>', 1),
    ("a definition that links another term", "EPUB/glossary.xhtml", 'href="#g-reservoir">reservoir</a> for supply.', 1),
]


@pytest.fixture(scope="session")
def golden_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's PDF (with its print HTML), EPUB and web page, built into one temporary folder."""
    out = tmp_path_factory.mktemp("golden")
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    for command in (["all", "--keep-html"], ["html"]):
        result = run_generator(command[0], CASE, *command[1:], "--source", str(FIXTURES), "--out", str(out), env=env)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", result.stderr  # no warning either: every glossary term is used
    return out


@pytest.fixture(scope="session")
def golden_outputs(golden_build: Path) -> dict[str, str]:
    """Every compared file, by its name under tests/golden/golden/, normalised."""
    epub = golden_build / f"{CASE}.epub"
    package = opf_path(epub)
    folder = package.rpartition("/")[0]
    names = [package, *(f"{folder}/{m}" if folder else m for m in EPUB_MEMBERS)]
    with zipfile.ZipFile(epub) as archive:
        outputs = {name: archive.read(name).decode("utf-8") for name in names}
    for name in (PRINT_HTML, WEB_PAGE):
        outputs[name] = (golden_build / name).read_text(encoding="utf-8")
    outputs = {name: normalise(text) for name, text in outputs.items()}
    leaks = [name for name, text in outputs.items() if "file:///" in text]
    assert not leaks, f"machine-dependent file URLs that normalise() does not cover in {leaks}"
    if UPDATE:
        rewrite_golden_files(outputs)
    return outputs


def normalise(text: str) -> str:
    """The text with machine-dependent paths replaced by placeholders (see the module docstring)."""
    text = INSTALLED_FILE.sub("file://{site-packages}/", text)
    for path, placeholder in ((FIXTURE.resolve(), "{fixture}"), (ROOT.resolve(), "{root}")):
        text = text.replace(path.as_uri(), placeholder).replace(str(path), placeholder)
    return text


def rewrite_golden_files(outputs: dict[str, str]) -> None:
    """Replace tests/golden/golden/ by the new outputs, removing files no longer compared."""
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for name, text in outputs.items():
        (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / name).write_bytes(text.encode("utf-8"))


def stored_files() -> list[str]:
    """The names of the golden files now in tests/golden/golden/."""
    return sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())


def short_diff(expected: str, actual: str, name: str, limit: int = 80) -> str:
    """The first lines of a unified diff from the stored copy to the new output."""
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}", f"built/{name}", lineterm=""))
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def test_every_output_has_its_golden_file(golden_outputs: dict[str, str]) -> None:
    """tests/golden/golden/ holds exactly one file per compared output, none missing and none stale."""
    assert stored_files() == sorted(golden_outputs)


@pytest.mark.parametrize("name", [f"EPUB/{m}" for m in ("content.opf", *EPUB_MEMBERS)] + [PRINT_HTML, WEB_PAGE])
def test_output_matches_its_golden_file(name: str, golden_outputs: dict[str, str]) -> None:
    """Each output, normalised, equals its golden file exactly (UPDATE_GOLDEN=1 rewrites it)."""
    assert name in golden_outputs, f"{name} is not where the EPUB now puts it: {sorted(golden_outputs)}"
    actual = golden_outputs[name]
    golden = GOLDEN / name
    assert golden.exists(), f"no golden file {golden.relative_to(ROOT)}: run `make golden`"
    expected = golden.read_bytes().decode("utf-8")
    if actual != expected:
        pytest.fail("run `make golden` if the change is intended\n" + short_diff(expected, actual, name))


@pytest.mark.parametrize(("feature", "name", "marker", "times"), FEATURES, ids=[f[0] for f in FEATURES])
def test_fixture_exercises(feature: str, name: str, marker: str, times: int, golden_outputs: dict[str, str]) -> None:
    """The fixture still exercises each feature the golden files are meant to cover."""
    assert golden_outputs[name].count(marker) == times, f"{feature}: {marker!r} in {name}"


def test_golden_epub_passes_epubcheck(golden_build: Path) -> None:
    """EPUBCheck reports no fatal, error or warning on the EPUB the golden files come from."""
    assert epubcheck_problems(golden_build / f"{CASE}.epub") == []
