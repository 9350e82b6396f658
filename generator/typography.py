"""The typography pass: a document in, the same document out with its punctuation set for its language.

Only punctuation and spaces change, never a word: straight quotes become the language's
quotation marks, apostrophes become ’, `--` and `---` become en and em dashes, French gets
its no-break spaces before `; : ! ?` and inside « », and a number keeps its unit on its
line. The pass rewrites the text nodes of the chapters' trees (never inside code, kbd,
samp, pre, script or style, never an attribute). The rules are described in README.md,
"Typography".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lxml import etree

from generator.errors import Problem
from generator.model import Document
from generator.tree import Element, Fragment

NBSP, NNBSP = "\u00a0", "\u202f"
UNTOUCHED = frozenset({"code", "kbd", "samp", "pre", "script", "style", "math"})
# Elements that start a new run of text: no quote stays open across them.
BLOCKS = frozenset({"p", "li", "td", "th", "dt", "dd", "div", "blockquote", "figcaption", "section", "aside",
                    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "tr", "figure"})


@dataclass(frozen=True)
class Marks:
    """A language's quotation marks: outer (double) and inner (single), opening and closing."""

    open: str
    close: str
    inner_open: str
    inner_close: str


# By BCP 47 tag, then by primary subtag. A language not listed keeps its straight quotes
# (its apostrophes still curl): a wrong mark is worse than a straight one.
MARKS = {
    "en": Marks("“", "”", "‘", "’"),
    "de": Marks("„", "“", "‚", "‘"),
    "fr": Marks("«" + NNBSP, NNBSP + "»", "“", "”"),
    "es": Marks("«", "»", "“", "”"),
    "it": Marks("«", "»", "“", "”"),
    "pt": Marks("“", "”", "‘", "’"),
    "nl": Marks("“", "”", "‘", "’"),
    "pl": Marks("„", "”", "«", "»"),
    "sv": Marks("”", "”", "’", "’"),
    "da": Marks("»", "«", "›", "‹"),
    "ru": Marks("«", "»", "„", "“"),
    "ja": Marks("「", "」", "『", "』"),
    "zh": Marks("“", "”", "‘", "’"),
    "zh-hant": Marks("「", "」", "『", "』"),
    "ko": Marks("“", "”", "‘", "’"),
}
APOSTROPHE = "’"
UNSPACED = frozenset({"ja", "zh", "zh-hant"})
OPENS_AFTER = frozenset("([{<-/\u2013\u2014\u00a0\u202f") | frozenset("“‘„‚«‹「『")
# Units a number is kept with (a no-break space replaces the space between them).
UNITS = ("%", "‰", "°C", "°F", "°", "€", "£", "¥", "km²", "km", "m²", "m³", "cm", "mm", "m", "kg", "g", "t",
         "l", "L", "ml", "h", "min", "s", "ms", "kWh", "MWh", "GWh", "TWh", "W", "kW", "MW", "GW", "TW",
         "V", "kV", "A", "Hz", "MHz", "GHz", "B", "kB", "KB", "MB", "GB", "TB", "PB", "bit", "px", "pt")
NUMBER_UNIT = re.compile(r"(?<=\d) (?=(?:" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?![\w]))")
DASHES = ((re.compile(r"(?<!-)---(?!-)"), "\u2014"), (re.compile(r"(?<!-)--(?!-)"), "\u2013"))
FRENCH_BEFORE = re.compile(r"(?<=[\w»)\]”’.%\u2026])[ \u00a0\u202f]?([;!?])(?=\s|$|[»)\]”!?])")
FRENCH_COLON = re.compile(r"(?<=[\w»)\]”’%\u2026])[ \u00a0\u202f]?:(?=\s|$)")
FRENCH_GUILLEMETS = ((re.compile("«[ \u00a0\u202f]*"), "«" + NNBSP), (re.compile("[ \u00a0\u202f]*»"), NNBSP + "»"))


def language_key(language: str) -> str:
    """The key of MARKS for a BCP 47 tag: 'zh-hant' for 'zh-Hant-TW', 'fr' for 'fr-CA'."""
    tag = language.lower().replace("_", "-")
    return "zh-hant" if tag.startswith(("zh-hant", "zh-tw", "zh-hk")) else tag.split("-")[0]


