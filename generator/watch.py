"""Live rebuild: build once, then rebuild the documents a change touches, until Ctrl-C.

Each rebuild prints one line on stdout saying what was written and how long it took; a
broken source prints its problems (``path:line:column: message``) on stderr and a one-line
summary, writes nothing, and the watch goes on. A change to a project template rebuilds
every watched document; a change inside a document's folder (its chapters, YAML, pictures
or own ``templates/``) rebuilds that document only.
"""

from __future__ import annotations

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

STARTUP_MS = 500  # the watcher's wake-up period; also the most the first build waits


def watch(source_dir: Path, slugs: list[str], formats: list[str], out_dir: Path, options: BuildOptions,
          progress: Progress, stop: Event | None = None) -> int:
    """Build, then rebuild on every change until interrupted; returns the exit code (0)."""
    import watchfiles  # imported here: only this command needs it

    paths = watched_paths(source_dir, slugs)
    started = False
    try:
        # A short timeout makes the watcher hand back control once it is listening: the first
        # build runs then, so a file saved during that build is still seen afterwards.
        for changes in watchfiles.watch(*paths, stop_event=stop, raise_interrupt=True, rust_timeout=STARTUP_MS,
                                        yield_on_timeout=True):
            if not started:
                started = True
                print(f"watching {', '.join(display_path(p) for p in paths)} for {', '.join(formats)} (Ctrl-C to stop)", flush=True)
                rebuild(source_dir, slugs, formats, out_dir, options, progress, "start")
            changed = [Path(p) for _, p in changes if not Path(p).resolve().is_relative_to(out_dir.resolve())]
            targets = affected_documents(changed, source_dir, slugs)
            if targets:
                rebuild(source_dir, targets, formats, out_dir, options, progress, _names(changed))
    except KeyboardInterrupt:
        pass
    print("stopped watching", flush=True)
    return 0


def watched_paths(source_dir: Path, slugs: list[str]) -> list[Path]:
    """The named documents' folders (or the whole source folder) and the project's templates."""
    roots = [document_root(source_dir, slug) for slug in slugs] if slugs else [source_dir.resolve()]
    if not roots[0].is_dir():
        raise UsageError(f"no folder {source_dir} to watch")
    return [*roots, PROJECT_TEMPLATES]


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
            progress: Progress, cause: str) -> bool:
    """Build once and print one line about it; a failure is reported, never raised."""
    from generator.build import build

    started = time.perf_counter()
    try:
        result = build(source_dir, slugs, formats, out_dir, options, progress)
    except SourceError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr, flush=True)
        count = sum(1 for p in error.problems if not p.warning)
        _report("build failed", started, cause, f": {count} error{'s' if count != 1 else ''}, nothing written")
        return False
    except Exception as error:  # noqa: BLE001 - a watcher outlives one bad build (a usage error included)
        _report("build failed", started, cause, f": {type(error).__name__}: {error}")
        return False
    for warning in dict.fromkeys(w for d in result.documents for w in d.warnings):
        print(warning, file=sys.stderr, flush=True)
    verb = "built" if cause == "start" else "rebuilt"
    _report(f"{verb} {', '.join(display_path(p) for p in result.written)}", started, cause)
    return True


def _report(what: str, started: float, cause: str, detail: str = "") -> None:
    """The one line a rebuild prints: time of day, what happened, how long it took, and why."""
    seconds = time.perf_counter() - started
    why = "" if cause == "start" else f" ({cause} changed)"
    print(f"[{time.strftime('%H:%M:%S')}] {what} in {seconds:.2f} s{detail}{why}", flush=True)


def _names(changed: list[Path]) -> str:
    """The changed files, by name, for the report line."""
    names = sorted({display_path(p) for p in changed})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
