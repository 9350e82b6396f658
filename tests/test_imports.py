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


SUBPROCESS_PROBE = """
import json, subprocess, sys
started = []
original = subprocess.Popen.__init__
def noted(self, args, *rest, **options):
    started.append(args if isinstance(args, str) else " ".join(map(str, args)))
    original(self, args, *rest, **options)
subprocess.Popen.__init__ = noted
from generator.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "started": started, "weasyprint": "weasyprint.text.ffi" in sys.modules}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the library search is Linux's (ldconfig, gcc, ld)")
def test_the_pdf_command_starts_no_process_to_find_weasyprints_libraries(tmp_path: Path) -> None:
    """engine.import_weasyprint: WeasyPrint 70 as it comes runs ldconfig, gcc and ld 54 times at import (0.2 s)."""
    done = subprocess.run([sys.executable, "-c", SUBPROCESS_PROBE, "pdf", "--source", str(SOURCE), "--out",
                           str(tmp_path), "--no-progress", "amazon-anthropic-partnership"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    assert result["weasyprint"] and result["started"] == []
    assert (tmp_path / "amazon-anthropic-partnership.pdf").stat().st_size > 10_000


FALLBACK_PROBE = """
import importlib.abc, json, sys
class FailsOnce(importlib.abc.MetaPathFinder):
    # The quick import's first attempt at WeasyPrint's libraries fails, as where only the search finds them.
    failed = False
    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint.text.ffi" and not FailsOnce.failed:
            FailsOnce.failed = True
            print("WeasyPrint could not import some external libraries")  # what WeasyPrint prints then
            raise OSError("cannot load library 'libgobject-2.0.so.0'")
        return None
