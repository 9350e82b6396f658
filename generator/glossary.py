"""The glossary linking pass: a document in, the same document out with terms linked.

Matching is word-anchored: the text is scanned once for words, each word is looked up in
a dictionary of the words that terms and aliases can start with, and only the few forms
filed there are compared with the text. The work is therefore linear in the text whatever
the size of the glossary (one scan, one dictionary lookup per word), and "longest match
wins" is exact: every candidate at a word is tried and the longest match kept. The
matching rules themselves are described in README.md, "Glossary".

The pass works on the chapters' element trees: it rewrites text nodes (never inside
headings, links or code), and turns the term marks of `[text](term:NAME)` links, the only
``<span class="term-mark">`` elements a tree holds, into links or plain text. It walks the
trees without recursion, so it is linear in their size however deeply they nest.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from lxml import etree

from generator.errors import Problem, SourceError
from generator.markdown import NO_TERM, slugify
from generator.model import Chapter, Document, GlossaryEntry, TermUse
from generator.tree import Element, Fragment, position, unwrap

GLOSSARY_FILE = "glossary.yaml"
DOCUMENT_FILE = "document.yaml"
WORD = re.compile(r"\w+")
FORM_PARTS = re.compile(r"(\w+)")
# Elements whose text is never linked: headings and labels, links, code, and the callouts
# that repeat or display text rather than run it (a pull quote repeats a sentence of the body).
SKIPPED_ELEMENTS = frozenset({"a", "code", "pre", "kbd", "samp", "h1", "h2", "h3", "h4", "h5", "h6", "th", "dt", "script", "style"})
SKIPPED_CLASSES = ("callout pullquote", "callout keyfigure")
IS_WORD_CHAR = re.compile(r"\w").match
HYPHENS = "-\u2010\u2011"  # hyphen-minus, hyphen, non-breaking hyphen
HYPHEN_SET = frozenset(HYPHENS)
SINGLE_QUOTES, DOUBLE_QUOTES = "'\u2018\u2019", '"\u201c\u201d'
QUOTES = {q: SINGLE_QUOTES for q in SINGLE_QUOTES} | {q: DOUBLE_QUOTES for q in DOUBLE_QUOTES}


def link_glossary(document: Document) -> Document:
    """Link glossary terms in every chapter, record every use, and check the glossary; raise on any problem."""
    linked, problems = glossary_pass(document)
    if problems:
        raise SourceError(problems)
    return linked


def glossary_pass(document: Document) -> tuple[Document, list[Problem]]:
    """Link glossary terms in every chapter and record every use: the linked document and the problems found."""
    problems = check_entries(document)
    glossary_path = document.root / GLOSSARY_FILE
    terms = TermIndex(document.glossary, document.meta.language)
    uses: dict[str, list[TermUse]] = defaultdict(list)
    chapters = tuple(_link_chapter(c, terms, document.meta.glossary_links, uses, problems) for c in document.chapters)
    entries = tuple(_cross_reference(e, terms, glossary_path, problems) for e in document.glossary)
    lines = document.meta.summary_line or tuple(1 for _ in document.meta.summary)
    summary = tuple(_strip_marks(point, line, terms, document.root / DOCUMENT_FILE, problems)
                    for point, line in zip(document.meta.summary, lines, strict=True))
    entries = tuple(replace(e, uses=tuple(uses[e.id])) for e in entries)
    return replace(
        document,
        meta=replace(document.meta, summary=summary),
        chapters=chapters,
        glossary=sort_entries(entries),
        warnings=document.warnings + tuple(unused_term_warnings(entries, glossary_path)),
    ), problems


# --- Checks -------------------------------------------------------------------------------


def check_entries(document: Document) -> list[Problem]:
    """Empty definitions, forms without a letter or digit, and forms two entries share or match alike."""
    path = document.root / GLOSSARY_FILE
    problems: list[Problem] = []
    owner: dict[str, GlossaryEntry] = {}
    alike: dict[str, GlossaryEntry] = {}  # forms that match the same words ('AI chip', 'AI-chip')
    for entry in document.glossary:
        if not entry.definition.text().strip():
            problems.append(Problem(path, entry.line, 1, f"the definition of '{entry.term}' is empty"))
        clashed = False
        for form in (entry.term, *entry.aliases):
            folded = _fold(form)
            if not WORD.search(form):
                problems.append(Problem(path, entry.line, 1, f"the term or alias '{form}' has no letter or digit to match"))
            elif folded in owner and owner[folded] is not entry:
                problems.append(_clash(path, entry, owner[folded], f"shares the term or alias '{form}' with"))
                clashed = True
            elif not clashed and alike.get(_matched_alike(form), entry) is not entry:
                problems.append(_clash(path, entry, alike[_matched_alike(form)], f"has '{form}', which matches the same words as"))
                clashed = True
            owner.setdefault(folded, entry)
            alike.setdefault(_matched_alike(form), entry)
    return problems


def _matched_alike(form: str) -> str:
    """A form with what matching treats alike made equal: spaces and hyphens between words, case."""
    return " ".join(re.split(r"[\s\-\u2010\u2011]+", form.strip())).casefold()


def _clash(path: Path, entry: GlossaryEntry, earlier: GlossaryEntry, what: str) -> Problem:
    """A problem naming both entries involved in a clash."""
    return Problem(path, entry.line, 1, f"the entry '{entry.term}' {what} the entry '{earlier.term}' (line {earlier.line})")


def unused_term_warnings(entries: Iterable[GlossaryEntry], path: Path) -> list[str]:
    """One warning for each term that is defined but never used in the text."""
    return [
        str(Problem(path, e.line, 1, f"glossary term '{e.term}' is defined but never used in the text", warning=True))
        for e in entries
        if not e.uses
    ]


# --- Order --------------------------------------------------------------------------------


def sort_entries(entries: tuple[GlossaryEntry, ...]) -> tuple[GlossaryEntry, ...]:
    """Appendix order: case-insensitive, leading punctuation ignored, accents with their base letter."""
    return tuple(sorted(entries, key=lambda e: (sort_key(e.term), e.term)))


def sort_key(term: str) -> str:
    """The key a term is alphabetised by: 'Éclair' and '"eclair' both sort as 'eclair'."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c))
    return re.sub(r"^[\W_]+", "", folded).casefold()