@dataclass
class Typesetter:
    """The state of setting one run of text in order: the character before, and which quotes are open."""

    language: str
    before: str = ""  # the last character of the text so far ("" at the start of a block)
    open_double: int = 0
    open_single: int = 0

    def restart(self) -> None:
        """A new block: nothing before, no quote open."""
        self.before, self.open_double, self.open_single = "", 0, 0

    @property
    def marks(self) -> Marks | None:
        """The quotation marks of the language, or None to keep straight quotes."""
        return MARKS.get(language_key(self.language))

    def set(self, text: str) -> str:
        """One text node set: dashes, quotes and apostrophes, then the language's spaces."""
        for pattern, dash in DASHES:
            text = pattern.sub(dash, text)
        out: list[str] = []
        for index, char in enumerate(text):
            after = text[index + 1 : index + 2]
            before = out[-1][-1:] if out else self.before
            out.append(self._quote(char, before, after) if char in "'\"" else char)
        text = "".join(out)
        text = NUMBER_UNIT.sub(NBSP, text)
        if language_key(self.language) == "fr":
            text = _french(text)
        if text:
            self.before = text[-1]
        return text

    def _quote(self, char: str, before: str, after: str) -> str:
        """The mark for one straight quote, from the characters around it and the quotes open."""
        opening = not before or before.isspace() or before in OPENS_AFTER
        marks = self.marks
        if language_key(self.language) in UNSPACED:  # no space to tell an opening quote: they alternate
            return self._alternate(char, before, after, marks)
        if char == "'":
            if before.isalnum() and not (self.open_single and not after.isalnum()):
                return APOSTROPHE  # l'eau, don't, the students'
            if marks is None:
                return char
            if opening and after and not after.isspace():
                self.open_single += 1
                return marks.inner_open
            if self.open_single:
                self.open_single -= 1
                return marks.inner_close
            return APOSTROPHE
        if marks is None:
            return char
        if opening and (not self.open_double or after.isalnum()):
            self.open_double += 1
            return marks.open
        self.open_double = max(0, self.open_double - 1)
        return marks.close

    def _alternate(self, char: str, before: str, after: str, marks: Marks | None) -> str:
        """Quotes in text without word spaces: each opens if none is open, else closes."""
        if char == "'" and before.isascii() and before.isalpha() and after.isascii() and after.isalpha():
            return APOSTROPHE  # a Latin word inside: don't
        if marks is None:
            return char
        if char == "'":
            self.open_single = 1 - self.open_single
            return marks.inner_open if self.open_single else marks.inner_close
        self.open_double = 1 - min(self.open_double, 1)
        return marks.open if self.open_double else marks.close


def _french(text: str) -> str:
    """French spaces: narrow no-break before ; ! ? and inside « », no-break before a colon."""
    for pattern, mark in FRENCH_GUILLEMETS:
        text = pattern.sub(mark, text)
    text = FRENCH_BEFORE.sub(NNBSP + r"\1", text)
    return FRENCH_COLON.sub(NBSP + ":", text)


def set_text(text: str, language: str) -> str:
    """A plain text (a title, a heading) set as the pass sets a block of running text."""
    return Typesetter(language).set(text)


def set_fragment(fragment: Fragment, language: str) -> Fragment:
    """A copy of a fragment with every text node outside code set; each block starts afresh."""
    if not fragment:
        return fragment
    root = fragment.copy()
    setter = Typesetter(language)
    untouched = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        name = etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""
        code = name in UNTOUCHED
        if event == "start":
            if name in BLOCKS:
                setter.restart()
            untouched += code
            _set_slot(element, "text", setter, untouched > 0 or not name)  # a comment's text is not text
        else:
            untouched -= code
            if name in BLOCKS:
                setter.restart()
            if element is not root:
                _set_slot(element, "tail", setter, untouched > 0)
    return Fragment(root)


def _set_slot(element: Element, slot: str, setter: Typesetter, untouched: bool) -> None:
    """Set an element's text or tail, or only note its last character when it is code."""
    text = getattr(element, slot)
    if not text:
        return
    if untouched:
        setter.before = text[-1]
    else:
        setattr(element, slot, setter.set(text))


def typography_pass(document: Document) -> tuple[Document, list[Problem]]:
    """Set the punctuation of every chapter, footnote, key point and definition for the document's language."""
    language = document.meta.language
    chapters = tuple(
        replace(
            chapter,
            title=set_text(chapter.title, language),
            title_markup=set_fragment(chapter.title_markup, language),
            body=set_fragment(chapter.body, language),
            headings=tuple(replace(h, text=set_text(h.text, language)) for h in chapter.headings),
            footnotes=tuple(replace(note, body=set_fragment(note.body, language)) for note in chapter.footnotes),
        )
        for chapter in document.chapters
    )
    glossary = tuple(replace(e, definition=set_fragment(e.definition, language)) for e in document.glossary)
    summary = tuple(set_fragment(point, language) for point in document.meta.summary)
    return replace(document, chapters=chapters, glossary=glossary, meta=replace(document.meta, summary=summary)), []
