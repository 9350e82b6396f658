"""Error types. A source error carries the file, line and column it was found at."""

from __future__ import annotations

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

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{display_path(self.path)}:{self.line}:{self.column}: {kind}{self.message}"


class SourceError(Exception):
    """The sources are wrong; carries every problem found, so all are reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(Exception):
    """The command line is wrong (unknown document, bad option)."""


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def source_error(path: Path, line: int, column: int, message: str) -> SourceError:
    """Build a SourceError holding a single problem."""
    return SourceError([Problem(path, line, column, message)])