# --- Matching -----------------------------------------------------------------------------


def is_acronym(form: str) -> bool:
    """Whether a form is written like an acronym (letters all capitals, as AWS, FTC or U.S.)."""
    return any(c.isalpha() for c in form) and not any(c.islower() for c in form)


def plurals(word: str, acronym: bool) -> list[str]:
    """The word and its regular English plural: chip/chips, tax/taxes, policy/policies, GPU/GPUs."""
    if acronym or word[-1:].isdigit():
        return [word, word + "s"]
    lower = word.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return [word, word + "es"]
    if len(lower) > 1 and lower.endswith("y") and lower[-2] not in "aeiou":
        return [word, word[:-1] + "ies"]
    return [word, word + "s"]


# Snowball's algorithm for each language whose inflections match beyond the English plural
# rules, by primary language subtag. English keeps plurals() (see README.md, "Glossary").
SNOWBALL = {"fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
            "nl": "dutch", "da": "danish", "sv": "swedish", "nb": "norwegian", "no": "norwegian",
            "fi": "finnish", "ro": "romanian", "ca": "catalan"}
# The endings an inflected word may have beyond the stem it shares with the term (after case and
# accents are folded): plural and case endings only, never a derivation (Agence/Agencement).
ENDINGS = {
    "fr": frozenset({"", "s", "x", "e", "es"}),
    "de": frozenset({"", "e", "en", "n", "er", "ern", "es", "s", "ns", "nen"}),
}
SHORT_ENDING = 2  # other Snowball languages: an ending of at most two letters
# Languages written without spaces between words: terms match as character sequences.
UNSPACED = frozenset({"ja", "zh", "th", "lo", "km", "my", "bo"})


