"""On-disk caches of start-up work, under the user's cache folder.

Four things are cached: compiled Jinja templates, parsed hyphenation patterns, (in
generator/cldr.py) the CLDR facts of a document's language, and the pages a PDF's last build
found for its anchors. The first three save time at the start of a build (0.02 s, 0.05 s and
0.05 s); the pages are a guess that spares a rebuild its first layout when they still hold
(generator/writers/pdf.py checks every one against the layout). No output depends on them, a
damaged or stale entry is ignored, and ``BRIEFING_CACHE=0`` turns them off. Handing the
patterns to pyphen reaches into its internals, so that part is in generator/engine.py.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2


def cache_folder(name: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """``$XDG_CACHE_HOME/briefing-generator/<name>`` (default ``~/.cache``), created; None when
    caching is off or the folder cannot be made. ``environ``: another process's environment."""
    if environ.get("BRIEFING_CACHE", "") == "0":
        return None
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "briefing-generator" / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled-template cache on disk, which never fails a build.

    Entries are keyed by the template's name and a hash of its source, and stamped with the
    Jinja and Python versions, so an edited template is compiled afresh.
    """

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """Keyed apart from code compiled outside the sandbox (its ``*`` and ``**`` are compiled differently)."""
        return super().get_cache_key(f"sandboxed:{name}", filename)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Store a compiled template, or silently skip when the cache cannot be written."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache() -> jinja2.BytecodeCache | None:
    """The compiled-template cache, or None when caching is off."""
    folder = cache_folder("templates")
    return QuietBytecodeCache(str(folder)) if folder else None


def hyphenation_entry(dictionary: Path, version: str) -> Path | None:
    """The cache file of a hyphenation dictionary's parsed patterns; None when caching is off.

    Keyed by pyphen's version, the dictionary file and Python's version, so that a changed
    dictionary or an upgrade is parsed afresh.
    """
    folder = cache_folder("hyphenation")
    return folder / f"{dictionary.stem}-{_hyphenation_key(dictionary, version)}.marshal" if folder else None


def read_patterns(entry: Path) -> dict[str, tuple[int, tuple[int, ...]]] | None:
    """The cached patterns, or None when there are none or they are damaged.

    marshal holds only plain strings and integers here, so loading an entry runs no code.
    """
    try:
        patterns: Any = marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return patterns if isinstance(patterns, dict) and patterns and _plain(patterns) else None


def write_patterns(entry: Path, patterns: dict[Any, Any]) -> None:
    """Keep parsed patterns, unless they are more than strings and integers (dictionaries with
    non-standard hyphenation are not cached)."""
    if _plain(patterns):
        _write_quietly(entry, marshal.dumps(patterns))


def _hyphenation_key(path: Path, pyphen_version: str) -> str:
    """What a cached pattern file depends on, hashed."""
    stat = path.stat()
    facts = f"{pyphen_version}|{path}|{stat.st_size}|{stat.st_mtime_ns}|{sys.version_info[:2]}"
    return hashlib.sha256(facts.encode()).hexdigest()[:20]


def pages_entry(*facts: str) -> Path | None:
    """The cache file of the anchor pages of one document's PDF, keyed by what tells its builds
    apart (its folder, the writer, the paper...); None when caching is off."""
    folder = cache_folder("pages")
    return folder / f"{hashlib.sha256(chr(0).join(facts).encode()).hexdigest()[:24]}.json" if folder else None


def read_pages(entry: Path) -> dict[str, int] | None:
    """Anchor → page as the last build found them, or None when there are none or they are damaged."""
    try:
        pages: Any = json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None
    plain = isinstance(pages, dict) and all(isinstance(k, str) and type(v) is int and v > 0 for k, v in pages.items())
    return pages if plain and pages else None


def write_pages(entry: Path, pages: dict[str, int]) -> None:
    """Keep the pages a build found, for the next build of the same document to try first."""
    _write_quietly(entry, json.dumps(pages, sort_keys=True, separators=(",", ":")).encode())


def _plain(patterns: dict[Any, Any]) -> bool:
    """Whether every pattern is a string mapped to (int, tuple of ints), as marshal keeps them."""
    return all(isinstance(key, str) and isinstance(value, tuple) and len(value) == 2
               and type(value[0]) is int and all(type(v) is int for v in value[1])
               for key, value in patterns.items())


def _write_quietly(entry: Path, data: bytes) -> None:
    """Write a cache entry atomically, or not at all."""
    from generator.writers import write_atomically

    try:
        write_atomically(entry, data)
    except OSError:
        pass
