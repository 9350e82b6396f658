"""The words the tool adds to every output, in the document's language, and its dates and numbers.

Each language has one message catalogue, ``generator/catalogues/<language>.yaml``, shipped
with the package. English (``en.yaml``) is the reference: it names every label, and its
placeholders (``{n}``, ``{chapter}``...) are the ones a translation or an override may use.
A document's ``language: fr-CA`` picks ``fr-CA.yaml`` when there is one, else ``fr.yaml``;
a language without a catalogue builds in English (the loader warns once). A document may
replace any label under ``labels:`` in document.yaml; source.py checks each with
:func:`unknown_label_message`, :func:`text_problem` and :func:`form_problem`.

Dates and numbers come from CLDR through Babel (generator/cldr.py, which keeps what a
document needs in the start-up cache), in the locale of the document's language tag
(``fr-CA`` formats as Canadian French); a bare tag such as ``en`` uses the catalogue's
``locale`` (``en_GB`` for English: "20 November 2026").

A label given as forms (``one``, ``few``, ``other``...) is chosen by CLDR's plural rules
for its ``{count}``; the ``ordinal`` label's forms by CLDR's ordinal rules for its ``{n}``.
A stylesheet cannot call Python, so :meth:`Labels.css_counters` turns a label into a CSS
``content`` value in which every placeholder is the CSS counter of the same name:
"Page {page} of {pages}" becomes ``"Page " counter(page) " of " counter(pages)``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markupsafe import Markup

from generator.cldr import Cldr, facts, likely_script

if TYPE_CHECKING:
    from generator.model import Document

CATALOGUES = Path(__file__).resolve().parent / "catalogues"
REFERENCE = "en"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ORDINAL = "ordinal"  # the one label whose forms follow CLDR's ordinal rules, by its {n}
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
Text = str | Mapping[str, str]  # one text, or plural forms by CLDR category
Override = str | tuple[tuple[str, str], ...]  # as document.yaml gives it (hashable)


@dataclass(frozen=True)
class Catalogue:
    """One language's file: its labels, the CLDR locale for a bare tag, days written as ordinals."""

    language: str
    locale: str
    labels: Mapping[str, Text]
    ordinal_days: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Labels:
    """The labels of one document (catalogue plus overrides) and the locale of its dates and numbers.

    Templates read a label as ``labels.contents`` and fill one in with
    ``labels.format("chapter_number", chapter=2)``.
    """

    language: str  # the catalogue's language, e.g. "fr"
    cldr: Cldr  # the locale's dates and numbers, e.g. fr_CA's
    texts: Mapping[str, Text]
    ordinal_days: frozenset[int] = frozenset()

    @property
    def locale(self) -> str:
        """The CLDR locale of dates and numbers, e.g. "fr_CA"."""
        return self.cldr.locale

    def __getitem__(self, key: str) -> str:
        """A label without placeholders (a plural label's ``other`` form)."""
        text = self.texts[key]
        return text if isinstance(text, str) else text["other"]

    def format(self, key: str, **values: Any) -> str:
        """A label with its placeholders filled in; whole numbers are written for the locale."""
        text = self.texts[key]
        if not isinstance(text, str):
            text = text.get(self._category(key, values), text["other"])
        return text.format(**{name: self.number(v) if isinstance(v, int) else v for name, v in values.items()})

    def number(self, value: int) -> str:
        """A whole number written for the locale (its grouping; the digits 0-9, as in Babel's dates)."""
        return self.cldr.number(value)

    def format_date(self, day: dt.date) -> str:
        """A date in the locale's long form: "20 November 2026", "1er novembre 2026", "2026年11月1日"."""
        ordinal = self.format(ORDINAL, n=day.day) if day.day in self.ordinal_days else ""
        return self.cldr.date(day, ordinal)

    def css_string(self, key: str, ascii_only: bool = False) -> Markup:
        """A label as a quoted CSS string, e.g. ``"“"``, or ``"\\201C"`` with ascii_only."""
        return Markup(css_string(self[key], ascii_only))

    def css_counters(self, key: str) -> Markup:
        """A label as a CSS ``content`` value, each ``{placeholder}`` the CSS counter of that name."""
        parts: list[str] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(self[key]):
            if literal:
                parts.append(css_string(literal))
            if name:
                parts.append(f"counter({name})")
        return Markup(" ".join(parts) or '""')

    def _category(self, key: str, values: Mapping[str, Any]) -> str:
        """The CLDR plural category of the number a plural label is chosen by."""
        return self.cldr.category(values["n"], ordinal=True) if key == ORDINAL else self.cldr.category(values["count"])