def primary_subtag(language: str) -> str:
    """The language of a BCP 47 tag: 'fr' for 'fr-CA'."""
    return language.split("-")[0].split("_")[0].lower()


def _accents_off(word: str) -> str:
    """A lower-case word without diacritics ('wärme' as 'warme'), to compare endings."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


class Inflection:
    """When a word of the text is an inflected form of a term's word, for one language.

    Two words match when Snowball gives them the same stem and what each has beyond the
    part they share is one of the language's endings: "agences" is "agence", "Wärmepumpen"
    is "Wärmepumpe", but "agencement" is not "agence" (a derivation, not an inflection).
    """

    def __init__(self, language: str) -> None:
        import snowballstemmer  # imported here: it loads every language's stemmer (3 MB), and English needs none

        self.language = primary_subtag(language)
        self._stemmer = snowballstemmer.stemmer(SNOWBALL[self.language])
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The stem of a lower-case word (cached: the text repeats its words)."""
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stems[word] = self._stemmer.stemWord(word)
        return stem

    def same(self, found: str, word: str) -> bool:
        """Whether a lower-case word of the text is an inflected form of a term's lower-case word."""
        if found == word:
            return True
        if self.stem(found) != self.stem(word):
            return False
        a, b = _accents_off(found), _accents_off(word)
        shared = len(_common_prefix(a, b))
        return self._ending(a[shared:]) and self._ending(b[shared:])

    def _ending(self, rest: str) -> bool:
        """Whether what a word has beyond the shared part is an inflectional ending."""
        endings = ENDINGS.get(self.language)
        return rest in endings if endings is not None else len(rest) <= SHORT_ENDING


