"""The PDF's first layout in two halves at once, on two cores.

The first layout only finds the page of each term use and cross-reference target (PdfWriter.use_pages).
In the report plan every chapter starts a page (``.chapter { break-before: page }``), no page
style depends on a page's parity or on what came before it but the footnote counter, and the
margin boxes are empty in that layout; so the chapters can be laid out as two documents side by side,
the first with the cover and contents, the second with the glossary's first entry and its
footnote numbers carried on, and the second's pages counted on from the first's last. The result
is checked against the kept layout (PdfWriter.laid_out), which falls back to one whole first layout
if a page ever differs. The halves are laid out in a forked child and in this process: WeasyPrint
lays one document out on one core, so on two cores the first layout takes about half the time.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
from collections.abc import Callable
from typing import TypeVar

from generator.filters import word_count
from generator.model import Chapter, Document
from generator.tree import to_html

T = TypeVar("T")

SEGMENT_FROM_WORDS = 6_000  # shorter reports are laid out whole: a second process costs ~0.3 s to start a layout
_FOOTNOTE = re.compile(r'<span class="footnote[ "]')


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def splits(document: Document, plan: str) -> bool:
    """Whether the first layout is made in halves: not for a briefing (its chapters run on), a
    short report, on one core or without fork."""
    return plan == "report" and len(document.chapters) >= 2 and cores() >= 2 and hasattr(os, "fork") \
        and word_count(document) >= SEGMENT_FROM_WORDS


def segments(document: Document, plan: str, bodies: dict[str, str]) -> list[dict[str, object]] | None:
    """Two halves of the chapters to lay out apart (the template's ``segment``), or None where the
    document is laid out whole (see :func:`splits`)."""
    if not splits(document, plan):
        return None
    split = halfway(document.chapters, bodies)
    notes_before = sum(len(_FOOTNOTE.findall(bodies[c.id])) for c in document.chapters[:split])
    return [{"chapters": document.chapters[:split], "front": True, "back": False, "notes_before": 0},
            {"chapters": document.chapters[split:], "front": False, "back": True, "notes_before": notes_before}]


def halfway(chapters: tuple[Chapter, ...], bodies: dict[str, str]) -> int:
    """The index of the first chapter of the second half: the halves about equal in markup."""
    sizes = [len(bodies[c.id]) + len(to_html(c.title_markup.root)) for c in chapters]
    total, running = sum(sizes), 0
    for index, size in enumerate(sizes):
        if running + size / 2 >= total / 2 and index > 0:
            return index
        running += size
    return len(chapters) - 1


def forked(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work()`` in a forked child; the function returned waits for its result (pickled
    through a pipe) and raises RuntimeError with what the child raised, if it raised."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        status = 0
        try:
            payload = pickle.dumps((True, work()))
        except BaseException as error:  # noqa: BLE001 - anything the child meets is the parent's to raise
            payload, status = pickle.dumps((False, f"{type(error).__name__}: {error}")), 1
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(status)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        ok, value = pickle.loads(data)  # our own child's bytes
        if not ok:
            raise RuntimeError(f"a forked child failed: {value}")
        return value  # type: ignore[no-any-return]

    return result


def side_by_side(first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
    """``first()`` in a forked child and ``second()`` here, at the same time."""
    child = forked(first)
    try:
        here = second()
    except BaseException:
        with contextlib.suppress(RuntimeError):
            child()  # reap the child before raising what happened here
        raise
    return child(), here
