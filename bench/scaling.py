"""Scaling benchmark: reading and every pass at 1x, 10x and 100x the size of each input shape.

A pass that is linear in its input takes about the same time per unit at every size; the report
gives, for each shape and stage, seconds per unit at each size and the ratio of the 100x figure
to the 1x one (1.0 is linear; quadratic work shows as about 100). The shapes are the ones that
made passes quadratic before (issue 14): many chapters with a glossary used throughout, one very
long paragraph, one very long table, many footnotes, many headings with the same text, and a long
run of emphasis spans. Timing is in this process (no start-up, no layout: the PDF's layout is
WeasyPrint's and the main benchmark measures it).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import corpus
from generator.build import PASSES
from generator.model import Document
from generator.source import read_document

SIZES = (1, 10, 100)


@dataclass(frozen=True)
class Shape:
    """An input shape: how to write a document of ``units`` units of it into a folder."""

    name: str
    unit: str
    write: Callable[[Path, int], Path]


def _document(root: Path, chapters: dict[str, str], glossary: str = "[]\n") -> Path:
    """A document folder with the given chapter files (name -> Markdown) and glossary."""
    root.mkdir(parents=True, exist_ok=True)
    names = "\n".join(f"  - {name}" for name in chapters)
    (root / "document.yaml").write_text(f"title: Scaling\ndate: 2026-12-01\nchapters:\n{names}\n", encoding="utf-8")
    (root / "glossary.yaml").write_text(glossary, encoding="utf-8")
    for name, text in chapters.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(corpus.FILLER) for _ in range(count))


def corpus_chapters(root: Path, units: int) -> Path:
    """The main benchmark's generated document: a unit is one chapter (and its share of terms)."""
    return corpus.write_document(root.parent, root.name, scale=units / corpus.CHAPTERS_AT_SCALE_1)


def long_paragraph(root: Path, units: int) -> Path:
    """One paragraph of 200 words a unit, with a glossary term every 50 words."""
    rng = random.Random(units)
    parts = [f"{_words(rng, 49)} heat pump" for _ in range(units * 4)]
    glossary = "- term: heat pump\n  definition: A machine that moves heat.\n"
    return _document(root, {"01.md": "# Long paragraph\n\n" + " ".join(parts) + ".\n"}, glossary)


def long_table(root: Path, units: int) -> Path:
    """One table of 20 rows a unit."""
    rng = random.Random(units)
    rows = [f"| {_words(rng, 3)} | {rng.randint(1, 999)} | {_words(rng, 6)} |" for _ in range(units * 20)]
    table = "| Item | Count | Note |\n| --- | ---: | --- |\n" + "\n".join(rows) + "\n"
    return _document(root, {"01.md": "# Long table\n\n" + table})


def many_footnotes(root: Path, units: int) -> Path:
    """Ten footnotes a unit, each called from its own sentence."""
    rng = random.Random(units)
    count = units * 10
    calls = " ".join(f"{_words(rng, 8)}[^n{i}]." for i in range(count))
    notes = "\n".join(f"[^n{i}]: {_words(rng, 12)}." for i in range(count))
    return _document(root, {"01.md": f"# Footnotes\n\n{calls}\n\n{notes}\n"})


def same_headings(root: Path, units: int) -> Path:
    """Ten sections a unit, all titled alike (their ids are made unique one by one)."""
    rng = random.Random(units)
    sections = "".join(f"## Background\n\n{_words(rng, 20)}.\n\n" for _ in range(units * 10))
    return _document(root, {"01.md": "# Sections\n\n" + sections})


def emphasis_run(root: Path, units: int) -> Path:
    """A paragraph of 50 emphasised and strong spans a unit, side by side (not nested: nesting
    past the documented depth is refused, so its size cannot grow)."""
    rng = random.Random(units)
    spans = " ".join(f"*{_words(rng, 2)}* and **{_words(rng, 2)}**" for _ in range(units * 25))
    return _document(root, {"01.md": "# Emphasis\n\n" + spans + ".\n"})


SHAPES = (
    Shape("chapters", "chapter", corpus_chapters),
    Shape("paragraph", "200 words", long_paragraph),
    Shape("table", "20 rows", long_table),
    Shape("footnotes", "10 notes", many_footnotes),
    Shape("headings", "10 sections", same_headings),
    Shape("emphasis", "50 spans", emphasis_run),
)


def time_stages(root: Path) -> dict[str, float]:
    """Seconds spent reading the document and in each pass, in order."""
    start = time.perf_counter()
    document, problems = read_document(root)
    times = {"read": time.perf_counter() - start}
    assert not [p for p in problems if not p.warning], problems  # a benchmark of refusals measures nothing
    for name, run in PASSES:
        start = time.perf_counter()
        document, _found = run(document)
        times[name] = time.perf_counter() - start
    _touch(document)
    return times


def _touch(document: Document) -> None:
    """Keep the last pass's result alive until it is timed (nothing is lazy, but say so)."""
    if not document.chapters:
        raise AssertionError("the generated document has no chapters")


def measure_shape(shape: Shape, work: Path, runs: int, sizes: tuple[int, ...] = SIZES) -> dict[str, object]:
    """Per-unit seconds of every stage at each size (median of ``runs``), and the largest/smallest ratio."""
    per_unit: dict[str, dict[int, float]] = {}
    for units in sizes:
        root = shape.write(work / f"{shape.name}-{units}" / "doc", units)
        if units == sizes[0]:
            time_stages(root)  # untimed: the first run compiles patterns and fills caches once
        samples = [time_stages(root) for _ in range(runs)]
        for stage in samples[0]:
            per_unit.setdefault(stage, {})[units] = statistics.median(s[stage] for s in samples) / units
    ratios = {stage: _ratio(values, sizes) for stage, values in per_unit.items()}
    return {"unit": shape.unit, "sizes": list(sizes),
            "per_unit_ms": {stage: [round(values[u] * 1000, 4) for u in sizes] for stage, values in per_unit.items()},
            "ratio_largest_to_smallest": ratios}


def _ratio(values: dict[int, float], sizes: tuple[int, ...]) -> float | None:
    """Per-unit time at the largest size over that at the smallest size whose whole run took at
    least MIN_TIMED_S (shorter runs are timer noise: a stage with almost nothing to do); None when
    only the largest size took that long."""
    base = next((u for u in sizes[:-1] if values[u] * u >= MIN_TIMED_S), None)
    return None if base is None else round(values[sizes[-1]] / values[base], 2)


MIN_TIMED_S = 0.001


def main(runs: int = 3, sizes: tuple[int, ...] = SIZES) -> dict[str, object]:
    """Every shape, every size; a dict for bench.json."""
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        return {shape.name: measure_shape(shape, Path(tmp), runs, sizes) for shape in SHAPES}


if __name__ == "__main__":
    import json

    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