def _common_prefix(a: str, b: str) -> str:
    """The longest start two strings share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def inflection_for(language: str) -> Inflection | None:
    """The inflection rules of a language Snowball covers (other than English), or None."""
    return Inflection(language) if primary_subtag(language) in SNOWBALL else None


@dataclass(frozen=True)
class Form:
    """One spelling (a term or an alias) of an entry, and how to tell whether a text holds it.

    A form is split into words and what lies around and between them (its "gaps"). A match
    compares the words (exactly for acronyms, in any case otherwise, the last one possibly
    in the plural) and lets the gaps vary as README.md describes: a space also matches a
    line break or a hyphen, a hyphen also matches a space or nothing, and straight and curly
    quotes match each other. Plain string comparisons, no regular expression per form: with
    thousands of terms, compiling one pattern each would cost more than the whole scan.
    """

    entry_id: str
    text: str
    inflection: Inflection | None = None  # None: English, the last word may be a regular plural

    @cached_property
    def acronym(self) -> bool:
        """Whether the form matches case-sensitively."""
        return is_acronym(self.text)

    @cached_property
    def parts(self) -> list[str]:
        """Gaps and words alternating: gap, word, gap, ..., word, gap (gaps may be empty)."""
        return FORM_PARTS.split(self.text if self.acronym else self.text.lower())

    @cached_property
    def lead(self) -> int:
        """Characters of leading punctuation, as in '.NET'."""
        return len(self.parts[0])

    @cached_property
    def endings(self) -> list[str]:
        """The spellings of the last word, longest first: the word and its plural."""
        return sorted(plurals(self.parts[-2], self.acronym), key=len, reverse=True)

    def end_at(self, text: str, word: re.Match[str]) -> int | None:
        """Where a match of the form starting at this word ends, or None when there is none."""
        if len(self.parts) == 3 and not self.lead and not self.parts[2]:  # one bare word: the common case
            found = word.group() if self.acronym else word.group().lower()
            if self.inflection is not None and not self.acronym:
                return word.end() if self.inflection.same(found, self.parts[1]) else None
            return word.end() if found in self.endings else None
        start = word.start() - self.lead
        if start < 0 or (start and IS_WORD_CHAR(text[start - 1])):
            return None
        position: int | None = _skip_gap(text, start, self.parts[0])
        for index in range(1, len(self.parts) - 2, 2):
            position = self._word(text, position, self.parts[index])
            position = _skip_gap(text, position, self.parts[index + 1])
        return self._ending(text, position)

    def _word(self, text: str, position: int | None, word: str) -> int | None:
        """The position after a word of the form found at position, or None."""
        if position is None:
            return None
        if self.inflection is not None and not self.acronym:  # any word may be inflected ('agences de l'eau')
            run = WORD.match(text, position)
            if run and self.inflection.same(run.group().lower(), word):
                return run.end()
        found = text[position : position + len(word)]
        return position + len(word) if (found if self.acronym else found.lower()) == word else None

    def _ending(self, text: str, position: int | None) -> int | None:
        """The end of the match after the last word (in any of its spellings) and the trailing gap."""
        endings = [self.parts[-2]] if self.inflection is not None and not self.acronym else self.endings
        for ending in endings if position is not None else ():
            end = _skip_gap(text, self._word(text, position, ending), self.parts[-1])
            if end is not None and not (end < len(text) and IS_WORD_CHAR(text[end])):
                return end
        return None


def _skip_gap(text: str, position: int | None, gap: str) -> int | None:
    """The position after a gap of a form found at position (as loosely as the rules allow), or None."""
    if position is None or not gap:
        return position
    if gap.isspace():  # a space: any run of white space, or one hyphen
        return _skip_space(text, position) or (position + 1 if text[position : position + 1] in HYPHEN_SET else None)
    if gap in HYPHEN_SET:  # a hyphen: a hyphen, white space, or nothing ('multi-cloud', 'multi cloud', 'multicloud')
        return position + 1 if text[position : position + 1] in HYPHEN_SET else _skip_space(text, position) or position
    for char in gap:
        if char.isspace():
            position = _skip_space(text, position)
        elif position < len(text) and (text[position] == char or text[position] in QUOTES.get(char, "")):
            position += 1
        else:
            return None
        if position is None:
            return None
    return position


def _skip_space(text: str, position: int) -> int | None:
    """The position after a run of white space starting at position, or None if there is none."""
    end = position
    while end < len(text) and text[end].isspace():
        end += 1
    return end if end > position else None


@dataclass(frozen=True)
class Match:
    """One occurrence of a term in a text: [start, end) and the entry it belongs to."""

    start: int
    end: int
    entry_id: str


class TermIndex:
    """Every term and alias of a glossary, looked up by the word a match must start with."""

    def __init__(self, entries: Iterable[GlossaryEntry], language: str = "en") -> None:
        self.by_first_word: dict[str, list[Form]] = defaultdict(list)
        self.by_name: dict[str, str] = {}
        self.names: list[str] = []  # every term and alias as written, for suggestions
        self.inflection = inflection_for(language)
        forms: list[Form] = []
        for entry in entries:
            for text in (entry.term, *entry.aliases):
                forms.append(Form(entry.id, text, self.inflection))
                self.names.append(text)
                self.by_name.setdefault(_fold(text), entry.id)
                self.by_name.setdefault(slugify(text), entry.id)
        self.sequences = SequenceMatcher(forms) if primary_subtag(language) in UNSPACED else None
        for form in forms if self.sequences is None else ():
            self._add(form)

    def _add(self, form: Form) -> None:
        """File a form under each word a match of it can start with (its stem, where words inflect)."""
        for key in {self._key(word, form.acronym) for word in first_words(form.text)}:
            self.by_first_word[key].append(form)

    def _key(self, word: str, acronym: bool = False) -> str:
        """The dictionary key of a lower-case word: itself, or its stem in an inflected language."""
        return word if self.inflection is None or acronym else self.inflection.stem(word)

    def resolve(self, name: str) -> str | None:
        """The entry id a forced link names (by term, alias or slug, in any case), or None."""
        return self.by_name.get(_fold(name)) or self.by_name.get(slugify(name))

    def nearest(self, name: str) -> str | None:
        """The term or alias, as written, whose slug is closest to a name that names none, or None."""
        by_slug = {slugify(text): text for text in reversed(self.names)}  # the first written wins a tie
        close = difflib.get_close_matches(slugify(name), list(by_slug), n=1, cutoff=0.6)
        return by_slug[close[0]] if close else None

    def find(self, text: str) -> list[Match]:
        """Every term in a plain text, left to right, the longest where several start at one word."""
        if self.sequences is not None:
            return self.sequences.find(text)
        found: list[Match] = []
        end = 0
        lookup = self.by_first_word.get  # this loop runs once per word of the text: keep it lean
        for word in WORD.finditer(text):
            lower = word.group().lower()
            forms = lookup(lower) if self.inflection is None else _both(lookup, lower, self.inflection.stem(lower))
            if forms is not None and word.start() >= end:
                best = _longest(forms, text, word)
                if best:
                    found.append(best)
                    end = best.end
        return found


def _both(lookup: Callable[[str], list[Form] | None], word: str, stem: str) -> list[Form] | None:
    """The forms filed under a word (acronyms) and under its stem (every other form)."""
    exact, stemmed = lookup(word), (lookup(stem) if stem != word else None)
    return stemmed if exact is None else exact if stemmed is None else exact + stemmed


class SequenceMatcher:
    """Terms found as character sequences, for text written without spaces between words.

    One regular expression for the whole glossary, its forms longest first, so that at each
    place the longest term wins. A form's Latin letters and digits must not continue into
    the text's ('AWS' is not found in 'LAWS'); its other characters need no boundary.
    """

    def __init__(self, forms: list[Form]) -> None:
        ordered = sorted(forms, key=lambda f: (-len(f.text), f.text))
        self.ids = [f.entry_id for f in ordered]
        alternatives = (f"(?P<f{n}>{_sequence_pattern(f)})" for n, f in enumerate(ordered))
        self.pattern = re.compile("|".join(alternatives)) if ordered else None

    def find(self, text: str) -> list[Match]:
        """Every term in a plain text, left to right, the longest at each place."""
        if self.pattern is None:
            return []
        return [Match(m.start(), m.end(), self.ids[int(m.lastgroup[1:])]) for m in self.pattern.finditer(text)]


def _sequence_pattern(form: Form) -> str:
    """The pattern of one form: spaces as any white space, quotes as either quote, case as the rules say."""
    pieces = []
    for char in form.text.strip():
        if char.isspace():
            pieces.append(r"\s+")
        elif char in QUOTES:
            pieces.append("[" + re.escape(QUOTES[char]) + "]")
        else:
            pieces.append(re.escape(char))
    body = "".join(pieces)
    if not form.acronym:
        body = f"(?i:{body})"
    latin = re.compile(r"[A-Za-z0-9]")
    before = r"(?<![A-Za-z0-9])" if latin.match(form.text.strip()[:1]) else ""
    after = r"(?![A-Za-z0-9])" if latin.match(form.text.strip()[-1:]) else ""
    return before + body + after


def _longest(forms: list[Form], text: str, word: re.Match[str]) -> Match | None:
    """The longest of the forms that matches at a word (its leading punctuation included)."""
    best: Match | None = None
    for form in forms:
        end = form.end_at(text, word)
        if end is not None and (best is None or end > best.end):
            best = Match(word.start() - form.lead, end, form.entry_id)
    return best


def first_words(form: str) -> set[str]:
    """The lower-cased words a match of a form can start with (plurals and closed-up compounds too)."""
    parts = FORM_PARTS.split(form)
    words = parts[1::2]
    acronym = is_acronym(form)
    keys = {words[0].lower()}
    if len(words) == 1:
        keys |= {p.lower() for p in plurals(words[0], acronym)}
    hyphen_joined = all(sep in HYPHEN_SET for sep in parts[2:-1:2])
    if len(words) > 1 and hyphen_joined:  # 'multi-cloud' also matches 'multicloud'
        keys |= {p.lower() for p in plurals("".join(words), acronym)}
    return keys


def _fold(text: str) -> str:
    """A form as compared for clashes and forced-link names: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


