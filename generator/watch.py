"""Live rebuild: build once, then rebuild the documents a change touches, until Ctrl-C.

Each rebuild prints one line on stdout saying what was written and how long it took; a
broken source prints its problems (``path:line:column: message``) on stderr and a one-line
summary, writes nothing, and the watch goes on. A change to a project template rebuilds
every watched document; a change inside a document's folder (its chapters, YAML, pictures
or own ``templates/``) rebuilds that document only.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from threading import Event

from generator.errors import SourceError, UsageError, display_path
from generator.progress import Progress
from generator.source import document_root, find_documents
from generator.templates import PROJECT_TEMPLATES
from generator.writers import BuildOptions

STAGE_REPORT_S = 1.0  # a stage written after this long is reported before the slower formats follow
# A document whose PDF took less than this to render last time gets it first: its web page then
# still comes within 2 s of the save (issue 20's aim for a long document), and the PDF, what the
# author of a short document waits for, is not held back by the web page and the EPUB (on the
# seed 0.47 s from save to PDF instead of 0.57). The seed's first PDF of a watch takes about 1 s
# (WeasyPrint imported, nothing warm yet); a 300-page report's 20 s and more.
PAGED_FIRST_S = 1.5
STARTUP_MS = 500  # the watcher's wake-up period; also the most the first build waits
# A burst of changes with no gap longer than this is one rebuild (an editor's save: its temporary
# file, the rename; a checkout of many files). watchfiles' own 50 ms was a tenth of the seed's
# save-to-PDF time; a checkout slower than this may rebuild twice, the second build the right one.
QUIET_MS = 20
LINE_WIDTH = 100  # a report line fits a terminal split in two; longer names are shortened in the middle
# Files editors and tools write beside the one being saved, never sources themselves: vim's swap
# files and its write test "4913", backups ending in "~", Emacs's locks (.#x) and auto-saves (#x#),
# sed -i's sedXXXXXX, and the hidden temporaries of editors that save atomically (.x.tmp, .goutputstream-).
EDITOR_TEMPORARY = re.compile(r"(^\..*\.sw[a-z]$|~$|^4913$|^\.#|^#.*#$|^sed[A-Za-z0-9]{6}$|^\..*\.tmp$|"
                              r"^\.goutputstream-|___jb_(tmp|old)___$)")


def watch(source_dir: Path, slugs: list[str], formats: list[str], out_dir: Path, options: BuildOptions,
          progress: Progress, stop: Event | None = None) -> int:
    """Build, then rebuild on every change until interrupted; returns the exit code (0)."""
    import watchfiles  # imported here: only this command needs it

    paths = watched_paths(source_dir, slugs)
    started = False
    last_build_s: dict[tuple[str, ...], float] = {}  # the paged stage's seconds, by the documents built together
    try:
        # A short timeout makes the watcher hand back control once it is listening: the first
        # build runs then, so a file saved during that build is still seen afterwards.
        for changes in watchfiles.watch(*paths, stop_event=stop, raise_interrupt=True, rust_timeout=STARTUP_MS,
                                        step=QUIET_MS, yield_on_timeout=True):
            if not started:
                started = True
                print(fit(f"watching {', '.join(display_path(p) for p in paths)} for {', '.join(formats)} "
                          f"into {display_path(out_dir)}/ (Ctrl-C to stop)"), flush=True)
                everything = slugs or find_documents(source_dir)
                remember(last_build_s, everything, rebuild(source_dir, everything, formats, out_dir, options,
                                                           progress, "start"))
            changed = source_changes((Path(p) for _, p in changes), out_dir)
            targets = affected_documents(changed, source_dir, slugs)
            if targets:
                remember(last_build_s, targets, rebuild(source_dir, targets, formats, out_dir, options, progress,
                                                        changed_names(changed, source_dir, targets),
                                                        paged_first=was_quick(last_build_s, targets)))
    except KeyboardInterrupt:
        pass
    print("stopped watching", flush=True)
    return 0


def remember(last_build_s: dict[tuple[str, ...], float], slugs: list[str], seconds: float | None) -> None:
    """Note how long the paged formats of these documents took to render (nothing for a failed build)."""
    if seconds is not None:
        last_build_s[tuple(slugs)] = seconds


def was_quick(last_build_s: dict[tuple[str, ...], float], slugs: list[str]) -> bool:
    """Whether the paged formats of these documents last took under PAGED_FIRST_S (not known: no)."""
    return last_build_s.get(tuple(slugs), PAGED_FIRST_S) < PAGED_FIRST_S


def watched_paths(source_dir: Path, slugs: list[str]) -> list[Path]:
    """The named documents' folders (or the whole source folder) and the project's templates."""
    roots = [document_root(source_dir, slug) for slug in slugs] if slugs else [source_dir.resolve()]
    if not roots[0].is_dir():
        raise UsageError(f"no folder {source_dir} to watch")
    return [*roots, PROJECT_TEMPLATES]


def source_changes(paths: Iterable[Path], out_dir: Path) -> list[Path]:
    """The changed files that can matter to a build: not the outputs, not an editor's temporary files."""
    out = out_dir.resolve()
    return [p for p in paths if not is_editor_temporary(p) and not p.resolve().is_relative_to(out)]


def is_editor_temporary(path: Path) -> bool:
    """Whether a file is one an editor or sed writes beside the file being saved."""
    return bool(EDITOR_TEMPORARY.search(path.name))


