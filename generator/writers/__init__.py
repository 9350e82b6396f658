"""Writers: one per output format, each behind the same small interface.

A writer takes one context (the checked, linked document, the templates, the options, the
destination) and returns every file it makes, in memory: ``render(ctx) -> list[Output]``.
The registry below is the one list of formats: the command line's choices, ``watch
--formats`` and the orchestrator all read it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import importlib
import os
import re
import signal
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jinja2
from markupsafe import Markup

from generator.errors import OutputError, display_path
from generator.files import reason
from generator.model import Document


@dataclass(frozen=True)
class BuildOptions:
    """Choices from the command line that shape the outputs."""

    paper: str = "a4"
    marks: bool = False
    keep_html: bool = False
    profile: Path | None = None  # the print shop's CMYK profile for the print variant; None: the one installed
    press: bool = False  # the print variant (set by its writer): PDF/X-4 in CMYK, bleed and crop marks in a slug
    folded: bool = False  # a handout's pages (set by its writer): half the sheet (A5, half-letter), mirrored margins


def variant_suffix(options: BuildOptions, marked: bool | None = None) -> str:
    """What a paged file's name adds after its kind for its options: ``-letter`` on Letter, ``-marks``
    with crop marks (the print variant always has them, so ``marked=False`` leaves that out).

    Each variant has its own name, so an A4 build and a Letter build (or a marked one) sit side by side.
    """
    marks = options.marks if marked is None else marked
    return ("-letter" if options.paper == "letter" else "") + ("-marks" if marks else "")


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
    "print": Format("generator.writers.press:PressWriter",
                    "build <slug>-print.pdf for a print shop: PDF/X-4 in CMYK, 3 mm bleed, crop marks, black text in K only",
                    paged=True),
    "epub": Format("generator.writers.epub:EpubWriter", "build the EPUB of each document"),
    "html": Format("generator.writers.html:HtmlWriter",
                   "build the self-contained web page of each document (styles and pictures inside)", paged=True),  # --paper: its print stylesheet
    "booklet": Format("generator.writers.handout:BookletWriter",
                      "build <slug>-booklet.pdf: the PDF imposed in saddle-stitch order, to print and fold", paged=True),
    "2up": Format("generator.writers.handout:TwoUpWriter",
                  "build <slug>-2up.pdf: the PDF two pages to a sheet side, in reading order", paged=True),
    "onepager": Format("generator.writers.onepager:OnePagerWriter",
                       "build <slug>-onepager.pdf: one side to leave behind (key points, chapters, QR code)", paged=True),
}
FORMATS = tuple(WRITERS)


def writer_for(name: str) -> Writer:
    """The writer of one format from the registry."""
    module, _, cls = WRITERS[name].writer.partition(":")
    return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return]


class Staged(Protocol):
    """An output waiting to be written: where it goes and its bytes."""

    @property
    def path(self) -> Path: ...

    @property
    def data(self) -> bytes: ...


# Our temporary files: ".<output name>.<8 random characters>.tmp" beside the output (tempfile's naming).
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
STALE_AFTER = 5.0  # seconds


def write_all(outputs: Sequence[Staged]) -> list[Path]:
    """Write every output of a run, all or none: each is staged in a temporary file beside it and
    flushed to disk, and only when all are staged are they renamed over the old files.

    A full disk, a read-only folder or an interruption while staging leaves every old output as it
    was and no temporary file. Each temporary file is locked while its process lives, so a
    temporary left by a killed build (SIGKILL, power loss) is recognised and removed by the next
    build in that folder, and one a parallel build is still writing is left alone. The renames
    themselves are not interrupted by Ctrl-C or SIGTERM.
    """
    for folder in dict.fromkeys(output.path.parent for output in outputs):
        prepare_folder(folder)
    staged: list[tuple[Path, int, Path]] = []  # (temporary, locked descriptor, output)
    replaced: list[Path] = []
    try:
        for output in outputs:
            staged.append((*_stage(output.path, output.data), output.path))
        _commit(staged, replaced)
    finally:
        for tmp, fd, path in staged:
            if path not in replaced:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            os.close(fd)  # releases the lock
    return replaced


def prepare_folder(folder: Path) -> None:
    """Create an output folder if needed and remove stale temporaries of ours; OutputError when it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot write to {display_path(folder)}: it is a file, not a folder") from None
    except OSError as error:
        raise OutputError(f"cannot write to {display_path(folder)}: {reason(error)}") from None
    remove_stale_temporaries(folder)


def check_output_folder(folder: Path) -> None:
    """Before any work: refuse an output folder that is a file or cannot be written (OutputError)."""
    for existing in (folder, *folder.parents):
        if os.path.lexists(existing):
            break
    culprit = "it" if existing == folder else display_path(existing)
    if not existing.is_dir():
        raise OutputError(f"cannot write to {display_path(folder)}: {culprit} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {display_path(folder)}: {culprit} is not writable (permission denied)")


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporaries of ours in folder that no living process holds; return them.

    A temporary is locked from a moment after it is created until it is renamed; one changed in
    the last STALE_AFTER seconds is left alone too, so that this never races that moment.
    """
    removed: list[Path] = []
    try:
        names = [name for name in os.listdir(folder) if TEMPORARY.match(name)]
    except OSError:
        return removed
    for name in names:
        path = folder / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while the writing process lives
            status = os.fstat(fd)
            if (stat.S_ISREG(status.st_mode) and os.path.samestat(status, os.lstat(path))
                    and time.time() - status.st_mtime > STALE_AFTER):
                os.unlink(path)
                removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _stage(path: Path, data: bytes) -> tuple[Path, int]:
    """Write data to a locked temporary file beside path, on disk; return its name and open descriptor."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise OutputError(f"cannot write {display_path(path)}: {reason(error)}; nothing was written") from None
    tmp = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)  # the data is on disk before the name points at it
        os.fchmod(fd, 0o644)
    except BaseException as error:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {display_path(path)}: {reason(error)}; nothing was written") from None
        raise
    return tmp, fd


def _commit(staged: list[tuple[Path, int, Path]], replaced: list[Path]) -> None:
    """Rename every staged file over its output (adding it to replaced), with Ctrl-C and SIGTERM
    held until all are done."""
    with _signals_held():
        for tmp, _fd, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as error:
                done = "; nothing was written" if not replaced else f"; already replaced: {', '.join(display_path(p) for p in replaced)}"
                raise OutputError(f"cannot write {display_path(path)}: {reason(error)}{done}") from None
            replaced.append(path)
        for folder in dict.fromkeys(path.parent for path in replaced):
            _sync_folder(folder)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (delivered afterwards) while the block runs."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the renames) to disk, where the file system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write one file through a temporary file beside it, renamed over it (for caches; outputs use write_all).

    The rename is atomic on one file system, so a reader sees the old file or the new one, never
    a part; a failure or Ctrl-C removes the temporary file. OSError propagates.
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
