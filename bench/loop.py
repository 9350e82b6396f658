"""The writer's loop: from saving a chapter to a new PDF, under ``generator watch`` (``make watch``).

A real watcher runs in its own process on a temporary copy of a document. After its first
build, each round saves one chapter (its text rewritten, alternately with and without a
trailing newline, as an editor saves it) and waits for the PDF on disk to be replaced: the
time from the save to the new PDF is the figure, wall time as the writer lives it, with the
rebuild's own time from the watcher's report line and the watcher's CPU time over the round
(from /proc). ``make watch`` rebuilds the PDF, the EPUB and the web page, each written as soon
as it has rendered, the PDF first once it has rendered in under 1.5 s (watch.PAGED_FIRST_S);
the PDF alone is measured too (``--formats pdf``).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE_TIMEOUT_S = 120.0  # the first build on a loaded 2-core machine; never reached when it works
SETTLE_S = 0.3  # between rounds, so that no event of the last one is still on its way
POLL_S = 0.002
REPORT = re.compile(r"\] (re)?built .* in (\d+\.\d+) s")


class Watcher:
    """A running ``generator watch`` whose output lines are read on a thread."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Move each output line into the queue."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def report(self) -> float:
        """The seconds of the next build's report line; RuntimeError on a failed build or a silent watcher."""
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=LINE_TIMEOUT_S)
            except queue.Empty:
                raise RuntimeError(f"the watcher said nothing for {LINE_TIMEOUT_S:.0f} s; output: {seen}") from None
            seen.append(line)
            if "build failed" in line:
                raise RuntimeError(f"the watcher's build failed: {seen}")
            found = REPORT.search(line)
            if found:
                return float(found.group(2))

    def cpu_s(self) -> float:
        """The watcher's CPU time so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Ctrl-C, as a writer stops it; killed if it does not stop."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def measure_loop(document: Path, work: Path, saves: int, formats: str, env: dict[str, str]) -> dict[str, object]:
    """Save a chapter of a copy of ``document`` ``saves`` times under a watcher; times to each new PDF."""
    source = work / "source"
    shutil.copytree(document, source / document.name, dirs_exist_ok=True)
    out = work / "out"
    chapter = first_chapter(source / document.name)
    pdf = out / f"{document.name}.pdf"
    watcher = Watcher([sys.executable, "-m", "generator", "watch", document.name, "--source", str(source),
                       "--out", str(out), "--formats", formats, "--no-progress"], env)
    rounds = []
    try:
        watcher.report()  # the first build
        text = chapter.read_text(encoding="utf-8")
        for index in range(saves):
            time.sleep(SETTLE_S)
            rounds.append(one_save(watcher, chapter, text + "\n" * (index % 2 == 0), pdf))
    finally:
        watcher.stop()
    return loop_summary(formats, rounds)


def one_save(watcher: Watcher, chapter: Path, text: str, pdf: Path) -> dict[str, float]:
    """Save the chapter and wait for the new PDF: save to PDF (wall), the rebuild's report, the watcher's CPU."""
    before, cpu = _identity(pdf), watcher.cpu_s()
    saved = time.perf_counter()
    chapter.write_text(text, encoding="utf-8")
    deadline = saved + LINE_TIMEOUT_S
    while _identity(pdf) == before:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no new {pdf.name} {LINE_TIMEOUT_S:.0f} s after saving {chapter.name}")
        time.sleep(POLL_S)
    to_pdf = time.perf_counter() - saved
    reported = watcher.report()
    return {"save_to_pdf_s": to_pdf, "rebuild_s": reported, "cpu_s": watcher.cpu_s() - cpu}


def _identity(path: Path) -> tuple[int, int] | None:
    """What changes when a file is replaced: its inode and modification time (None: not there)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def first_chapter(root: Path) -> Path:
    """The document's first chapter file, as document.yaml lists them."""
    import yaml

    meta = yaml.safe_load((root / "document.yaml").read_text(encoding="utf-8"))
    return root / meta["chapters"][0]


def loop_summary(formats: str, rounds: list[dict[str, float]]) -> dict[str, object]:
    """Each round's figures and their medians."""
    return {"formats": formats, "saves": len(rounds),
            "save_to_pdf_s": [round(r["save_to_pdf_s"], 3) for r in rounds],
            **{f"median_{key}": round(statistics.median(r[key] for r in rounds), 3)
               for key in ("save_to_pdf_s", "rebuild_s", "cpu_s")}}
