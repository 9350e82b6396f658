"""The Makefile: `make` builds every format of a document in one process, `make pdf epub` side by side,
a second run does nothing, and a problem is printed once.

The builds are stood in for by a fake interpreter (``PY=...``) that logs when each command
starts and ends and touches the file it was asked for, so these tests check make's own
logic in a second, not the generator.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.conftest import ROOT, SEED

FAKE_PYTHON = """#!/bin/sh
# Called as: PY -m generator FORMAT SLUG --out DIR ...
echo "start $3 $(date +%s.%N)" >> "{log}"
sleep 0.6
if [ "$3" = all ]; then touch "$6/$4.pdf" "$6/$4.epub" "$6/$4.html"; else touch "$6/$4.$3"; fi
echo "end $3 $(date +%s.%N)" >> "{log}"
"""
# A build that finds a problem in the sources, as the generator reports one.
FAILING_PYTHON = """#!/bin/sh
echo "$4/01-intro.md:3:1: a chapter must begin with a '# ' heading, its title" >&2
echo "build failed: 1 error; nothing was written" >&2
exit 1
"""


def make(*args: str, build: Path, fake: Path) -> subprocess.CompletedProcess[str]:
    """Run make in the project with the fake interpreter, the seed only, into a scratch build folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args, f"PY={fake}", f"BUILD={build}",
                           f"DOC={SEED}"], capture_output=True, text=True, env=env)


def fake_python(tmp_path: Path, script: str = FAKE_PYTHON) -> tuple[Path, Path]:
    """The fake interpreter and the log it writes."""
    log, fake = tmp_path / "log", tmp_path / "python"
    fake.write_text(script.format(log=log))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake, log


def spans(log: Path) -> dict[str, tuple[float, float]]:
    """When each format's build started and ended."""
    times: dict[str, dict[str, float]] = {}
    for line in log.read_text().splitlines():
        event, fmt, moment = line.split()
        times.setdefault(fmt, {})[event] = float(moment)
    return {fmt: (t["start"], t["end"]) for fmt, t in times.items()}


def test_make_builds_every_format_in_one_process(tmp_path: Path) -> None:
    """`make` with no target builds the PDF, the EPUB and the web page, in one `generator all` command."""
    fake, log = fake_python(tmp_path)
    result = make(build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    assert set(spans(log)) == {"all"}
    assert sorted(p.name for p in (tmp_path / "build").iterdir() if not p.name.startswith(".")) == [
        f"{SEED}.epub", f"{SEED}.html", f"{SEED}.pdf"]


def test_make_prints_a_problem_once_and_exits_2(tmp_path: Path) -> None:
    """A source problem through `make` is printed once (not once per format); make itself exits 2."""
    fake, _ = fake_python(tmp_path, FAILING_PYTHON)
    result = make("all", build=tmp_path / "build", fake=fake)
    assert result.returncode == 2
    assert result.stderr.count("a chapter must begin with a '# ' heading") == 1
    assert result.stderr.count("build failed: 1 error") == 1


def test_make_pdf_epub_builds_them_at_the_same_time(tmp_path: Path) -> None:
    """The two builds of `make pdf epub` overlap in time."""
    fake, log = fake_python(tmp_path)
    result = make("pdf", "epub", build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    built = spans(log)
    assert set(built) == {"pdf", "epub"}
    (pdf_start, pdf_end), (epub_start, epub_end) = built["pdf"], built["epub"]
    assert pdf_start < epub_end and epub_start < pdf_end  # the intervals overlap


def test_explicit_jobs_setting_wins(tmp_path: Path) -> None:
    """`make -j1 pdf epub` builds one output after the other."""
    fake, log = fake_python(tmp_path)
    result = make("-j1", "pdf", "epub", build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    (first_start, first_end), (second_start, second_end) = sorted(spans(log).values())
    assert first_end <= second_start


def test_second_make_all_has_nothing_to_do(tmp_path: Path) -> None:
    """Once built, `make all` runs no command."""
    fake, log = fake_python(tmp_path)
    assert make("all", build=tmp_path / "build", fake=fake).returncode == 0
    before = log.read_text()
    assert before.count("start") == 1
    assert make("all", build=tmp_path / "build", fake=fake).returncode == 0
    assert log.read_text() == before


ARGS_PYTHON = """#!/bin/sh
for arg in "$@"; do echo "[$arg]" >> "{log}"; done
"""


def test_make_new_passes_the_title_whole(tmp_path: Path) -> None:
    """`make new NAME="..." SLUG=...` hands the title to `new` as one argument, quotes and all, and the slug."""
    fake, log = fake_python(tmp_path, ARGS_PYTHON)
    result = make("new", "NAME=Bob's \"heat\" pumps; `x`", "SLUG=bob", build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "[-m]\n[generator]\n[new]\n[Bob's \"heat\" pumps; `x`]\n[--slug]\n[bob]\n"


def test_make_new_without_a_name_shows_usage(tmp_path: Path) -> None:
    """`make new` alone says how to call it."""
    fake, _ = fake_python(tmp_path, ARGS_PYTHON)
    result = make("new", build=tmp_path / "build", fake=fake)
    assert result.returncode == 2
    assert result.stderr.startswith('usage: make new NAME="<title>" [SLUG=<folder-name>], '
                                    'e.g. make new NAME="Heat pumps in rented housing"\n')
