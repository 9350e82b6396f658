"""What the labels need from CLDR for one language, read through Babel once and kept in the start-up cache.

Babel loads a locale's whole CLDR data on first use: 0.05 s for English (a 220 kB pickle and
three more it inherits from), a quarter of a small EPUB build. A document needs little of
it: the locale's long date pattern and month names, and the plural categories of small
numbers. Those facts are read from Babel once per language tag and Babel release and kept
as a marshal file (plain strings, so loading it runs no code) under the cache folder of
generator/cache.py; a build that finds them there imports no Babel at all. Dates whose
pattern has a field beyond day, month and year, and numbers from 1,000 on, go to Babel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import marshal
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SMALL = 1000  # below this no locale groups digits, and the plural categories are kept
DATE_FIELDS = frozenset({"d", "dd", "M", "MM", "MMMM", "L", "LL", "LLLL", "y", "yyyy"})  # what date() writes itself


@dataclass(frozen=True)
class Cldr:
    """One locale's facts: its name, long date pattern, month names, plural categories of 0-999."""

    locale: str  # Babel's name for it, e.g. "fr_CA"
    date_parts: tuple[tuple[str, str], ...]  # ("chars", text) and ("field", "MMMM"); () when Babel must write dates
    months: tuple[str, ...]  # January first, as in a date ("novembre", "listopada")
    standalone_months: tuple[str, ...]  # as a month alone ("listopad")
    plural: tuple[str, ...]  # the cardinal category of each number below SMALL
    ordinal: tuple[str, ...]  # the ordinal category of each number below SMALL

    def number(self, value: int) -> str:
        """A whole number in the locale's digits (always 0-9) and grouping."""
        if 0 <= value < SMALL:
            return str(value)
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale)

    def category(self, value: int, ordinal: bool = False) -> str:
        """The CLDR plural category of a whole number: cardinal ("3 uses") or ordinal ("3rd")."""
        if 0 <= value < SMALL:
            return (self.ordinal if ordinal else self.plural)[value]
        from babel import Locale

        locale = Locale.parse(self.locale)
        return (locale.ordinal_form if ordinal else locale.plural_form)(value)

    def date(self, day: dt.date, day_text: str = "") -> str:
        """The date in the locale's long form; ``day_text`` (such as "1er") stands in for the day's number."""
        if not self.date_parts:
            return _babel_date(self.locale, day, day_text)
        return "".join(self._part(kind, text, day, day_text) for kind, text in self.date_parts)

    def _part(self, kind: str, text: str, day: dt.date, day_text: str) -> str:
        """One part of the date pattern written out, as Babel writes it."""
        if kind == "chars":
            return text
        letter, width = text[0], len(text)
        if letter == "d":
            return day_text or str(day.day).zfill(width)
        if letter == "y":
            return str(day.year).zfill(width)
        if width == 4:
            return (self.months if letter == "M" else self.standalone_months)[day.month - 1]
        return str(day.month).zfill(width)


@lru_cache(maxsize=64)
def facts(language: str, default: str) -> Cldr:
    """The facts for a BCP 47 tag (``default`` is the locale of a bare tag or one Babel does not know)."""
    from generator.cache import cache_folder

    folder = cache_folder("cldr")
    entry = folder / f"{_key(language, default)}.marshal" if folder else None
    found = _read(entry) if entry else None
    if found is None:
        found = _from_babel(language, default)
        if entry:
            _write(entry, found)
    return found


def locale_name(language: str, default: str) -> str:
    """Babel's locale for a tag: the tag itself when it names a region or script Babel knows, else ``default``."""
    from babel import Locale, UnknownLocaleError

    if "-" not in language:
        return default
    try:
        return str(Locale.parse(language, sep="-"))
    except (UnknownLocaleError, ValueError):
        return default


def likely_script(language: str) -> str:
    """The script CLDR gives a tag ("Hant" for zh-TW), or ''."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language, sep="-").script or ""
    except (UnknownLocaleError, ValueError):
        return ""


def _from_babel(language: str, default: str) -> Cldr:
    """Read the facts from Babel's CLDR data."""
    from babel import Locale
    from babel.dates import get_date_format, tokenize_pattern

    name = locale_name(language, default)
    locale = Locale.parse(name)
    parts: list[tuple[str, str]] = []
    for kind, value in tokenize_pattern(get_date_format("long", locale=locale).pattern):
        field = value[0] * value[1] if kind == "field" else ""
        if kind == "field" and field not in DATE_FIELDS:
            parts = []  # a field date() does not write: Babel writes these dates
            break
        parts.append(("field", field) if kind == "field" else ("chars", str(value)))
    return Cldr(
        locale=name,
        date_parts=tuple(parts),
        months=tuple(locale.months["format"]["wide"][m] for m in range(1, 13)),
        standalone_months=tuple(locale.months["stand-alone"]["wide"][m] for m in range(1, 13)),
        plural=tuple(locale.plural_form(n) for n in range(SMALL)),
        ordinal=tuple(locale.ordinal_form(n) for n in range(SMALL)),
    )


def _babel_date(locale: str, day: dt.date, day_text: str) -> str:
    """A long date written by Babel, with ``day_text`` quoted in for the day field."""
    from babel.dates import format_date, get_date_format, tokenize_pattern, untokenize_pattern

    pattern = get_date_format("long", locale=locale).pattern
    if day_text:
        pattern = untokenize_pattern([("chars", day_text) if kind == "field" and value[0] == "d" else (kind, value)
                                      for kind, value in tokenize_pattern(pattern)])
    return format_date(day, format=pattern, locale=locale)


def _key(language: str, default: str) -> str:
    """What a cache entry depends on, hashed: the tag, its default, the Babel installed, Python's version."""
    spec = importlib.util.find_spec("babel")
    package = Path(spec.origin).parent if spec and spec.origin else Path()
    stamps = [f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in (package / "__init__.py", package / "global.dat") if p.exists()]
    facts_text = f"{language}|{default}|{'|'.join(stamps)}|{sys.version_info[:2]}"
    return hashlib.sha256(facts_text.encode()).hexdigest()[:20]


def _read(entry: Path) -> Cldr | None:
    """The cached facts, or None when there are none or they are damaged."""
    try:
        data: Any = marshal.loads(entry.read_bytes())
        cldr = Cldr(data["locale"], tuple(tuple(p) for p in data["date_parts"]), tuple(data["months"]),
                    tuple(data["standalone_months"]), tuple(data["plural"]), tuple(data["ordinal"]))
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    plain = all(isinstance(s, str) for s in (cldr.locale, *cldr.months, *cldr.standalone_months, *cldr.plural, *cldr.ordinal))
    sized = len(cldr.months) == len(cldr.standalone_months) == 12 and len(cldr.plural) == len(cldr.ordinal) == SMALL
    parts = all(len(p) == 2 and p[0] in {"chars", "field"} and isinstance(p[1], str) for p in cldr.date_parts)
    return cldr if plain and sized and parts else None


def _write(entry: Path, cldr: Cldr) -> None:
    """Write a cache entry atomically, or not at all."""
    from generator.writers import write_atomically

    data = {"locale": cldr.locale, "date_parts": cldr.date_parts, "months": cldr.months,
            "standalone_months": cldr.standalone_months, "plural": cldr.plural, "ordinal": cldr.ordinal}
    try:
        write_atomically(entry, marshal.dumps(data))
    except OSError:
        pass
