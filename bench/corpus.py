"""A large briefing, generated deterministically: the same seed and scale give the same bytes.

At scale 1 it has 40 chapters and a glossary of 300 terms used throughout, with footnotes,
tables, definition lists, callouts and lists, about 300 A4 pages. Every part is scaled
together (chapters and glossary terms), so the one-tenth document has the same density per
page and time per page can be compared between the two.

:func:`write_book` writes issue 20's third corpus instead: a technical book of about 700 pages,
much code (a highlighted block in every section) and a glossary of 16 terms.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

CHAPTERS_AT_SCALE_1 = 40
TERMS_AT_SCALE_1 = 300
SECTIONS_PER_CHAPTER = 5
PARAGRAPHS_PER_SECTION = 3

FILLER = """
the a of and to in for on with as by from that this which while because although
market capacity demand supply contract investment policy review agency report board
company provider customer partner region budget forecast revenue margin cost price
growth risk model service network system operator regulator analyst quarter year
data centre chip power grid storage training inference workload cluster facility
strategy alliance agreement commitment schedule delivery estimate figure share stake
expands reduces raises limits shapes secures signals tracks weighs suggests requires
shows allows prevents depends measures reaches doubles lowers supports delays
large small early late strong weak steady rapid gradual modest significant recent
public private regional national global domestic industrial commercial technical
new current previous annual quarterly combined separate direct indirect long short
several many most some each every other further second third final main key
""".split()

HEADING_WORDS = """
outlook pressure capacity timeline exposure leverage pricing supply demand review
governance funding returns competition scale efficiency resilience planning options
""".split()

SYLLABLES = ["bra", "cor", "del", "fen", "gar", "hol", "kin", "lum", "mar", "nor", "pel", "quin",
             "ros", "sal", "tor", "vel", "wen", "zan", "tri", "ost", "ul", "par", "dex", "mor"]
ENDINGS = ["ex", "ium", "ar", "on", "ite", "ance", "ol", "eth", "ora", "yx"]
NOUNS = ["index", "ledger", "protocol", "reserve", "framework", "lattice", "accord", "threshold",
         "facility", "mandate", "corridor", "tranche", "benchmark", "exchange", "covenant"]
CALLOUTS = ["note", "keyfigure", "quote"]
ACRONYM_LETTERS = "ABCDEFGHJKLMNPRSTUVWXZ"


@dataclass(frozen=True)
class Term:
    """A generated glossary term, its optional alias and its definition."""

    term: str
    alias: str
    definition: str


def write_document(parent: Path, slug: str, scale: float = 1.0, seed: int = 7) -> Path:
    """Write ``parent/slug/`` (document.yaml, glossary.yaml, chapters) and return that folder."""
    rng = random.Random(f"{seed}:{scale}")
    root = parent / slug
    root.mkdir(parents=True, exist_ok=True)
    terms = make_terms(rng, max(5, round(TERMS_AT_SCALE_1 * scale)))
    chapter_count = max(1, round(CHAPTERS_AT_SCALE_1 * scale))
    topics = chapter_topics(rng, terms, chapter_count)
    names = []
    for number in range(1, chapter_count + 1):
        name = f"{number:02d}-chapter.md"
        (root / name).write_text(chapter_markdown(rng, number, terms, topics[number - 1]), encoding="utf-8")
        names.append(name)
    (root / "document.yaml").write_text(_yaml(document_yaml(slug, names)), encoding="utf-8")
    (root / "glossary.yaml").write_text(_yaml([_entry(t) for t in terms]), encoding="utf-8")
    return root


BOOK_TERMS = 16
BOOK_SECTIONS = 6
CODE_WORDS = ["load", "parse", "render", "index", "batch", "queue", "cache", "token", "node", "page", "shard",
              "merge", "split", "retry", "limit", "frame", "chunk", "layout", "stream", "buffer"]


def write_book(parent: Path, slug: str, chapters: int = 110, seed: int = 11) -> Path:
    """Write ``parent/slug/``: a technical book of ``chapters`` chapters (110 give about 700 A4
    pages), each section prose with a few of 16 glossary terms and a code block; return the folder."""
    rng = random.Random(f"book:{seed}:{chapters}")
    root = parent / slug
    root.mkdir(parents=True, exist_ok=True)
    terms = make_terms(rng, BOOK_TERMS)
    names = []
    for number in range(1, chapters + 1):
        name = f"{number:03d}-chapter.md"
        (root / name).write_text(book_chapter(rng, number, terms), encoding="utf-8")
        names.append(name)
    meta = {**document_yaml(slug, names), "title": f"Benchmark book {slug}", "kind": "Book",
            "summary": ["A deterministic technical book: the same seed gives the same bytes.",
                        "Prose, code in every section and a short glossary used throughout."]}
    (root / "document.yaml").write_text(_yaml(meta), encoding="utf-8")
    (root / "glossary.yaml").write_text(_yaml([_entry(t) for t in terms]), encoding="utf-8")
    return root


def book_chapter(rng: random.Random, number: int, terms: list[Term]) -> str:
    """One chapter of the book: an introduction, then sections of prose around a code block."""
    notes: list[str] = []
    parts = [f"# {_title(rng)} {number}", _paragraph(rng, terms, terms, notes)]
    for section in range(BOOK_SECTIONS):
        parts += [f"## {_title(rng)}", _paragraph(rng, terms, terms, notes), _code_block(rng, section),
                  _paragraph(rng, terms, terms, notes)]
    parts.extend(f"[^{n}]: {text}" for n, text in enumerate(notes, start=1))
    return "\n\n".join(parts) + "\n"


def _code_block(rng: random.Random, section: int) -> str:
    """A fenced block of 12 to 30 lines: Python, JSON or shell, in turn."""
    language = ("python", "json", "shell")[section % 3]
    lines = rng.randint(12, 30)
    if language == "python":
        body = [f"def {rng.choice(CODE_WORDS)}_{rng.choice(CODE_WORDS)}(items, limit={rng.randint(2, 64)}):"]
        body += [f"    {rng.choice(CODE_WORDS)} = [x for x in items if x.{rng.choice(CODE_WORDS)} < limit]"
                 if i % 3 else f"    # {_sentence(rng, 4, 9, [])[:-1].lower()}" for i in range(lines - 2)]
        body.append(f"    return {rng.choice(CODE_WORDS)}")
    elif language == "json":
        body = ["{"] + [f'  "{rng.choice(CODE_WORDS)}_{i}": {rng.randint(0, 9999)},' for i in range(lines - 2)] + ['  "end": true', "}"]
    else:
        body = [f"$ briefing {rng.choice(CODE_WORDS)} --{rng.choice(CODE_WORDS)} {rng.randint(1, 99)} "
                f"--out build/{rng.choice(CODE_WORDS)}" for _ in range(lines)]
    return "\n".join([f"```{language}", *body, "```"])


def make_terms(rng: random.Random, count: int) -> list[Term]:
    """Invented terms (so no filler word ever matches one): names, two-word phrases and acronyms."""
    terms: list[Term] = []
    seen: set[str] = set()
    while len(terms) < count:
        name = _invented_word(rng)
        kind = len(terms) % 5
        if kind == 0:
            phrase = f"{name} {rng.choice(NOUNS)}"
            term = Term("".join(rng.choice(ACRONYM_LETTERS) for _ in range(rng.randint(3, 4))), phrase, "")
        elif kind in (1, 2):
            term = Term(f"{name} {rng.choice(NOUNS)}", "", "")
        else:
            term = Term(name, "", "")
        if term.term.lower() in seen or term.alias.lower() in seen:
            continue
        seen.update({term.term.lower(), term.alias.lower()} - {""})
        terms.append(Term(term.term, term.alias, _sentence(rng, 14, 30, [])))
    return terms


def chapter_topics(rng: random.Random, terms: list[Term], chapters: int) -> list[list[Term]]:
    """Fifteen terms each chapter leans on, every term the topic of some chapter."""
    pool: list[Term] = []
    while len(pool) < 15 * chapters:
        batch = list(terms)
        rng.shuffle(batch)
        pool.extend(batch)
    return [pool[i * 15:(i + 1) * 15] for i in range(chapters)]


def chapter_markdown(rng: random.Random, number: int, terms: list[Term], topic: list[Term]) -> str:
    """One chapter: title, an introduction, sections with tables, lists, callouts and footnotes."""
    notes: list[str] = []
    parts = [f"# {_title(rng)} {number}", _paragraph(rng, terms, topic, notes)]
    for section in range(SECTIONS_PER_CHAPTER):
        parts.append(f"## {_title(rng)}")
        for index in range(PARAGRAPHS_PER_SECTION):
            parts.append(_paragraph(rng, terms, topic, notes))
            if index == 1:
                parts.append(_block(rng, section, terms, topic))
    parts.extend(f"[^{n}]: {text}" for n, text in enumerate(notes, start=1))
    return "\n\n".join(parts) + "\n"


def document_yaml(slug: str, chapters: list[str]) -> dict[str, object]:
    """The metadata of the generated document."""
    return {
        "title": f"Benchmark briefing {slug}",
        "subtitle": "A generated document for measuring the pipeline",
        "kind": "Benchmark",
        "date": dt.date(2026, 11, 25),
        "language": "en",
        "authors": ["Benchmark Desk"],
        "publisher": "Briefing Press",
        "summary": ["A deterministic document: the same seed gives the same bytes.",
                    "Chapters, footnotes, tables, definition lists and a glossary used throughout."],
        "chapters": chapters,
    }


def _block(rng: random.Random, section: int, terms: list[Term], topic: list[Term]) -> str:
    """The section's structured block: a table, a definition list, a callout or a list, in turn."""
    kind = section % 4
    if kind == 0:
        return _table(rng, topic)
    if kind == 1:
        return "\n".join(f"{_title(rng)}\n: {_sentence(rng, 10, 24, [])}\n" for _ in range(3)).rstrip()
    if kind == 2:
        callout = CALLOUTS[(section + len(topic)) % len(CALLOUTS)]
        body = f"**${rng.randint(2, 400)} billion**\n{_sentence(rng, 6, 10, [])}" if callout == "keyfigure" \
            else _sentence(rng, 16, 30, [])
        return f"::: {callout}\n{body}\n:::"
    return "\n".join(f"- {_sentence(rng, 8, 18, [])}" for _ in range(4))


