"""Micro-benchmark: the glossary linking pass on 2,000 terms over 1 MB of chapter XHTML.

The document is built in memory straight into the model (no Markdown, no files), so the
figure is the pass alone: compiling the matcher, scanning the text, writing the markup.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import time
from pathlib import Path

from bench.corpus import FILLER, make_terms
from generator.glossary import link_glossary
from generator.model import Chapter, Document, GlossaryEntry, Metadata
from generator.tree import Fragment


def synthetic_document(terms: int = 2000, text_bytes: int = 1_000_000, seed: int = 7) -> Document:
    """A document of about ``text_bytes`` of paragraphs in 50 chapters, using ``terms`` glossary terms."""
    rng = random.Random(seed)
    glossary = tuple(
        GlossaryEntry(id=f"g-term-{i}", term=t.term, definition=Fragment.parse(t.definition),
                      aliases=(t.alias,) if t.alias else ())
        for i, t in enumerate(make_terms(rng, terms))
    )
    chapter_bytes = text_bytes // 50
    chapters = tuple(_chapter(rng, n, glossary, chapter_bytes) for n in range(1, 51))
    meta = Metadata(title="Micro", date=dt.date(2026, 11, 25), chapters=tuple(c.path.name for c in chapters))
    return Document(slug="micro", root=Path("."), meta=meta, chapters=chapters, glossary=glossary)


def _chapter(rng: random.Random, number: int, glossary: tuple[GlossaryEntry, ...], size: int) -> Chapter:
    """One chapter of paragraphs, a term about every 12 words."""
    paragraphs: list[str] = []
    length = 0
    while length < size:
        words = [rng.choice(glossary).term if rng.random() < 0.08 else rng.choice(FILLER) for _ in range(80)]
        paragraph = f"<p>{' '.join(words)}.</p>\n"
        paragraphs.append(paragraph)
        length += len(paragraph)
    return Chapter(id=f"ch{number}", number=number, path=Path(f"{number:02d}.md"), name=f"{number:02d}.md",
                   title=f"Chapter {number}", title_markup=Fragment.parse(f"Chapter {number}"),
                   body=Fragment.parse("".join(paragraphs)))


def time_linking(document: Document, runs: int) -> dict[str, object]:
    """Median and each time of link_glossary over ``runs`` runs, each compiling its matcher afresh."""
    times: list[float] = []
    linked = document
    for _ in range(runs):
        re.purge()  # no help from the re module's cache of compiled patterns
        start = time.perf_counter()
        linked = link_glossary(document)
        times.append(time.perf_counter() - start)
    uses = sum(len(e.uses) for e in linked.glossary)
    text = sum(len(c.body.xhtml().encode()) for c in document.chapters)
    return {"terms": len(document.glossary), "text_bytes": text, "uses": uses,
            "runs_s": [round(t, 4) for t in times], "median_s": round(statistics.median(times), 4)}


PROBE_BYTES = 20_000
FULL_BYTES = 1_000_000
TERMS = 2000


def main(runs: int, budget_s: float) -> dict[str, object]:
    """Time the pass on a small probe, then on the full megabyte if the probe says it fits the budget."""
    probe = time_linking(synthetic_document(TERMS, PROBE_BYTES), 1)
    estimate = float(probe["median_s"]) * FULL_BYTES / int(probe["text_bytes"])  # the scan is linear in the text
    result: dict[str, object] = {"probe": probe, "estimate_full_s": round(estimate, 2)}
    if estimate * runs <= budget_s:
        result["full"] = time_linking(synthetic_document(TERMS, FULL_BYTES), runs)
    return result


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(main(int(sys.argv[1]), float(sys.argv[2]))))
