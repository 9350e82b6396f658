"""BibTeX and BibLaTeX entries read into CSL-JSON items, the form citeproc-py renders best.

citeproc-py's own BibTeX reader drops ``url``, ``institution`` and ``note``, reads ``@misc`` as
an article ("Preprint") and knows no legal types, so the build reads the file itself: the
grammar (``@string`` macros, ``#`` concatenation, quoted and braced values) is citeproc-py's
BibTeX parser's, the meaning is ours and follows Pandoc's BibLaTeX reader:

============================================  =========================================
BibTeX / BibLaTeX entry type                  CSL type
============================================  =========================================
article                                       article-journal
book, mvbook, proceedings, manual             book
inbook, incollection, bookinbook              chapter
inproceedings, conference                     paper-conference
report, techreport                            report
thesis, phdthesis, mastersthesis              thesis
online, electronic, www; misc with ``url``    webpage
misc without ``url``                          document
unpublished                                   manuscript
booklet                                       pamphlet
jurisdiction                                  legal_case
legislation                                   legislation
legal                                         treaty (BibLaTeX's "legal document such as a treaty")
patent                                        patent
anything else                                 document
============================================  =========================================

Fields: ``author``, ``editor``, ``translator`` become names (``{Federal Trade Commission}``,
braced whole, a literal name; given names kept in full); ``title`` (with ``subtitle``) is put
in sentence case, as CSL expects, unless the entry's ``langid`` is not English (braced words
keep their case); ``journal``/``journaltitle``/``booktitle`` → container-title; ``number`` →
issue of an article, number otherwise; ``publisher``, else ``institution``, ``school``,
``organization`` or ``howpublished`` → publisher; ``address``/``location`` → publisher-place;
``date`` (ISO 8601, or ``year`` and ``month``) → issued; ``urldate`` → accessed; ``url`` → URL;
``doi`` → DOI; ``note``, ``volume``, ``edition``, ``pages``, ``series`` (collection-title),
``type`` (genre), ``isbn``, ``issn``; other fields are left out. LaTeX accents, dashes and
quotes become Unicode.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "proceedings": "book", "manual": "book",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference",
    "report": "report", "techreport": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "online": "webpage", "electronic": "webpage", "www": "webpage",
    "unpublished": "manuscript", "booklet": "pamphlet", "jurisdiction": "legal_case",
    "legislation": "legislation", "legal": "treaty", "patent": "patent",
}
TEXT_FIELDS = {"doi": "DOI", "url": "URL", "note": "note", "volume": "volume", "edition": "edition",
               "series": "collection-title", "type": "genre", "isbn": "ISBN", "issn": "ISSN",
               "chapter": "chapter-number"}
CONTAINER_FIELDS = ("journaltitle", "journal", "booktitle")
PUBLISHER_FIELDS = ("publisher", "institution", "school", "organization", "howpublished")
PLACE_FIELDS = ("location", "address")
NAME_FIELDS = ("author", "editor", "translator")
ENGLISH = frozenset({"", "english", "american", "british", "canadian", "australian", "newzealand",
                     "en", "en-us", "en-gb", "usenglish", "ukenglish"})
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
           ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
           "r": "\u030a", "d": "\u0323", "b": "\u0331"}
LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ",
           "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "S": "§", "P": "¶", "dag": "†",
           "textendash": "–", "textemdash": "—", "textsection": "§", "ldots": "…", "dots": "…"}
ACCENT = re.compile(r"\\([`'^\"~=.])\s*(\{\\?\w\}|\\?\w)|\\([uvHckrdb])(?:\s+|(?=\{))(\{\\?\w\}|\w)")
COMMAND = re.compile(r"\\([A-Za-z]+)\s*")
ESCAPED = re.compile(r"\\([&%$#_{}])")


def read_bibtex(path: Path) -> list[dict[str, Any]]:
    """Every entry of a (checked) BibTeX file as a CSL-JSON item, in the file's order."""
    from citeproc.source.bibtex.bibparse import BibTeXParser  # the grammar only
    database = BibTeXParser(str(path), "utf-8")
    return [csl_item(key, entry.document_type, dict(entry)) for key, entry in database.items()]


def csl_item(key: str, kind: str, fields: dict[str, str]) -> dict[str, Any]:
    """One entry as a CSL-JSON item (see the module's table)."""
    fields = {name.lower(): str(value).strip() for name, value in fields.items()}
    item: dict[str, Any] = {"id": key, "type": csl_type(kind.lower(), fields)}
    for field in NAME_FIELDS:
        if fields.get(field):
            item[field] = [person(name) for name in split_names(fields[field])]
    if fields.get("title"):
        item["title"] = title(fields, english=fields.get("langid", fields.get("language", "")).lower() in ENGLISH)
    item.update({csl: latex_text(fields[bib]) for bib, csl in TEXT_FIELDS.items() if fields.get(bib)})
    _first(item, "container-title", fields, CONTAINER_FIELDS)
    _first(item, "publisher", fields, PUBLISHER_FIELDS)
    _first(item, "publisher-place", fields, PLACE_FIELDS)
    if fields.get("pages"):
        item["page"] = latex_text(re.sub(r"\s*-+\s*", "-", fields["pages"]))
    if fields.get("number"):
        item["issue" if item["type"] == "article-journal" else "number"] = latex_text(fields["number"])
    if (issued := date(fields.get("date", ""), fields.get("year", ""), fields.get("month", ""))):
        item["issued"] = issued
    if (accessed := date(fields.get("urldate", ""), "", "")):
        item["accessed"] = accessed
    return item


