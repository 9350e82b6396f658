"""Finding documents in ``source/`` and reading them into the model.

Reading collects every problem of every file (each with its file, line and column) and
still returns as much of the document as could be read, so that the passes after it
(glossary, links, pictures) can report their problems in the same run. YAML is read with the safe loader only, and anchors and
aliases are refused: a few lines of aliases can expand into gigabytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from generator import labels
from generator.errors import Problem, SourceError, UsageError, display_path
from generator.files import MAX_SOURCE_BYTES, Unreadable, check_regular, is_inside, read_limited, reason
from generator.markdown import AUTHOR_ID, plain_text, render_chapter, render_inline, reserved_id, slugify
from generator.licences import licence_problem
from generator.scripts import font_file
from generator.model import Chapter, Document, GlossaryEntry, Metadata, Theme

DOCUMENT_FILE = "document.yaml"
GLOSSARY_FILE = "glossary.yaml"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8}|-[0-9][A-Za-z0-9]{3})*$")
GLOSSARY_LINK_MODES = ("first-per-chapter", "every", "none")
PAGE_PLANS = ("briefing", "report")
# Characters XML 1.0 forbids: a chapter holding one could never become a valid EPUB.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What YAML refuses in a file, raw (C0 controls and U+FFFE are refused before YAML sees the text).
YAML_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
# What a YAML value may not hold, however it is written (a raw character or an escape such as
# "\e", "\0" or "\uFFFE"): the characters XML forbids, DEL and the C1 controls, lone surrogates.
NOT_IN_VALUES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping: its type, whether it is required, and what it means."""

    kind: str  # "str", "date", "language", "list[str]", "bool", "choice", "list[choice]", "url", "licence" or "labels"
    required: bool
    doc: str
    choices: tuple[str, ...] = ()


DOCUMENT_SCHEMA: dict[str, Field] = {
    "title": Field("str", True, "The document's title."),
    "subtitle": Field("str", False, "A subtitle, shown under the title and used as the PDF subject."),
    "kind": Field("str", False, "A label above the title, such as 'Briefing'."),
    "date": Field("date", True, "Publication date, YYYY-MM-DD; also the default build timestamp."),
    "language": Field("language", False, "BCP 47 language tag of the text (default 'en')."),
    "authors": Field("list[str]", False, "Author names, in order."),
    "publisher": Field("str", False, "The publishing organisation."),
    "summary": Field("list[str]", False, "Key points (inline Markdown), shown in a box on the first page."),
    "chapters": Field("list[str]", True, "Markdown files of the folder, in reading order."),
    "identifier": Field("str", False, "A unique identifier; derived from the slug when absent."),
    "keywords": Field("list[str]", False, "Keywords for the PDF and EPUB metadata."),
    "series": Field("str", False, "The series the document belongs to; the EPUB declares it as a collection."),
    "glossary_links": Field("choice", False, "Which uses of a term are linked.", GLOSSARY_LINK_MODES),
    "layout": Field("choice", False, "The PDF's page plan: 'briefing' (chapters run on) or 'report' (each chapter "
                    "on a new page); when absent, chosen by length (see README, 'Page plans').", PAGE_PLANS),
    "allow_html": Field("bool", False, "Let raw HTML in the chapters through, cleaned to a safe subset (default false)."),
    "url": Field("url", False, "Where the web edition will live (https://...); the PDF and booklet show it with a QR code."),
    "licence": Field("licence", False, "The licence, as an SPDX id such as 'CC-BY-4.0' (see README, 'Citations')."),
    "doi": Field("str", False, "The briefing's DOI (10.xxxx/...), for readers who cite it."),
    "citation_style": Field("str", False, "The CSL style of citations: a bundled name (default 'chicago-author-date', "
                            "e.g. 'apa') or a .csl file of the folder (see README, 'Citations')."),
    "nocite": Field("list[str]", False, "Works of the references file listed though the text does not cite them: their "
                    "keys, or '*' for all (Pandoc's nocite; see README, 'Citations')."),
    "lists": Field("list[choice]", False, "Lists after the contents in the PDF, the EPUB and the web page: 'figures', 'tables' "
                   "(see README, 'Figures, tables and cross-references').", ("figures", "tables")),
    "labels": Field("labels", False, "Words the tool adds, replaced: label key → text (see README, 'Languages and labels')."),
    "theme": Field("theme", False, "Colours and logo for every output: accent, tint, logo (see README, 'Themes')."),
}

