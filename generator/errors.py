"""Error types. A source error carries the file, line and column it was found at."""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem found in the sources, printed as ``path:line:column: message``."""

    path: Path
    line: int
    column: int
    message: str
    warning: bool = False
    example: tuple[str, ...] = ()  # lines of source that show the fix, printed indented under the message

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"  # templates have lines only
        shown = "".join(f"\n    {printable(line)}" for line in self.example)
        return printable(f"{display_path(self.path)}:{where}: {kind}{self.message}") + shown


class SourceError(Exception):
    """The sources are wrong; carries every problem found, so all are reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(Exception):
    """The command line is wrong (unknown document, bad option)."""


class OutputError(UsageError):
    """The output folder cannot take the outputs (a file, read-only, full); like a usage error, exit 2."""


# Characters a terminal would act on or hide: C0 and C1 controls, line and paragraph separators,
# bidirectional overrides and lone surrogates. A message quoting a value escapes them.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """Text safe to print on one terminal line: each control character written as an escape (\\x1b, \\n)."""
    return UNPRINTABLE.sub(lambda m: NAMED_ESCAPES.get(m.group()) or _escape(m.group()), text)


def _escape(char: str) -> str:
    """A character as a Python-style escape."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it: as written first (a
    symlink in the document folder is named, not its target), else with symlinks followed."""
    cwd = Path.cwd()
    for candidate, base in ((Path(os.path.abspath(path)), cwd), (path.resolve(), cwd.resolve())):
        if candidate.is_relative_to(base):
            return str(candidate.relative_to(base))
    return str(path)


def template_problem(error: Exception) -> Problem | None:
    """Where in a template a Jinja error happened (template file and line), if it can be told."""
    filename = getattr(error, "filename", None)
    line = getattr(error, "lineno", None)
    if not (filename and line):
        # Jinja rewrites the traceback so that template frames carry the template's file and line.
        frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py")]
        if not frames:
            return None
        filename, line = frames[-1].filename, frames[-1].lineno
    message = getattr(error, "message", None) or str(error)
    if type(error).__name__ == "SecurityError":  # jinja2.sandbox's refusal
        message = f"{message.rstrip('.')}: templates run in a sandbox"
    return Problem(Path(filename), int(line or 1), 0, message)


def source_error(path: Path, line: int, column: int, message: str) -> SourceError:
    """Build a SourceError holding a single problem."""
    return SourceError([Problem(path, line, column, message)])