def csl_type(kind: str, fields: dict[str, str]) -> str:
    """The CSL type of a BibTeX entry type: ``@misc`` is a web page when it has an address."""
    if kind == "misc":
        return "webpage" if fields.get("url") else "document"
    return TYPES.get(kind, "document")


def _first(item: dict[str, Any], csl: str, fields: dict[str, str], names: tuple[str, ...]) -> None:
    """Set a CSL variable from the first of several BibTeX fields that is given."""
    value = next((fields[name] for name in names if fields.get(name)), "")
    if value:
        item[csl] = latex_text(value)


def title(fields: dict[str, str], english: bool) -> str:
    """The title (and subtitle), in sentence case when the entry is English, as Pandoc reads it."""
    text = fields["title"] + (f": {fields['subtitle']}" if fields.get("subtitle") else "")
    return latex_text(sentence_case(text) if english else text)


def sentence_case(text: str) -> str:
    """Lower-case each capitalised word outside braces except the first of the title and of a
    subtitle; words with other capitals (AI, iPhone) and braced words keep their case."""
    out, depth, start_of_sentence = [], 0, True
    for token in re.split(r"([{}]|\s+)", text):
        if token == "{" or token == "}":
            depth += 1 if token == "{" else -1
            out.append(token)
            continue
        if not token or token.isspace():
            out.append(token)
            continue
        capitalised = re.fullmatch(r"[A-Z][a-z'’-]*[:.?!,;)]*", token) is not None
        out.append(token.lower() if depth == 0 and capitalised and not start_of_sentence else token)
        start_of_sentence = token.endswith((":", "?", "!", "."))
    return "".join(out)


def split_names(value: str) -> list[str]:
    """The names of a name list, split at `` and `` outside braces."""
    names, depth, start = [], 0, 0
    for index, char in enumerate(value):
        depth += {"{": 1, "}": -1}.get(char, 0)
        match = re.match(r"\s+and\s+", value[index:]) if depth == 0 and index >= start else None
        if match:
            names.append(value[start:index])
            start = index + match.end()
    names.append(value[start:])
    return [name.strip() for name in names if name.strip()]


def person(name: str) -> dict[str, str]:
    """A BibTeX name as a CSL name: ``Last, First``, ``Last, Jr, First``, ``First von Last``,
    or a literal when braced whole (an institution)."""
    if name.startswith("{") and name.endswith("}") and _closes_at_end(name):
        return {"literal": latex_text(name[1:-1])}
    parts = [p.strip() for p in _top_level(name, ",")]
    if len(parts) == 1:
        words = _top_level(parts[0], " ")
        lower = next((i for i, w in enumerate(words[:-1]) if w[:1].islower()), len(words) - 1)
        given, von_last, suffix = words[:lower], words[lower:], ""
    else:
        von_last = _top_level(parts[0], " ")
        given = parts[-1].split()
        suffix = parts[1] if len(parts) == 3 else ""
    particle = [w for w in von_last[:-1] if w[:1].islower()]
    family = von_last[len(particle):]
    result = {"family": " ".join(family), "given": " ".join(given), "non-dropping-particle": " ".join(particle),
              "suffix": suffix}
    return {key: latex_text(value) for key, value in result.items() if value}


def _closes_at_end(text: str) -> bool:
    """Whether the brace opening ``text`` is the one closing it."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return index == len(text) - 1
    return False


def _top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside braces (runs of spaces count as one)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and (char == separator or (separator == " " and char.isspace())):
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def date(iso: str, year: str, month: str) -> dict[str, Any] | None:
    """A CSL date from BibLaTeX's ``date`` (``2024``, ``2024-03``, ``2024-03-05``, a range with
    ``/``), else from ``year`` and ``month``; a year that is no number is a literal."""
    if iso:
        ends = [[int(part) for part in end.split("-") if part.isdigit()] for end in iso.split("/")]
        return {"date-parts": [end for end in ends if end]} if all(ends) else {"literal": latex_text(iso)}
    if not year:
        return None
    if not year.strip().isdigit():
        return {"literal": latex_text(year)}
    parts = [int(year)]
    number = month.strip().lower()[:3]
    if number in MONTHS or number.isdigit():
        parts.append(MONTHS.index(number) + 1 if number in MONTHS else int(number))
    return {"date-parts": [parts]}


def latex_text(value: str) -> str:
    """BibTeX's LaTeX as plain Unicode text: accents, special letters, dashes, quotes, no braces."""
    text = ACCENT.sub(_accented, value)
    text = COMMAND.sub(lambda m: LETTERS.get(m[1], ""), text)  # \emph{x} → x; \ss → ß
    text = ESCAPED.sub(lambda m: "\x00" + m[1], text)  # escaped braces survive the brace removal
    text = text.replace("{", "").replace("}", "")
    text = text.replace("---", "—").replace("--", "–").replace("``", "“").replace("''", "”").replace("~", "\u00a0")
    return unicodedata.normalize("NFC", re.sub(r"[ \t\r\n]+", " ", text.replace("\x00", "")).strip(" "))


def _accented(match: re.Match[str]) -> str:
    """One LaTeX accent command as its letter with the combining mark."""
    accent, letter = (match[1], match[2]) if match[1] else (match[3], match[4])
    letter = letter.strip("{}").lstrip("\\")
    letter = {"i": "i", "j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", letter + ACCENTS[accent])
