"""Writers: one per output format, each behind the same small interface.

A writer takes one context (the checked, linked document, the templates, the options, the
destination) and returns every file it makes, in memory: ``render(ctx) -> list[Output]``.
The registry below is the one list of formats: the command line's choices, ``watch
--formats`` and the orchestrator all read it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jinja2
from markupsafe import Markup

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


@dataclass(frozen=True)
class ContentMarkup:
    """The document's content as one output's templates show it, each piece serialised by its writer."""

    titles: dict[str, Markup]  # by chapter id
    bodies: dict[str, Markup]  # by chapter id
    notes: dict[str, Markup]  # by footnote id: the content of the note's first paragraph
    note_blocks: dict[str, Markup]  # by footnote id: the blocks after its first paragraph
    definitions: dict[str, Markup]  # by glossary entry id
    summary: list[Markup]  # the key points, in order


@dataclass(frozen=True)
class Output:
    """A rendered file waiting to be written."""

    path: Path
    data: bytes


class Writer(Protocol):
    """Renders a document into its output files."""

    name: str

    def render(self, ctx: WriteContext) -> list[Output]:
        """Every file of this format, in memory; nothing is written yet."""
        ...


@dataclass(frozen=True)
class Format:
    """One output format: the class that writes it (imported only when asked for) and what it is."""

    writer: str  # "module:Class"
    help: str
    paged: bool = False  # takes the PDF's paper options


# The one list of formats: the command line's commands and choices and the build all read it.
WRITERS: dict[str, Format] = {
    "pdf": Format("generator.writers.pdf:PdfWriter", "build the PDF briefing of each document", paged=True),
    "epub": Format("generator.writers.epub:EpubWriter", "build the EPUB of each document"),
    "html": Format("generator.writers.html:HtmlWriter",
                   "build the self-contained web page of each document (styles and pictures inside)"),
    "booklet": Format("generator.writers.handout:BookletWriter",
                      "build <slug>-booklet.pdf: the PDF imposed in saddle-stitch order, to print and fold", paged=True),
    "2up": Format("generator.writers.handout:TwoUpWriter",
                  "build <slug>-2up.pdf: the PDF two pages to a sheet side, in reading order", paged=True),
}
FORMATS = tuple(WRITERS)


def writer_for(name: str) -> Writer:
    """The writer of one format from the registry."""
    module, _, cls = WRITERS[name].writer.partition(":")
    return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return]


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to a temporary file beside path, then rename it over path.

    The rename is atomic on one file system, so a reader (or a parallel ``make -j``) sees the
    old file or the new one, never a part; a failure or Ctrl-C removes the temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_time(document: Document) -> dt.datetime:
    """The build timestamp: SOURCE_DATE_EPOCH when set, otherwise midnight UTC of the document's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.combine(document.meta.date, dt.time(), tzinfo=dt.timezone.utc)


@contextlib.contextmanager
def source_date_epoch(document: Document) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH to the build timestamp while a writer runs, for libraries that read it."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(build_time(document).timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