THEME_SCHEMA: dict[str, Field] = {
    "accent": Field("colour", False, "The one accent colour (rules, numbers, labels), \"#rrggbb\"."),
    "tint": Field("colour", False, "The pale ground of the key points and notes, \"#rrggbb\"."),
    "logo": Field("str", False, "The publisher's logo, a picture in the document folder (images/logo.png)."),
    "serif": Field("font", False, "The text face instead of Source Serif Pro: an installed family's name."),
    "sans": Field("font", False, "The headings' and labels' face instead of Source Sans Pro: an installed family's name."),
}
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# A font family's name as fontconfig lists it; nothing a stylesheet would read as more than a name.
FONT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,62}")

CHAPTER_SCHEMA: dict[str, Field] = {
    "title": Field("str", False, "The chapter's title (inline Markdown), instead of its '# ' heading."),
    "id": Field("str", False, "An id for the chapter's start, for links from other chapters: [see](#costs)."),
}

GLOSSARY_SCHEMA: dict[str, Field] = {
    "term": Field("str", True, "The term as it is usually written."),
    "definition": Field("str", True, "The definition (inline Markdown)."),
    "aliases": Field("list[str]", False, "Other spellings that also match the term."),
}


def find_documents(source_dir: Path) -> list[str]:
    """Slugs of every document folder (a folder holding document.yaml), sorted; a folder that
    cannot be read is a usage error naming it, not a document silently left out."""
    try:
        if not source_dir.is_dir():
            return []
        folders = sorted(entry.name for entry in os.scandir(source_dir) if entry.is_dir())
    except OSError as exc:
        raise UsageError(f"cannot read the folder {display_path(source_dir)}: {reason(exc)}") from None
    return [name for name in folders if _holds_document(source_dir / name)]