def css_string(text: str, ascii_only: bool = False) -> str:
    """Text as a quoted CSS string: quotes, backslashes, line breaks and ``<`` escaped (it may sit in a <style>)."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in '"\\<\n\r\f' or (ascii_only and ord(char) > 0x7E) or ord(char) < 0x20:
            out.append(f"\\{ord(char):X}")
            following = text[index + 1 : index + 2]
            if following and (following in string.hexdigits or following == " "):
                out.append(" ")  # ends the escape
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


# Catalogues


def catalogue_names() -> list[str]:
    """The languages that have a catalogue, e.g. ``["ar", "da", "de", "en", ...]``."""
    return sorted(p.stem for p in CATALOGUES.glob("*.yaml"))


@lru_cache(maxsize=None)
def load_catalogue(name: str) -> Catalogue:
    """Read one catalogue file (shipped with the package, so trusted and valid: tests check each)."""
    data = yaml.load((CATALOGUES / f"{name}.yaml").read_text(encoding="utf-8"), Loader=YAML_LOADER)
    return Catalogue(language=name, locale=data["locale"], labels=data["labels"],
                     ordinal_days=frozenset(data.get("ordinal_days", ())))


def reference() -> Catalogue:
    """The English catalogue: the list of labels and the placeholders each may use."""
    return load_catalogue(REFERENCE)


def catalogue_for(language: str) -> Catalogue | None:
    """The catalogue of a language tag, the most specific first: ``zh-TW`` tries zh-TW, zh-Hant, zh."""
    known = {name.lower(): name for name in catalogue_names()}
    for tag in candidate_tags(language):
        if tag.lower() in known:
            return load_catalogue(known[tag.lower()])
    return None


def candidate_tags(language: str) -> list[str]:
    """The tag and its shorter forms; for a language with a catalogue per script (zh, zh-Hant), the script
    CLDR gives the tag (zh-TW is written in Hant) comes before the bare language."""
    subtags = language.split("-")
    tags = ["-".join(subtags[:length]) for length in range(len(subtags), 0, -1)]
    scripts = len(subtags) > 1 and any(n.lower().startswith(subtags[0].lower() + "-") for n in catalogue_names())
    script = likely_script(language) if scripts else ""
    return list(dict.fromkeys([*tags[:-1], *([f"{subtags[0]}-{script}"] if script else []), tags[-1]]))


def catalogue_warning(language: str) -> str:
    """The warning for a language without a catalogue ('' when it has one)."""
    if catalogue_for(language):
        return ""
    return f"no labels for language '{language}'; the labels are in English (languages: {', '.join(catalogue_names())})"


@lru_cache(maxsize=64)
def labels_for(language: str, overrides: tuple[tuple[str, Override], ...] = ()) -> Labels:
    """The labels of a document written in ``language`` with its ``labels:`` overrides applied.

    A language without a catalogue gets English throughout: labels, dates and numbers.
    """
    found = catalogue_for(language)
    catalogue = found or reference()
    cldr = facts(language, catalogue.locale) if found else facts(REFERENCE, catalogue.locale)
    texts: dict[str, Text] = dict(catalogue.labels)
    for key, value in overrides:
        texts[key] = value if isinstance(value, str) else dict(value)
    return Labels(catalogue.language, cldr, texts, catalogue.ordinal_days)


def document_labels(document: Document) -> Labels:
    """The labels of a document, in its language with its overrides."""
    return labels_for(document.meta.language, document.meta.labels)


def english() -> Labels:
    """The English labels, for templates rendered outside a document."""
    return labels_for(REFERENCE)


# Checking labels (catalogues in the tests, overrides in document.yaml)


def placeholders(text: str) -> set[str]:
    """The placeholder names of a label; ValueError when its braces do not pair."""
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def unknown_label_message(key: str) -> str:
    """'unknown label' with the nearest label suggested, or every label listed."""
    keys = list(reference().labels)
    close = difflib.get_close_matches(key, keys, n=1)
    if close:
        return f"unknown label '{key}'; did you mean '{close[0]}'?"
    return f"unknown label '{key}'; valid labels are: {', '.join(keys)}"


def is_plural(key: str) -> bool:
    """Whether a label has plural forms (its English text is a mapping of forms)."""
    return not isinstance(reference().labels[key], str)


def text_problem(key: str, text: str) -> str:
    """Why a text cannot stand for a label (an unknown placeholder, unpaired braces), or ''."""
    allowed = sorted(placeholders(_reference_text(key)))
    try:
        used = placeholders(text)
    except ValueError:
        return f"label '{key}' has an unpaired '{{' or '}}'; write '{{{{' or '}}}}' for a brace"
    unknown = sorted(used - set(allowed))
    if any(spec or conversion for _literal, name, spec, conversion in string.Formatter().parse(text) if name is not None):
        return f"label '{key}' formats a placeholder; write it plain, as {{{(sorted(used) or allowed)[0]}}}"
    if unknown:
        may = f"it may use {', '.join('{' + a + '}' for a in allowed)}" if allowed else "it takes no placeholders"
        return f"label '{key}' has an unknown placeholder {{{unknown[0]}}}; {may}"
    return ""


def form_problem(key: str, form: str) -> str:
    """Why a form name is wrong for a plural label, or ''."""
    if form in PLURAL_FORMS:
        return ""
    return f"label '{key}' has no form '{form}'; its forms are {', '.join(PLURAL_FORMS)}"


def _reference_text(key: str) -> str:
    """The English text of a label (a plural label's ``other`` form)."""
    text = reference().labels[key]
    return text if isinstance(text, str) else text["other"]