def _table(rng: random.Random, topic: list[Term]) -> str:
    """A GFM table of figures, one row per topic term."""
    rows = ["| Item | 2024 | 2025 | Change |", "| --- | ---: | ---: | ---: |"]
    for term in rng.sample(topic, 5):
        a, b = rng.randint(10, 900), rng.randint(10, 900)
        rows.append(f"| {term.term} | {a} | {b} | {100 * (b - a) // a}% |")
    return "\n".join(rows)


def _paragraph(rng: random.Random, terms: list[Term], topic: list[Term], notes: list[str]) -> str:
    """About 100 words, with glossary terms and sometimes a footnote."""
    sentences = []
    for _ in range(rng.randint(4, 7)):
        uses = [_use(rng, rng.choice(topic) if rng.random() < 0.7 else rng.choice(terms))
                for _ in range(rng.choice((0, 1, 1, 2)))]
        sentences.append(_sentence(rng, 10, 22, uses))
    if rng.random() < 0.4:
        notes.append(_sentence(rng, 8, 24, []))
        sentences[-1] = sentences[-1][:-1] + f".[^{len(notes)}]"
    return " ".join(sentences)


def _use(rng: random.Random, term: Term) -> str:
    """How the text names a term: as written, by its alias, or as a plural."""
    roll = rng.random()
    if term.alias and roll < 0.3:
        return term.alias
    if roll > 0.85:
        return term.term + "s"
    return term.term


def _sentence(rng: random.Random, low: int, high: int, uses: list[str]) -> str:
    """A sentence of filler words with the given term uses placed among them."""
    words = [rng.choice(FILLER) for _ in range(rng.randint(low, high))]
    for use in uses:
        words.insert(rng.randint(1, len(words)), use)
    if rng.random() < 0.1:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _title(rng: random.Random) -> str:
    """A short heading."""
    return " ".join(rng.choice(HEADING_WORDS) for _ in range(rng.randint(2, 4))).capitalize()


def _invented_word(rng: random.Random) -> str:
    """A capitalised made-up word such as 'Corvelium'."""
    return ("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2))) + rng.choice(ENDINGS)).capitalize()


def _entry(term: Term) -> dict[str, object]:
    """The glossary.yaml record of a term."""
    entry: dict[str, object] = {"term": term.term}
    if term.alias:
        entry["aliases"] = [term.alias]
    entry["definition"] = term.definition
    return entry


def _yaml(data: object) -> str:
    """Stable YAML text."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