# --- Linking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A run of text in a tree, in document order: an element's text or its tail, and whether it is linked."""

    element: Element
    tail: bool
    skipped: bool


@dataclass
class Linker:
    """The state of linking one sequence of trees: which terms are linked so far, and what was found."""

    terms: TermIndex
    path: Path
    problems: list[Problem]
    chapter_id: str = ""
    mode: str = "first-per-chapter"
    uses: dict[str, list[TermUse]] = field(default_factory=dict)
    self_id: str = ""  # in a definition: the entry defined, never linked to itself
    linked: set[str] = field(default_factory=set)
    counter: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    line: int = 0  # where problems are reported when the marks carry no useful line

    def link(self, fragment: Fragment, strip_only: bool = False) -> Fragment:
        """Link the terms in a fragment's text; with strip_only, only resolve and remove term marks."""
        if not fragment:
            return fragment
        root = fragment.copy()
        unwrapped: list[Element] = []
        for slot in self._slots(root, strip_only, unwrapped):
            if not slot.skipped:
                self._link_slot(slot)
        for mark in unwrapped:
            unwrap(mark)
        return Fragment(root)

    def _slots(self, root: Element, strip_only: bool, unwrapped: list[Element]) -> list[Slot]:
        """Every text run of the tree in document order, term marks turned into links (or noted for unwrapping)."""
        slots: list[Slot] = []
        skipping: list[bool] = [strip_only]
        for event, element in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                skipped = skipping[-1] or _skips_text(element)
                if element.tag == "span" and element.get("class") == "term-mark":
                    skipped = True
                    self._mark(element, skipping[-1], unwrapped)
                skipping.append(skipped)
                slots.append(Slot(element, False, skipped))
            else:
                skipping.pop()
                if element is not root:
                    slots.append(Slot(element, True, skipping[-1]))
        return slots

    def _mark(self, mark: Element, skipping: bool, unwrapped: list[Element]) -> None:
        """A `[text](term:NAME)` mark: a forced link (checked), or plain text for `term:-`."""
        name = mark.get("data-term", "")
        if name == NO_TERM:
            unwrapped.append(mark)
            return
        entry_id = self.terms.resolve(name)
        if entry_id is None:
            line, column = position(mark) if not self.line else (self.line, 1)
            message = f"the glossary link 'term:{name}' names no term or alias of {GLOSSARY_FILE}{self._suggestion(name)}"
            self.problems.append(Problem(self.path, line or 1, column or 1, message))
        if entry_id is None or skipping or entry_id == self.self_id:
            unwrapped.append(mark)
            return
        for attribute in list(mark.attrib):
            del mark.attrib[attribute]
        mark.tag = "a"
        self._set_link(mark, entry_id)

    def _suggestion(self, name: str) -> str:
        """'; did you mean …?' with the nearest term or alias (linkable by its slug), or ''."""
        near = self.terms.nearest(name)
        if near is None:
            return ""
        shown = f"'term:{slugify(near)}'" + (f" ({near})" if slugify(near) != near else "")
        return f"; did you mean {shown}?"

    def _link_slot(self, slot: Slot) -> None:
        """Replace the terms in one text run with links or anchors."""
        element = slot.element
        text = element.tail if slot.tail else element.text
        matches = [m for m in self.terms.find(text) if m.entry_id != self.self_id] if text else []
        if not matches:
            return
        made: list[Element] = []
        position_ = matches[0].start
        before = text[:position_]
        for index, match in enumerate(matches):
            use = self._use(match.entry_id, text[match.start : match.end])
            end = matches[index + 1].start if index + 1 < len(matches) else len(text)
            after = text[match.end : end]
            if use is None:  # kept as plain text
                if made:
                    made[-1].tail = (made[-1].tail or "") + text[match.start : match.end] + after
                else:
                    before += text[match.start : match.end] + after
                continue
            use.tail = after
            made.append(use)
        if slot.tail:
            element.tail = before
            parent = element.getparent()
            at = parent.index(element) + 1
            for offset, use in enumerate(made):
                parent.insert(at + offset, use)
        else:
            element.text = before
            for offset, use in enumerate(made):
                element.insert(offset, use)

    def _use(self, entry_id: str, text: str) -> Element | None:
        """The element around one automatically found use of a term (None: plain text)."""
        wanted = self.mode == "every" or (self.mode == "first-per-chapter" and entry_id not in self.linked)
        if wanted:
            link = etree.Element("a")
            self._set_link(link, entry_id)
            link.text = text
            return link
        if not self.chapter_id:  # a definition: plain text after the first cross-reference
            return None
        span = etree.Element("span", {"class": "term-use", "id": self._record(entry_id, linked=False)})
        span.text = text
        return span

    def _set_link(self, link: Element, entry_id: str) -> None:
        """Make an element a glossary link, recording the use when it is in a chapter."""
        self.linked.add(entry_id)
        link.set("class", "glossref")
        link.set("role", "doc-glossref")
        if self.chapter_id:
            link.set("id", self._record(entry_id, linked=True))
        link.set("href", f"#{entry_id}")

    def _record(self, entry_id: str, linked: bool) -> str:
        """Record a use in a chapter and return its anchor, unique in the document.

        Heading ids never read like a use anchor (see markdown.heading_slug) and authors' ids
        never start with a chapter id, so the anchor needs no check against other ids.
        """
        self.counter[entry_id] += 1
        anchor = f"{self.chapter_id}-{entry_id}-{self.counter[entry_id]}"
        self.uses.setdefault(entry_id, []).append(TermUse(chapter_id=self.chapter_id, anchor=anchor, linked=linked))
        return anchor


