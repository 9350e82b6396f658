"""Writers: one per output format, each behind the same small interface."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jinja2

from generator.model import Document


@dataclass(frozen=True)
class BuildOptions:
    """Choices from the command line that shape the outputs."""

    paper: str = "a4"
    marks: bool = False
    keep_html: bool = False


@dataclass(frozen=True)
class WriteContext:
    """Everything a writer needs: the linked document, templates, options and destination."""

    document: Document
    env: jinja2.Environment
    options: BuildOptions
    out_dir: Path


class Writer(Protocol):
    """Renders a document into one output file."""

    name: str

    def output_path(self, ctx: WriteContext) -> Path:
        """Where this writer's output goes."""
        ...

    def render(self, ctx: WriteContext) -> bytes:
        """The whole output, in memory; nothing is written yet."""
        ...


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to a temporary file beside path, then rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
