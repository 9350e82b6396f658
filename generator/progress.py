"""Progress of a long build: its stages and, for the PDF, the pages as WeasyPrint lays them out.

Two styles, chosen by where stderr goes. On a terminal, one status line is redrawn in place
and erased when the build ends, so the scrollback keeps only the build's own output. Elsewhere
(make in CI, a pipe, a log file) each finished stage prints one plain line, and only when
asked for with ``--progress``: make's output stays as quiet as before. Colour is used only on a
terminal, never when NO_COLOR is set (https://no-color.org) or TERM is ``dumb``.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TextIO

from generator.engine import following_pages

PDF_STAGE = "render pdf"  # build.py's name for the stage in which WeasyPrint lays out pages
BOLD_CYAN, RESET = "\x1b[1;36m", "\x1b[0m"
ERASE_LINE = "\r\x1b[K"


@dataclass
class Stage:
    """One running stage: what it is, which document, and what it has counted so far."""

    name: str
    subject: str
    started: float
    pages: int = 0
    detail: str = ""


class Progress:
    """Reports build stages on a stream; does nothing when disabled."""

    def __init__(self, stream: TextIO, *, enabled: bool, live: bool, colour: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.live = live
        self.colour = colour
        self.current: Stage | None = None

    @contextmanager
    def stage(self, name: str, subject: str = "") -> Iterator[Stage]:
        """Report one stage while its block runs; a PDF stage also follows WeasyPrint's pages."""
        stage = Stage(name, subject, time.perf_counter())
        self.current = stage
        with self._following_pages(stage):
            self._draw(stage)
            try:
                yield stage
            finally:
                self.current = None
                self._finish(stage)

    def _following_pages(self, stage: Stage) -> AbstractContextManager[None]:
        """WeasyPrint's pages counted into the stage, when progress is shown and the stage lays out a PDF."""
        if self.enabled and stage.name == PDF_STAGE:
            return following_pages(lambda number: self.page(stage, number))
        return nullcontext()

    def page(self, stage: Stage, number: int) -> None:
        """WeasyPrint started laying out page ``number``."""
        stage.pages = max(stage.pages, number)
        self._draw(stage)

    def _draw(self, stage: Stage) -> None:
        """Redraw the status line (terminal only)."""
        if self.enabled and self.live:
            # Cut to the terminal's width: a wrapped line could not be erased by the next redraw.
            line = self._describe(stage, running=True)[: _width(self.stream) - 1]
            if self.colour and line.startswith(stage.name):
                line = f"{BOLD_CYAN}{stage.name}{RESET}{line[len(stage.name):]}"
            self.stream.write(ERASE_LINE + line)
            self.stream.flush()

    def _finish(self, stage: Stage) -> None:
        """Erase the status line on a terminal; print the stage's one plain line elsewhere."""
        if not self.enabled:
            return
        if self.live:
            self.stream.write(ERASE_LINE)
        else:
            seconds = time.perf_counter() - stage.started
            self.stream.write(f"{self._describe(stage, running=False)} ({seconds:.2f} s)\n")
        self.stream.flush()

    def _describe(self, stage: Stage, *, running: bool) -> str:
        """``render pdf amazon-…: page 7`` while running, ``…: 12 pages`` when done."""
        text = f"{stage.name} {stage.subject}".rstrip()
        if stage.pages:
            text += f": page {stage.pages}" if running else f": {stage.pages} page{'s' if stage.pages != 1 else ''}"
        elif stage.detail:
            text += f": {stage.detail}"
        return text if self.live else f"progress: {text}"


def make_progress(mode: str = "auto", stream: TextIO | None = None, environ: dict[str, str] | None = None) -> Progress:
    """The reporter for a command: ``auto`` shows progress on a terminal, ``on`` always, ``off`` never."""
    stream = stream or sys.stderr
    environ = dict(os.environ) if environ is None else environ
    terminal = _is_terminal(stream) and environ.get("TERM", "") != "dumb"
    enabled = mode == "on" or (mode == "auto" and terminal)
    colour = terminal and not environ.get("NO_COLOR")
    return Progress(stream, enabled=enabled, live=terminal, colour=colour)


def silent() -> Progress:
    """A reporter that prints nothing (library use, tests)."""
    return Progress(sys.stderr, enabled=False, live=False, colour=False)


def _width(stream: TextIO) -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 80


def _is_terminal(stream: TextIO) -> bool:
    """Whether the stream is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
