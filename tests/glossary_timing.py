"""A quick self-check of the glossary pass's speed: 2,000 terms over 1 MB of chapter text.

Run it with ``.venv/bin/python -m tests.glossary_timing``. It prints the time the linking
pass takes (best of three) and how many uses it found. It is not a test: speed is measured
by the benchmark, never asserted in a timed test.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

from generator.glossary import link_glossary
from generator.markdown import slugify
from generator.model import Chapter, Document, GlossaryEntry, Metadata

FILLER = ("the", "of", "and", "a", "market", "cloud", "partnership", "growth", "with", "its", "deal", "model")


def synthetic_terms(count: int, rng: random.Random) -> list[str]:
    """Distinct made-up terms: single words, two-word phrases, acronyms and hyphenated compounds."""
    terms: dict[str, str] = {}  # slug: term, so that no two terms share an anchor
    while len(terms) < count:
        word = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
        shape = len(terms) % 4
        term = {0: word, 1: f"{word} {rng.choice(FILLER)}ism", 2: word[:4].upper(), 3: f"{word}-{word[:3]}"}[shape]
        terms.setdefault(slugify(term), term)
    return list(terms.values())


def synthetic_document(terms: list[str], size: int, rng: random.Random) -> Document:
    """A document of ten chapters holding about `size` characters of paragraphs that mention the terms."""
    paragraphs: list[str] = []
    length = 0
    while length < size:
        words = [rng.choice(terms) if rng.random() < 0.08 else rng.choice(FILLER) for _ in range(80)]
        paragraph = "<p>" + " ".join(words) + ".</p>\n"
        paragraphs.append(paragraph)
        length += len(paragraph)
    per_chapter = len(paragraphs) // 10 + 1
    chapters = tuple(
        Chapter(id=f"ch{n + 1}", number=n + 1, path=Path(f"{n + 1:02}.md"), title=f"Chapter {n + 1}",
                title_html=f"Chapter {n + 1}", html="".join(paragraphs[n * per_chapter : (n + 1) * per_chapter]))
        for n in range(10)
    )
    entries = tuple(
        GlossaryEntry(id=f"g-{slugify(t)}", term=t, definition_html=f"The meaning of {t}.", line=i + 1) for i, t in enumerate(terms)
    )
    meta = Metadata(title="Timing", date=dt.date(2026, 1, 1), chapters=tuple(c.path.name for c in chapters))
    return Document(slug="timing", root=Path("."), meta=meta, chapters=chapters, glossary=entries)


def main() -> None:
    """Build the synthetic document and time the linking pass on it."""
    rng = random.Random(5)
    terms = synthetic_terms(2000, rng)
    document = synthetic_document(terms, 1_000_000, rng)
    size = sum(len(c.html) for c in document.chapters)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        linked = link_glossary(document)
        timings.append(time.perf_counter() - start)
    uses = sum(len(e.uses) for e in linked.glossary)
    print(f"{len(terms)} terms, {size / 1e6:.2f} MB of chapter XHTML: {min(timings):.3f} s (best of 3), {uses} uses")


if __name__ == "__main__":
    main()