sys.meta_path.insert(0, FailsOnce())
from generator import engine
engine.import_weasyprint()
after_quick = sorted(name for name in sys.modules if name.startswith("weasyprint"))
import ctypes.util
search_kept = ctypes.util.find_library is not engine._no_library_search
import weasyprint
print(json.dumps({"failed": FailsOnce.failed, "after_quick": after_quick, "search_kept": search_kept,
                  "html": hasattr(weasyprint, "HTML")}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick import is Linux's only")
def test_a_failed_quick_import_leaves_weasyprint_to_import_as_it_comes() -> None:
    """Where the loader cannot open a library by its plain name, nothing half-imported is left, nothing is printed,
    the search is back, and the ordinary import works."""
    done = subprocess.run([sys.executable, "-c", FALLBACK_PROBE], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, lines  # WeasyPrint's help text was swallowed
    assert json.loads(lines[0]) == {"failed": True, "after_quick": [], "search_kept": True, "html": True}


OTHER_RELEASE_PROBE = """
import json, sys
from generator import engine
engine.installed_version = lambda distribution: {"weasyprint": "71.0", "cffi": "2.2.0"}[distribution]
engine.import_weasyprint()
from cffi import cparser
print(json.dumps({"imported": "weasyprint" in sys.modules,
                  "arrays parsed": not hasattr(cparser.Parser.parse_type_and_quals, "array_types_from_items")}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick import is Linux's only")
def test_the_quick_import_is_skipped_with_one_line_on_another_weasyprint() -> None:
    """On a WeasyPrint other than 70 the library names may differ: nothing is imported early, and one warning says so;
    on a cffi other than 2.1 its types are parsed as it parses them, with one warning."""
    done = subprocess.run([sys.executable, "-c", OTHER_RELEASE_PROBE], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"imported": False, "arrays parsed": True}
    from generator import engine

    assert done.stderr.splitlines() == [engine.ARRAY_TYPES.warning("2.2.0"), engine.QUICK_IMPORT.warning("71.0")]


FONT_TOOLS_PROBE = """
import json, sys
from generator import engine
engine.import_weasyprint()
before = {name: name in sys.modules for name in ("fontTools.varLib", "fontTools.subset.cff")}
import fontTools.varLib.mutator  # imports fontTools.subset.cff while fontTools.subset is the stand-in
from weasyprint.pdf import fonts
subsetter = fonts.subset.Subsetter  # WeasyPrint's own name for the module: the real one now
import io, pathlib, fontpkg_source_code_pro
from fontTools.ttLib import TTFont
face = next(pathlib.Path(fontpkg_source_code_pro.__file__).parent.glob("files/SourceCodePro*wght*.ttf")).read_bytes()
def bold(instantiate):
    out = io.BytesIO()
    instantiate(TTFont(io.BytesIO(face), recalcTimestamp=False), {"wght": 700}, static=True).save(out)
    return out.getvalue()
through_stand_in = bold(fonts.instantiateVariableFont)  # WeasyPrint's name: the stand-in's function
import fontTools.subset, fontTools.subset.cff
from fontTools.varLib import instancer
print(json.dumps({"before": before, "same bold": through_stand_in == bold(instancer.instantiateVariableFont), "real": sys.modules["fontTools.subset"].Subsetter is subsetter,
                  "one cff": fontTools.subset.cff is sys.modules["fontTools.subset.cff"],
                  "instancer": callable(instancer.instantiateVariableFont)
                  and sys.modules["fontTools.varLib.instancer"] is instancer}))
"""


def test_fonttools_subsetter_and_instancer_are_imported_only_when_first_used(tmp_path: Path) -> None:
    """engine._defer_font_tools: a document in static faces never imports fontTools.varLib (0.07 s); the stand-ins
    give the real modules to whoever asks later, submodules included, each module once."""
    done = subprocess.run([sys.executable, "-c", PROBE, "pdf", "--source", str(SOURCE), "--out", str(tmp_path),
                           "--no-progress", "amazon-anthropic-partnership"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    modules = set(json.loads(done.stdout.strip().splitlines()[-1])["modules"])
    assert "weasyprint" in modules and "fontTools.varLib" not in modules and "fontTools.varLib.instancer" in modules
    probe = subprocess.run([sys.executable, "-c", FONT_TOOLS_PROBE], cwd=ROOT, capture_output=True, text=True,
                           check=False)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"before": {"fontTools.varLib": False, "fontTools.subset.cff": False},
                                        "same bold": True, "real": True, "one cff": True, "instancer": True}


ARRAY_PROBE = """
import json, sys
from generator import engine
engine.import_weasyprint()
from cffi import cparser
from weasyprint.text.ffi import ffi
item = ffi.typeof("hb_codepoint_t")
ffi.typeof("hb_codepoint_t[2]")  # the item's one parse for arrays
parses = []
parse = cparser.Parser._parse
cparser.Parser._parse = lambda self, source: parses.append(source) or parse(self, source)
arrays = [ffi.typeof(f"hb_codepoint_t[{n}]") for n in (57, 11, 1163, 1)]
new_lengths = len(parses)
arrays.append(ffi.typeof("unsigned int[3]"))
filled = ffi.new("hb_codepoint_t[4]", [1, 2, 3, 4])
print(json.dumps({"lengths": [a.length for a in arrays], "kinds": sorted({a.kind for a in arrays}),
                  "items": [a.item is item for a in arrays[:4]] + [arrays[4].item is ffi.typeof("unsigned int")],
                  "same type twice": ffi.typeof("hb_codepoint_t[57]") is arrays[0],
                  "filled": list(filled), "size": ffi.sizeof(filled),
                  "parses of new lengths": new_lengths, "parses in all": len(parses),
                  "pointer still parsed": ffi.typeof("hb_codepoint_t *").kind}))
"""


def test_c_array_types_of_each_length_are_made_without_a_parse() -> None:
    """engine._array_types_from_items: cffi makes ``T[n]`` from ``T`` (pycparser parses ``T`` once, not each length:
    WeasyPrint allocates one array per font it subsets), the same types as cffi's own parse would give."""
    done = subprocess.run([sys.executable, "-c", ARRAY_PROBE], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"lengths": [57, 11, 1163, 1, 3], "kinds": ["array"], "items": [True] * 5,
                                       "same type twice": True, "filled": [1, 2, 3, 4], "size": 16,
                                       # four new lengths: no parse; unsigned int's arrays: its own parse (and the
                                       # one ffi.typeof("unsigned int") makes, cached by cffi apart)
                                       "parses of new lengths": 0, "parses in all": 2,
                                       "pointer still parsed": "pointer"}
