"""Build progress: plain lines off a terminal (on request), a live status line on one, colour only without NO_COLOR."""

from __future__ import annotations

import io
import logging
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from generator.engine import PAGE_MESSAGE, PROGRESS_LOGGER
from generator.progress import make_progress
from tests.conftest import FIXTURES, ROOT, run_generator

DOC = "web-doc"
ESCAPE = "\x1b["


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Always a terminal."""
        return True


def lay_out_pages(count: int) -> None:
    """Log what WeasyPrint logs while it lays out ``count`` pages."""
    for number in range(1, count + 1):
        logging.getLogger(PROGRESS_LOGGER).info(PAGE_MESSAGE, number)


def test_pdf_build_prints_one_plain_line_per_stage_with_its_page_count(tmp_path: Path) -> None:
    """With --progress and stderr a pipe: load, link, render pdf with the real page count, write; no escape codes."""
    result = run_generator("pdf", DOC, "--source", str(FIXTURES), "--out", str(tmp_path), "--progress")
    assert result.returncode == 0, result.stderr
    pages = len(PdfReader(str(tmp_path / f"{DOC}.pdf")).pages)
    lines = result.stderr.splitlines()
    assert [re.sub(r" \(\d+\.\d\d s\)$", "", line) for line in lines] == [
        "progress: load: 1 document",
        f"progress: link {DOC}",
        f"progress: render pdf {DOC}: {pages} page{'s' if pages != 1 else ''}",
        "progress: write: 1 file",
    ]
    assert all(re.search(r" \(\d+\.\d\d s\)$", line) for line in lines)
    assert ESCAPE not in result.stderr and "\r" not in result.stderr


def test_build_off_a_terminal_is_quiet_by_default(tmp_path: Path) -> None:
    """Without --progress and with stderr a pipe (make in CI), a build prints no progress at all."""
    result = run_generator("html", DOC, "--source", str(FIXTURES), "--out", str(tmp_path))
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.strip().startswith("wrote ")


def test_live_line_counts_pages_and_is_erased_at_the_end() -> None:
    """On a terminal the status line shows the page being laid out and is erased when the stage ends."""
    stream = FakeTerminal()
    progress = make_progress("auto", stream, environ={"TERM": "xterm", "NO_COLOR": "1"})
    with progress.stage("render pdf", "doc"):
        lay_out_pages(3)
    output = stream.getvalue()
    assert "\r\x1b[Krender pdf doc: page 3" in output
    assert output.endswith("\r\x1b[K")
    assert "\n" not in output


def test_no_color_removes_colour_but_keeps_the_status_line() -> None:
    """NO_COLOR (any value) turns colour off on a terminal; without it the stage name is coloured."""
    coloured, plain = FakeTerminal(), FakeTerminal()
    for stream, environ in ((coloured, {"TERM": "xterm"}), (plain, {"TERM": "xterm", "NO_COLOR": "1"})):
        with make_progress("auto", stream, environ=environ).stage("load"):
            pass
    assert "\x1b[1;36mload\x1b[0m" in coloured.getvalue()
    assert "\x1b[1;36m" not in plain.getvalue() and "load" in plain.getvalue()


def test_plain_lines_report_pages_and_the_logger_is_restored() -> None:
    """Off a terminal --progress gives '… N pages (t s)'; afterwards WeasyPrint's logger is as it was."""
    stream = io.StringIO()
    logger = logging.getLogger(PROGRESS_LOGGER)
    before = (logger.level, logger.propagate, list(logger.handlers))
    with make_progress("on", stream, environ={}).stage("render pdf", "doc"):
        lay_out_pages(12)
    assert re.fullmatch(r"progress: render pdf doc: 12 pages \(\d+\.\d\d s\)\n", stream.getvalue())
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


def test_off_and_dumb_terminals_print_nothing() -> None:
    """--no-progress silences a terminal, and TERM=dumb counts as no terminal."""
    for mode, environ in (("off", {"TERM": "xterm"}), ("auto", {"TERM": "dumb"})):
        stream = FakeTerminal()
        with make_progress(mode, stream, environ=environ).stage("load"):
            lay_out_pages(2)
        assert stream.getvalue() == ""


def test_real_terminal_gets_colour_unless_no_color(tmp_path: Path) -> None:
    """Run on a pseudo-terminal: the live line is coloured, and has no colour when NO_COLOR is set."""
    outputs = []
    for no_color in ("", "1"):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
        if no_color:
            env["NO_COLOR"] = no_color
        leader, follower = pty.openpty()
        process = subprocess.Popen([sys.executable, "-m", "generator", "html", DOC, "--source", str(FIXTURES),
                                    "--out", str(tmp_path)], cwd=ROOT, stderr=follower, stdout=subprocess.DEVNULL, env=env)
        os.close(follower)
        assert process.wait(timeout=120) == 0
        outputs.append(_drain(leader))
    coloured, plain = outputs
    assert "\x1b[1;36mrender html\x1b[0m" in coloured
    assert "render html" in plain and "\x1b[1;36m" not in plain


def _drain(fd: int) -> str:
    """Everything written to a pseudo-terminal whose writer has exited."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")