def _holds_document(folder: Path) -> bool:
    """Whether a folder holds document.yaml; one that cannot be looked into is a usage error."""
    try:
        os.lstat(folder / DOCUMENT_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise UsageError(f"cannot read the folder {display_path(folder)}: {reason(exc)}") from None
    return True


def document_root(source_dir: Path, slug: str) -> Path:
    """The folder of one document, named by its slug even when it is a symlink (so that the outputs
    are ``<slug>.pdf``, not the target's name); an unknown slug is a usage error listing the known ones."""
    root = Path(os.path.normpath(source_dir.resolve() / slug))
    if root == source_dir.resolve() or not _holds_document(root):
        known = ", ".join(find_documents(source_dir)) or "none"
        raise UsageError(f"no document '{slug}' in {source_dir} (documents: {known})")
    return root


def load_document(root: Path) -> Document:
    """Read one document folder into the model; any problem raises a SourceError (no passes run)."""
    document, problems = read_document(root)
    if any(not p.warning for p in problems):
        raise SourceError(reading_order(problems))
    return document


def read_document(root: Path) -> tuple[Document, list[Problem]]:
    """Read, validate and render one document folder: as much of the model as can be read, and every problem."""
    problems: list[Problem] = []
    meta_path = root / DOCUMENT_FILE
    meta_node = _read_yaml(meta_path, problems, inside=root)
    values = _validate_mapping(meta_node, DOCUMENT_SCHEMA, meta_path, problems) if meta_node is not None else {}
    chapters_node = _value_node(meta_node, "chapters") if "chapters" in values else None
    note_label = labels.labels_for(values.get("language", "en"), values.get("labels", ()))["note"]
    chapters = _load_chapters(root, chapters_node, values.get("allow_html", False), note_label, meta_path, problems) if chapters_node else []
    glossary = _load_glossary(root / GLOSSARY_FILE, problems)
    _warn_language(meta_path, meta_node, values, problems)
    problems.extend(_cover_problems(root))
    summary_node = _value_node(meta_node, "summary") if "summary" in values else None
    document = Document(
        slug=root.name,
        root=root,
        meta=_metadata(values, root.name, summary_node),
        chapters=tuple(chapters),
        glossary=tuple(glossary),
        warnings=tuple(str(p) for p in problems if p.warning),
    )
    return document, problems  # the warnings too: they are printed with the errors when a build fails


def _warn_language(path: Path, meta_node: yaml.Node | None, values: dict[str, Any], problems: list[Problem]) -> None:
    """One warning, at the language, when the tool has no labels in that language (it uses English)."""
    warning = labels.catalogue_warning(values["language"]) if "language" in values else ""
    if warning and meta_node is not None and (node := _value_node(meta_node, "language")) is not None:
        problems.append(Problem(path, node.start_mark.line + 1, node.start_mark.column + 1, warning, warning=True))


def _cover_problems(root: Path) -> list[Problem]:
    """What is wrong with the document's own images/cover.png (Pillow is imported only when there is one)."""
    if not os.path.lexists(root / "images" / "cover.png"):
        return []
    from generator.cover import cover_problems

    return cover_problems(root)


def reading_order(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in the order the files were read), each file's by line and column."""
    file_order = {path: n for n, path in enumerate(dict.fromkeys(p.path for p in problems))}
    return sorted(problems, key=lambda p: (file_order[p.path], p.line, p.column))


def _metadata(values: dict[str, Any], slug: str, summary_node: yaml.Node | None) -> Metadata:
    """Build the Metadata record from validated values, filling defaults (and stand-ins for missing required keys)."""
    summary = tuple(values.get("summary", ()))
    lines = tuple(item.start_mark.line + 1 for item in summary_node.value) if summary_node is not None else ()
    return Metadata(
        title=values.get("title", slug),
        date=values.get("date", dt.date(1970, 1, 1)),
        chapters=tuple(values.get("chapters", ())),
        subtitle=values.get("subtitle", ""),
        kind=values.get("kind", ""),
        language=values.get("language", "en"),
        authors=tuple(values.get("authors", ())),
        publisher=values.get("publisher", ""),
        summary=tuple(render_inline(s) for s in summary),
        summary_line=lines if len(lines) == len(summary) else tuple(1 for _ in summary),
        summary_text=tuple(plain_text(s) for s in summary),
        identifier=values.get("identifier") or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'briefing:' + slug)}",
        glossary_links=values.get("glossary_links", "first-per-chapter"),
        layout=values.get("layout", ""),
        keywords=tuple(values.get("keywords", ())),
        series=values.get("series", ""),
        allow_html=values.get("allow_html", False),
        labels=values.get("labels", ()),
        url=values.get("url", ""),
        citation_style=values.get("citation_style", ""),
        nocite=tuple(values.get("nocite", ())),
        licence=values.get("licence", ""),
        doi=values.get("doi", ""),
        lists=tuple(values.get("lists", ())),
        theme=values.get("theme", Theme()),
    )


