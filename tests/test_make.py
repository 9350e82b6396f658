"""The Makefile: `make all` builds the PDF and the EPUB at the same time, and a second run does nothing.

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
touch "$6/$4.$3"
echo "end $3 $(date +%s.%N)" >> "{log}"
"""


def make(*args: str, build: Path, fake: Path) -> subprocess.CompletedProcess[str]:
    """Run make in the project with the fake interpreter, the seed only, into a scratch build folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args, f"PY={fake}", f"BUILD={build}",
                           f"DOC={SEED}"], capture_output=True, text=True, env=env)


def fake_python(tmp_path: Path) -> tuple[Path, Path]:
    """The fake interpreter and the log it writes."""
    log, fake = tmp_path / "log", tmp_path / "python"
    fake.write_text(FAKE_PYTHON.format(log=log))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake, log


def spans(log: Path) -> dict[str, tuple[float, float]]:
    """When each format's build started and ended."""
    times: dict[str, dict[str, float]] = {}
    for line in log.read_text().splitlines():
        event, fmt, moment = line.split()
        times.setdefault(fmt, {})[event] = float(moment)
    return {fmt: (t["start"], t["end"]) for fmt, t in times.items()}


def test_make_all_builds_the_pdf_and_the_epub_at_the_same_time(tmp_path: Path) -> None:
    """The two builds of `make all` overlap in time."""
    fake, log = fake_python(tmp_path)
    result = make("all", build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    built = spans(log)
    assert set(built) == {"pdf", "epub"}
    (pdf_start, pdf_end), (epub_start, epub_end) = built["pdf"], built["epub"]
    assert pdf_start < epub_end and epub_start < pdf_end  # the intervals overlap


def test_explicit_jobs_setting_wins(tmp_path: Path) -> None:
    """`make -j1 all` builds one output after the other."""
    fake, log = fake_python(tmp_path)
    result = make("-j1", "all", build=tmp_path / "build", fake=fake)
    assert result.returncode == 0, result.stderr
    (first_start, first_end), (second_start, second_end) = sorted(spans(log).values())
    assert first_end <= second_start


def test_second_make_all_has_nothing_to_do(tmp_path: Path) -> None:
    """Once built, `make all` runs no command."""
    fake, log = fake_python(tmp_path)
    assert make("all", build=tmp_path / "build", fake=fake).returncode == 0
    before = log.read_text()
    assert before.count("start") == 2
    assert make("all", build=tmp_path / "build", fake=fake).returncode == 0
    assert log.read_text() == before
