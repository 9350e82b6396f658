"""Each command imports only the libraries its work needs (start-up time is most of a small build).

The build runs in a fresh interpreter, as `python -m generator` does, and the modules it loaded
are read from sys.modules at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SOURCE

PROBE = """
import json, sys
from generator.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

HEAVY = ("weasyprint", "lxml.html", "pygments", "fontTools", "pydyf", "pypdf", "segno")


def loaded_modules(*args: str) -> set[str]:
    """The top-level and dotted module names a command leaves in sys.modules."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return set(result["modules"])


def heavy_in(modules: set[str]) -> set[str]:
    """The libraries of HEAVY that were imported, by themselves or through a submodule."""
    return {name for name in HEAVY if name in modules or any(m.startswith(name + ".") for m in modules)}


def test_the_epub_of_a_document_without_code_imports_no_print_or_highlighting_library(tmp_path: Path) -> None:
    modules = loaded_modules("epub", "--source", str(SOURCE), "--out", str(tmp_path), "amazon-anthropic-partnership")
    assert heavy_in(modules) == set()
    assert (tmp_path / "amazon-anthropic-partnership.epub").is_file()


def test_check_imports_no_writer_library() -> None:
    modules = loaded_modules("check", "--source", str(SOURCE), "amazon-anthropic-partnership")
    assert heavy_in(modules) == set()
    assert "ebooklib" not in modules


@pytest.mark.parametrize("fixture", ["code-wide"])
def test_code_brings_pygments_in_only_when_a_document_has_code(tmp_path: Path, fixture: str) -> None:
    modules = loaded_modules("epub", "--source", str(FIXTURES), "--out", str(tmp_path), fixture)
    assert "pygments" in modules
    assert "weasyprint" not in modules


def test_only_a_language_with_inflections_loads_the_stemmers() -> None:
    """snowballstemmer loads every language's stemmer at once (3 MB): an English document needs none, a French one does."""
    assert "snowballstemmer" not in loaded_modules("check", "--source", str(SOURCE), "amazon-anthropic-partnership")
    assert "snowballstemmer" in loaded_modules("check", "--source", str(FIXTURES), "i18n-fr")


def test_the_pdf_reads_nothing_back_with_pypdf(tmp_path: Path) -> None:
    """The structure tree is repaired before the PDF is written (pdf_tags.py): the PDF command never imports pypdf."""
    modules = loaded_modules("pdf", "--source", str(SOURCE), "--out", str(tmp_path), "amazon-anthropic-partnership")
    assert "weasyprint" in modules and "pypdf" not in modules