def affected_documents(changed: Iterable[Path], source_dir: Path, slugs: list[str]) -> list[str]:
    """The documents a set of changed files calls for rebuilding, in a stable order."""
    known = slugs or find_documents(source_dir)
    source = source_dir.resolve()
    hit: set[str] = set()
    for path in (p.resolve() for p in changed):
        if path.is_relative_to(PROJECT_TEMPLATES):
            return known
        if path.is_relative_to(source) and path != source:
            hit.add(path.relative_to(source).parts[0])
    return [slug for slug in known if slug in hit]


def rebuild(source_dir: Path, slugs: list[str], formats: list[str], out_dir: Path, options: BuildOptions,
            progress: Progress, cause: str, paged_first: bool = False) -> float | None:
    """Build once and print one line about it; the seconds its paged formats took (the whole build
    if it has none), or None when it failed (a failure is reported, never raised).

    The quick formats are written first (build.build_in_stages), unless ``paged_first``; when the
    build is slow enough to keep an author waiting, each early stage gets a line of its own as
    soon as it is written."""
    from generator.build import build_in_stages

    started = time.perf_counter()

    ends: list[tuple[list[str], float]] = []  # each stage written, and when

    def staged(group: list[str]) -> None:
        now = time.perf_counter()
        ends.append((group, now))
        if now - started >= STAGE_REPORT_S:
            later = [name for name in formats if name not in written_so_far(ends)]
            _report(f"wrote {built_names(slugs, group)}", started, cause, f"; {', '.join(later)} to follow")

    try:
        result = build_in_stages(source_dir, slugs, formats, out_dir, options, progress, staged, paged_first)
    except SourceError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr, flush=True)
        count = sum(1 for p in error.problems if not p.warning)
        _report("build failed", started, cause, f": {count} error{'s' if count != 1 else ''}, nothing written")
        return None
    except Exception as error:  # noqa: BLE001 - a watcher outlives one bad build (a usage error included)
        _report("build failed", started, cause, f": {type(error).__name__}: {error}")
        return None
    for warning in dict.fromkeys(w for d in result.documents for w in d.warnings):
        print(warning, file=sys.stderr, flush=True)
    verb = "built" if cause == "start" else "rebuilt"
    _report(f"{verb} {built_names(slugs, formats)}", started, cause)
    ends.append(([name for name in formats if name not in written_so_far(ends)], time.perf_counter()))
    return paged_seconds(started, ends)


def written_so_far(ends: list[tuple[list[str], float]]) -> list[str]:
    """The formats of the stages written so far."""
    return [name for group, _ in ends for name in group]


def paged_seconds(started: float, ends: list[tuple[list[str], float]]) -> float:
    """How long the stage of the paged formats took, from when each stage ended (the whole
    build when every format is a quick one)."""
    from generator.build import QUICK_FORMATS

    begun = started
    for group, ended in ends:
        if any(name not in QUICK_FORMATS for name in group):
            return ended - begun
        begun = ended
    return ends[-1][1] - started


def _report(what: str, started: float, cause: str, detail: str = "") -> None:
    """The one line a rebuild prints: time of day, what happened, how long it took, and why;
    at most LINE_WIDTH characters, the names shortened to fit, never the time."""
    head, timing = f"[{time.strftime('%H:%M:%S')}] ", f" in {time.perf_counter() - started:.2f} s"
    why = "" if cause == "start" else f" ({cause} changed)"
    what, detail, why = fit_parts([what, detail, why], LINE_WIDTH - len(head) - len(timing))
    print(f"{head}{what}{timing}{detail}{why}", flush=True)


def fit_parts(parts: list[str], room: int, shortest: int = 16) -> list[str]:
    """The parts of a line, each shortened in proportion to its length, so that together they fit in room characters."""
    total = sum(map(len, parts))
    if total <= room:
        return parts
    return [fit(part, max(min(shortest, len(part)), room * len(part) // total)) for part in parts]


def built_names(slugs: list[str], formats: list[str]) -> str:
    """What a build made, by document and format: 'harbour-notes (pdf, html)'."""
    documents = ", ".join(slugs[:2]) + (f" and {len(slugs) - 2} more" if len(slugs) > 2 else "")
    return f"{documents} ({', '.join(formats)})"


def changed_names(changed: list[Path], source_dir: Path, slugs: list[str]) -> str:
    """The changed files that matter, shortened: inside a document's folder when one document is
    rebuilt (02-compute.md), else from the source folder or the project (templates/web/web.css)."""
    source = source_dir.resolve()
    base = source / slugs[0] if len(slugs) == 1 else source
    names = sorted({_short_name(p.resolve(), base, source) for p in changed})
    return ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")


def _short_name(path: Path, base: Path, source: Path) -> str:
    """A changed file named from the nearest folder the reader knows."""
    for folder in (base, source, PROJECT_TEMPLATES.parent):
        if path.is_relative_to(folder):
            return str(path.relative_to(folder))
    return display_path(path)


def fit(line: str, width: int = LINE_WIDTH) -> str:
    """A line of at most width characters: what does not fit is cut out of its middle, marked '…'."""
    if len(line) <= width:
        return line
    keep = width - 1
    return line[: keep - keep // 2] + "…" + line[len(line) - keep // 2:]
