"""Running one command in a fresh process and measuring it: wall time, CPU time, peak memory.

Peak memory comes from ``os.wait4`` on that very child, so each run's figure is its own
(``RUSAGE_CHILDREN`` would report the largest child the benchmark ever had). Linux folds the
peaks of the child's own waited-for children in (Pandoc's ``weasyprint``): the figure is the
largest single process of the command's tree, not their sum.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


class CommandFailed(RuntimeError):
    """A measured command exited with an error."""


@dataclass(frozen=True)
class Run:
    """One run of a command."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float


@dataclass
class Measurement:
    """Repeated runs of one tool on one workload, plus what it produced."""

    workload: str
    output: str  # "pdf" or "epub"
    tool: str  # "ours", "floor", "pandoc"
    command: list[str]
    runs: list[Run] = field(default_factory=list)
    pages: int | None = None
    size_kb: float | None = None

    @property
    def median_s(self) -> float:
        """Median wall time."""
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def median_cpu_s(self) -> float:
        """Median CPU time (user + system), steadier than wall time on a shared machine."""
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        """The highest peak resident set over the runs."""
        return max(r.peak_rss_mb for r in self.runs)

    def as_json(self) -> dict[str, object]:
        """The record written to bench.json."""
        return {**asdict(self), "median_s": round(self.median_s, 3), "median_cpu_s": round(self.median_cpu_s, 3),
                "peak_rss_mb": round(self.peak_rss_mb, 1)}


def run_once(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run a command to completion in a fresh process; raise CommandFailed with its stderr if it fails."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            message = stderr.read().decode("utf-8", "replace")[-2000:]
            raise CommandFailed(f"exit {process.returncode}: {' '.join(command)}\n{message}")
    return Run(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024)


def measure(m: Measurement, runs: int, cwd: Path, env: dict[str, str],
            first_command: list[str] | None = None, on_run: Callable[[Run], None] | None = None) -> Measurement:
    """Run ``m.command`` ``runs`` times (the first run may use ``first_command``) and record each run."""
    for index in range(runs):
        command = first_command if index == 0 and first_command else m.command
        run = run_once(command, cwd, env)
        m.runs.append(run)
        if on_run:
            on_run(run)
    return m


def pdf_pages(path: Path) -> int:
    """The number of pages of a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def size_kb(path: Path) -> float:
    """A file's size in KiB."""
    return round(path.stat().st_size / 1024, 1)