def _read_text(path: Path, problems: list[Problem], inside: Path | None = None) -> str | None:
    """A source file's text, or None with a problem when it is no regular file (inside ``inside``
    when given), too large, unreadable, not UTF-8 or not text."""
    try:
        data = read_limited(path, MAX_SOURCE_BYTES, inside)
    except Unreadable as exc:
        problems.append(Problem(path, 1, 1, exc.message))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data[: exc.start].count(b"\n") + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        problems.append(Problem(path, line, column, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"))
        return None
    return text if _is_xml_text(text, path, problems) else None


def _is_xml_text(text: str, path: Path, problems: list[Problem]) -> bool:
    """Whether the text holds only characters XML allows; a problem at the first one that is not."""
    found = NOT_XML.search(text)
    if found is None:
        return True
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    problems.append(Problem(path, line, column, f"control character U+{ord(found.group()):04X} is not allowed"))
    return False


# libyaml's parser when PyYAML was built with it: ten times faster, the same marks and
# messages, and it refuses nesting deeper than 1,000 levels instead of recursing.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A `key: value` line of YAML (in a list item too), a comment after the value left out.
KEY_AND_VALUE = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*):\s+(?P<value>[^\s\"'\[{|>&*!#][^#]*?)\s*(?:\s#.*)?$")


def _read_yaml(path: Path, problems: list[Problem], inside: Path) -> yaml.Node | None:
    """Parse a YAML file of the folder ``inside`` into a node tree (with line numbers), refusing anchors and aliases."""
    text = _read_text(path, problems, inside)
    return None if text is None else _parse_yaml(text, path, problems)


def _parse_yaml(text: str, path: Path, problems: list[Problem]) -> yaml.Node | None:
    """Parse YAML text into a node tree (with line numbers), refusing anchors and aliases."""
    try:
        for event in yaml.parse(text, Loader=YAML_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                problems.append(Problem(path, mark.line + 1, mark.column + 1, "YAML anchors and aliases are not allowed"))
                return None
        node = yaml.compose(text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(_colon_in_value(text, line, column, path) or
                        Problem(path, line, column, f"invalid YAML: {exc.problem or exc.context}"))
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses anywhere, such as DEL or a C1 control
        found = YAML_REFUSES.search(text)  # libyaml counts the position in bytes: find the character ourselves
        position = found.start() if found else exc.position
        problems.append(_at_position(path, text, position, f"control character U+{exc.character:04X} is not allowed"))
        return None
    except RecursionError:
        problems.append(Problem(path, 1, 1, "invalid YAML: nested too deeply"))
        return None
    if node is None:
        problems.append(Problem(path, 1, 1, "the file is empty"))
    return node


def _at_position(path: Path, text: str, position: int, message: str) -> Problem:
    """A problem at a character offset of a file's text."""
    line = text.count("\n", 0, position) + 1
    return Problem(path, line, position - (text.rfind("\n", 0, position) + 1) + 1, message)


def _validate_mapping(node: yaml.Node, schema: dict[str, Field], path: Path, problems: list[Problem]) -> dict[str, Any]:
    """Check a mapping node against a schema; return the converted values of valid keys."""
    if not isinstance(node, yaml.MappingNode):
        problems.append(_at(path, node, "expected a mapping of keys to values"))
        return {}
    values: dict[str, Any] = {}
    suggested: set[str] = set()  # a misspelt required key is reported once, as misspelt
    for key_node, value_node in node.value:
        key = key_node.value
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(_at(path, key_node, "a key must be a plain word"))
        elif key not in schema:
            problems.append(_at(path, key_node, _unknown_key_message(key, schema)))
            suggested.update(difflib.get_close_matches(key, list(schema), n=1))
        elif key in values:
            problems.append(_at(path, key_node, f"key '{key}' is given twice"))
        else:
            value = _convert(value_node, schema[key], key, path, problems)
            if value is not None:
                values[key] = value
    for key, spec in schema.items():
        if spec.required and key not in values and key not in suggested and not any(k.value == key for k, _ in node.value if isinstance(k, yaml.ScalarNode)):
            problems.append(_at(path, node, f"missing required key '{key}'"))
    return values


def _unknown_key_message(key: str, schema: dict[str, Field]) -> str:
    """'unknown key' with the nearest valid key suggested, or the valid keys listed."""
    close = difflib.get_close_matches(key, list(schema), n=1)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}'; valid keys are: {', '.join(schema)}"


class NotAList(ValueError):
    """A single value where a list is wanted; the message shows the value written as a list."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__("must be a list")
        self.node = node

    def example(self, key: str) -> tuple[str, ...]:
        """The key and its value as a one-item list, the way document.yaml writes it."""
        value = self.node.value if isinstance(self.node, yaml.ScalarNode) and self.node.value.strip() else "Jane Doe"
        return (f"{key}:", f"  - {value}")


class ItemError(ValueError):
    """A wrong item of a list, reported at the item's own line (with the corrected line, when known)."""

    def __init__(self, node: yaml.Node, message: str, example: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.node = node
        self.example = example


class EntryErrors(ValueError):
    """Wrong entries of a mapping, each reported at its own line with its own whole message."""

    def __init__(self, errors: list[tuple[yaml.Node, str]]) -> None:
        super().__init__("; ".join(message for _node, message in errors))
        self.errors = errors


def _convert(node: yaml.Node, spec: Field, key: str, path: Path, problems: list[Problem]) -> Any:
    """Convert one value node to the field's type, or record why it cannot be."""
    converter = CONVERTERS[spec.kind]
    try:
        return converter(node, spec)
    except NotAList as exc:
        problems.append(replace(_at(path, node, f"'{key}' must be a list, one item a line, like this:"), example=exc.example(key)))
    except ItemError as exc:
        problems.append(replace(_at(path, exc.node, f"'{key}' {exc}"), example=exc.example))
    except EntryErrors as exc:
        problems.extend(_at(path, node, message) for node, message in exc.errors)
    except ValueError as exc:
        problems.append(_at(path, node, f"'{key}' {exc}"))
    return None


def _colon_in_value(text: str, line: int, column: int, path: Path) -> Problem | None:
    """The problem of an unquoted ': ' inside a value (title: Heat pumps: a guide), with the value quoted, or None."""
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    found = KEY_AND_VALUE.match(source_line)
    if found is None or ": " not in found.group("value") + " " or column <= found.start("value"):
        return None
    key, value = found.group("key"), found.group("value")
    quoted = f"'{value}'" if '"' in value and "'" not in value else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    message = f"'{key}' holds ': ' in its value, which YAML reads as a new key; put the value in quotes:"
    return Problem(path, line, found.start("value") + 1, message, example=(f"{found.group('indent')}{key}: {quoted}",))


def _as_str(node: yaml.Node, _spec: Field) -> str:
    """A non-empty text value."""
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError("must be text")
    if not node.value.strip() or node.value.strip() == "~":
        raise ValueError("must not be empty")
    if found := NOT_IN_VALUES.search(node.value):
        raise ValueError(f"must not hold the control character U+{ord(found.group()):04X}")
    return node.value.strip()  # the text as written: a term 'null', 'yes' or '1.0' stays that word


def _as_date(node: yaml.Node, spec: Field) -> dt.date:
    """A calendar date written YYYY-MM-DD."""
    text = _as_str(node, spec)
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad_date(text)
    except ValueError:
        raise ValueError(f"must be a date written YYYY-MM-DD, not '{text}'") from None


def _bad_date(text: str) -> dt.date:
    """Raise the error for a date in the wrong format."""
    raise ValueError(text)


def _as_language(node: yaml.Node, spec: Field) -> str:
    """A BCP 47 language tag such as 'en' or 'en-GB'."""
    text = _as_str(node, spec)
    if not LANGUAGE_TAG.match(text):
        raise ValueError(f"must be a BCP 47 language tag such as 'en' or 'en-GB', not '{text}'")
    return text


def _as_str_list(node: yaml.Node, spec: Field) -> list[str]:
    """A list of non-empty texts."""
    if not isinstance(node, yaml.SequenceNode):
        raise NotAList(node)
    items: list[str] = []
    for number, item in enumerate(node.value, start=1):
        if (text := _colon_split_item(item)) is not None:
            quoted = f"'{text}'" if '"' in text and "'" not in text else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            raise ItemError(item, f"item {number} holds ': ', which YAML reads as a key; put the item in quotes:",
                            (f"- {quoted}",))
        try:
            items.append(_as_str(item, spec))
        except ValueError as exc:
            raise ItemError(item, f"item {number} {exc}") from None
    return items


def _colon_split_item(item: yaml.Node) -> str | None:
    """The text of a list item that YAML split at ': ' into a one-key mapping (- Revenue: $4bn), or None."""
    if not (isinstance(item, yaml.MappingNode) and len(item.value) == 1):
        return None
    key, value = item.value[0]
    if not (isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode) and not key.style and value.value):
        return None
    return f"{key.value}: {value.value}"
def _as_choice_list(node: yaml.Node, spec: Field) -> list[str]:
    """A list of the field's listed values, each at most once."""
    items = _as_str_list(node, spec)
    for number, (item, text) in enumerate(zip(node.value, items, strict=True), start=1):
        if text not in spec.choices or text in items[: number - 1]:
            problem = "is given twice" if text in spec.choices else f"must be one of {', '.join(spec.choices)}, not '{text}'"
            raise ItemError(item, f"item {number} {problem}")
    return items


def _as_url(node: yaml.Node, spec: Field) -> str:
    """A web address with a host: http:// or https://, no spaces."""
    text = _as_str(node, spec)
    if not re.fullmatch(r"https?://[^\s/?#.][^\s/?#]*(?:[/?#]\S*)?", text):
        raise ValueError(f"must be a web address starting with https:// and naming a host, not '{text}'")
    return text


def _as_bool(node: yaml.Node, _spec: Field) -> bool:
    """true or false."""
    if node.tag != "tag:yaml.org,2002:bool":
        raise ValueError("must be true or false")
    return node.value.lower() in {"true", "yes", "on"}


def _as_choice(node: yaml.Node, spec: Field) -> str:
    """One of the field's listed values."""
    text = _as_str(node, spec)
    if text not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}, not '{text}'")
    return text


def _as_licence(node: yaml.Node, spec: Field) -> str:
    """An SPDX licence id of the known table."""
    text = _as_str(node, spec)
    problem = licence_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _as_labels(node: yaml.Node, _spec: Field) -> tuple[tuple[str, labels.Override], ...]:
    """Label overrides: known label keys to texts (a plural label may give its forms); every wrong entry is reported."""
    if not isinstance(node, yaml.MappingNode):
        raise ValueError("must be a mapping of label names to texts")
    found: dict[str, labels.Override] = {}
    errors: list[tuple[yaml.Node, str]] = []
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in labels.reference().labels:
            errors.append((key_node, labels.unknown_label_message(str(key))))
        elif key in found:
            errors.append((key_node, f"label '{key}' is given twice"))
        else:
            value = _label_value(key, value_node, errors)
            if value is not None:
                found[key] = value
    if errors:
        raise EntryErrors(errors)
    return tuple(found.items())


def _label_value(key: str, node: yaml.Node, errors: list[tuple[yaml.Node, str]]) -> labels.Override | None:
    """One label's text, or a plural label's forms; None with an error when it is wrong."""
    if not (isinstance(node, yaml.MappingNode) and labels.is_plural(key)):
        return _label_text(key, node, errors)
    before = len(errors)
    forms: list[tuple[str, str | None]] = []
    for form_node, text_node in node.value:
        form = str(form_node.value)
        if problem := labels.form_problem(key, form):
            errors.append((form_node, problem))
        forms.append((form, _label_text(key, text_node, errors)))
    if "other" not in dict(forms):
        errors.append((node, f"label '{key}' needs an 'other' form"))
    return tuple((form, text) for form, text in forms if text is not None) if len(errors) == before else None


def _label_text(key: str, node: yaml.Node, errors: list[tuple[yaml.Node, str]]) -> str | None:
    """One text of a label, as written: not empty, with only the label's own placeholders."""
    if not isinstance(node, yaml.ScalarNode):
        errors.append((node, f"label '{key}' must be text" + (" or its forms (one, other...)" if labels.is_plural(key) else "")))
        return None
    text = node.value.strip(" \t\n")  # a no-break space is kept: French writes "«\u00a0" and "\u00a0:"
    problem = labels.text_problem(key, text) if text and text != "~" else f"label '{key}' must not be empty"
    if problem:
        errors.append((node, problem))
        return None
    return text


def _as_theme(node: yaml.Node, _spec: Field) -> Theme:
    """The theme's settings; every wrong entry reported at its own line."""
    if not isinstance(node, yaml.MappingNode):
        raise ValueError("must be a mapping such as: theme: {accent: \"#a3242e\", tint: \"#f7e8e9\", logo: images/logo.png}")
    found: dict[str, Any] = {}
    errors: list[tuple[yaml.Node, str]] = []
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in THEME_SCHEMA:
            errors.append((key_node, f"theme: {_unknown_key_message(str(key), THEME_SCHEMA)}"))
        elif key in found:
            errors.append((key_node, f"theme key '{key}' is given twice"))
        else:
            try:
                found[key] = _theme_value(key, value_node)
            except ValueError as exc:
                errors.append((value_node, str(exc)))
    if errors:
        raise EntryErrors(errors)
    logo_node = _value_node(node, "logo") if "logo" in found else None
    return Theme(accent=found.get("accent", ""), tint=found.get("tint", ""), logo=found.get("logo", ""),
                 logo_line=logo_node.start_mark.line + 1 if logo_node is not None else 0,
                 serif=found.get("serif", ""), sans=found.get("sans", ""))


def _theme_value(key: str, node: yaml.Node) -> str:
    """One theme setting: a colour as "#rrggbb" (lower case), an installed font's name, or the logo's path."""
    if THEME_SCHEMA[key].kind == "font":
        return _theme_font(key, node)
    if THEME_SCHEMA[key].kind != "colour":
        try:
            return _as_str(node, THEME_SCHEMA[key])
        except ValueError as exc:
            raise ValueError(f"theme '{key}' {exc}") from None
    text = node.value.strip() if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null" else ""
    if not text:  # `accent: #a3242e` unquoted: YAML reads a comment and the value is empty
        raise ValueError(f"theme '{key}' is empty: write the colour in quotes, {key}: \"#a3242e\" "
                         "(an unquoted # starts a YAML comment)")
    if not COLOUR.fullmatch(text):
        raise ValueError(f"theme '{key}' must be a colour written \"#rrggbb\" (six hex digits, e.g. \"#a3242e\"), not '{text}'")
    return text.lower()


def _theme_font(key: str, node: yaml.Node) -> str:
    """A font family fontconfig has, by the name it lists (the PDF embeds it; the web page names it)."""
    text = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
    if not FONT_NAME.fullmatch(text):
        raise ValueError(f"theme '{key}' must be a font family's name (letters, digits, spaces and hyphens), "
                         f"e.g. {key}: DejaVu Serif")
    if font_file(text, bold=False) is None:
        raise ValueError(f"theme '{key}': no installed font family is named '{text}'; install it (fc-list : family "
                         f"lists the installed ones) or leave '{key}' out to keep the project's face")
    return text


CONVERTERS: dict[str, Callable[[yaml.Node, Field], Any]] = {
    "str": _as_str,
    "date": _as_date,
    "language": _as_language,
    "list[str]": _as_str_list,
    "bool": _as_bool,
    "url": _as_url,
    "choice": _as_choice,
    "licence": _as_licence,
    "list[choice]": _as_choice_list,
    "labels": _as_labels,
    "theme": _as_theme,
}


def _at(path: Path, node: yaml.Node, message: str) -> Problem:
    """A problem located at a YAML node."""
    return Problem(path, node.start_mark.line + 1, node.start_mark.column + 1, message)


def _value_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    """The value node of a key in a validated mapping (the first one given)."""
    found = [v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[0] if found else None  # the one _validate_mapping converted; a repeat is reported there


def _load_chapters(root: Path, node: yaml.Node, allow_html: bool, note_label: str, meta_path: Path,
                   problems: list[Problem]) -> list[Chapter]:
    """Render every listed chapter; report an empty list, missing, repeated and unlisted files."""
    if not node.value:
        problems.append(_at(meta_path, node, "the document has no chapters; list its Markdown files under 'chapters'"))
        return []
    chapters: list[Chapter] = []
    first_line: dict[str, int] = {}
    for item in node.value:
        name = os.path.normpath(item.value.strip()).replace(os.sep, "/")  # ./01.md and 01.md are one file
        if name in first_line:
            problems.append(_at(meta_path, item, f"chapter '{name}' is listed twice (first on line {first_line[name]})"))
            continue
        first_line[name] = item.start_mark.line + 1
        path = _chapter_path(root, name, item, meta_path, problems)
        text = _read_text(path, problems) if path else None
        if path and text is not None:
            chapters.append(_chapter(text, len(chapters) + 1, path, name, allow_html, note_label, problems))
    _warn_unlisted(root, set(first_line), problems)
    return chapters


def _chapter_path(root: Path, name: str, node: yaml.Node, meta_path: Path, problems: list[Problem]) -> Path | None:
    """The file a chapter item names, if it is a Markdown file that exists inside the document folder."""
    path = root / name
    if not name.endswith(".md"):
        problems.append(_at(meta_path, node, f"chapter '{name}' must be a Markdown file ending in .md"))
    elif Path(name).is_absolute() or not is_inside(path, root):
        problems.append(_at(meta_path, node, f"chapter '{name}' lies outside the document folder"))
    else:
        try:
            check_regular(path)
            return path
        except Unreadable as exc:
            problems.append(_at(meta_path, node, f"chapter '{name}' is listed but the file does not exist" if exc.missing
                                else f"chapter '{name}' cannot be read: {exc.reason}"))
    return None


def _warn_unlisted(root: Path, listed: set[str], problems: list[Problem]) -> None:
    """A warning for each Markdown file of the folder that no chapter item names."""
    for unlisted in sorted({p.name for p in root.glob("*.md")} - {Path(n).as_posix() for n in listed}):
        problems.append(Problem(root / unlisted, 1, 1, "this Markdown file is not listed in 'chapters' and is not built", warning=True))


def _chapter(text: str, number: int, path: Path, name: str, allow_html: bool, note_label: str,
             problems: list[Problem]) -> Chapter:
    """Render one chapter file into a Chapter record; its front matter may give its title and id."""
    chapter_id = f"ch{number}"
    rendered = render_chapter(text, chapter_id, path, allow_html=allow_html, note_label=note_label)
    problems.extend(rendered.problems)
    front = _front_matter(rendered.front_matter, path, problems)
    title_markup = render_inline(front["title"]) if "title" in front else rendered.title_markup
    return Chapter(
        id=chapter_id,
        number=number,
        path=path,
        name=name,
        title=plain_text(front["title"]) if "title" in front else rendered.title,
        title_markup=title_markup,
        body=rendered.body,
        headings=tuple(rendered.headings),
        footnotes=tuple(rendered.footnotes),
        alias=front.get("id", "") or rendered.title_id,
    )


def _front_matter(text: str, path: Path, problems: list[Problem]) -> dict[str, Any]:
    """The chapter's front matter (the YAML between its opening '---' lines), checked; {} when there is none."""
    if not text.strip():
        return {}
    node = _parse_yaml("\n" + text, path, problems)  # the YAML starts on the file's second line
    values = _validate_mapping(node, CHAPTER_SCHEMA, path, problems) if node is not None else {}
    anchor = values.get("id", "")
    if anchor and (not AUTHOR_ID.match(anchor) or reserved_id(anchor)):
        id_node = _value_node(node, "id")
        reason = "is reserved for the ids the tool generates" if AUTHOR_ID.match(anchor) else \
            "must start with a letter and hold only letters, digits and - _ . :"
        problems.append(_at(path, id_node, f"chapter id '{anchor}' {reason}"))
        values.pop("id")
    return values


def _load_glossary(path: Path, problems: list[Problem]) -> list[GlossaryEntry]:
    """Read glossary.yaml (optional) into entries, in file order."""
    if not os.path.lexists(path):  # a dangling symlink or a loop is reported, not taken for no glossary
        return []
    node = _read_yaml(path, problems, inside=path.parent)
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(_at(path, node, "the glossary must be a list of entries with 'term' and 'definition'"))
        return []
    entries: list[GlossaryEntry] = []
    taken: set[str] = set()
    for item in node.value:
        values = _validate_mapping(item, GLOSSARY_SCHEMA, path, problems)
        if "term" in values and "definition" in values and _matchable(item, path, problems):
            entries.append(
                GlossaryEntry(
                    id=glossary_anchor(values["term"], taken),
                    term=values["term"],
                    definition=render_inline(values["definition"]),
                    aliases=tuple(values.get("aliases", ())),
                    line=item.start_mark.line + 1,
                )
            )
    return entries


def glossary_anchor(term: str, taken: set[str]) -> str:
    """A glossary entry's id, unique in the document and stable: 'g-aws'; 'g-c-1a2b3c' for a second
    term that slugs alike ('C#' after 'C'); a digest for a term without Latin letters or digits."""
    digest = hashlib.sha1(term.encode("utf-8")).hexdigest()
    folded = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode("ascii")
    slug = slugify(term) if any(c.isalnum() for c in folded) else digest[:8]
    anchor = f"g-{slug}"
    if anchor in taken:
        anchor = f"g-{slug}-{digest[:6]}"
    taken.add(anchor)
    return anchor


def _matchable(item: yaml.Node, path: Path, problems: list[Problem]) -> bool:
    """Whether the entry's term and aliases each have a letter or digit, which a match starts from."""
    forms = [_value_node(item, "term")]
    aliases = _value_node(item, "aliases")
    forms += aliases.value if isinstance(aliases, yaml.SequenceNode) else []
    bad = [form for form in forms if form is not None and not re.search(r"\w", form.value)]
    for form in bad:
        problems.append(_at(path, form, f"the term or alias '{form.value.strip()}' has no letter or digit to match"))
    return not bad