def _skips_text(element: Element) -> bool:
    """Whether an element's text is never linked (headings, links, code, repeated callouts)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.lower() in SKIPPED_ELEMENTS or element.get("class", "") in SKIPPED_CLASSES


def _link_chapter(chapter: Chapter, terms: TermIndex, mode: str, uses: dict[str, list[TermUse]], problems: list[Problem]) -> Chapter:
    """Link a chapter's body then its footnotes (document order); strip marks from its title."""
    linker = Linker(terms, chapter.path, problems, chapter_id=chapter.id, mode=mode, uses=uses)
    return replace(
        chapter,
        title_markup=linker.link(chapter.title_markup, strip_only=True),
        body=linker.link(chapter.body),
        footnotes=tuple(replace(note, body=linker.link(note.body)) for note in chapter.footnotes),
    )


def _cross_reference(entry: GlossaryEntry, terms: TermIndex, path: Path, problems: list[Problem]) -> GlossaryEntry:
    """Link the other terms a definition mentions to their own entries (the first mention of each)."""
    linker = Linker(terms, path, problems, self_id=entry.id, line=entry.line)
    return replace(entry, definition=linker.link(entry.definition))


def _strip_marks(point: Fragment, line: int, terms: TermIndex, path: Path, problems: list[Problem]) -> Fragment:
    """Remove term marks where links never go (the key points on the title page), checking their names."""
    return Linker(terms, path, problems, line=line).link(point, strip_only=True)
