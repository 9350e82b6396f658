"""Finding documents in ``source/`` and loading them into the model.

Every problem in a document is collected and raised together as one SourceError, each
with its file, line and column. YAML is read with the safe loader only, and anchors and
aliases are refused: a few lines of aliases can expand into gigabytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem, SourceError, UsageError
from generator.markdown import plain_text, render_chapter, render_inline, slugify
from generator.model import Chapter, Document, GlossaryEntry, Metadata

DOCUMENT_FILE = "document.yaml"
GLOSSARY_FILE = "glossary.yaml"
MAX_SOURCE_BYTES = 10 * 1024 * 1024
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8}|-[0-9][A-Za-z0-9]{3})*$")
GLOSSARY_LINK_MODES = ("first-per-chapter", "every", "none")


@dataclass(frozen=True)
class Field:
    """One key of a YAML mapping: its type, whether it is required, and what it means."""

    kind: str  # "str", "date", "language", "list[str]", "bool" or "choice"
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
    "glossary_links": Field("choice", False, "Which uses of a term are linked.", GLOSSARY_LINK_MODES),
}

GLOSSARY_SCHEMA: dict[str, Field] = {
    "term": Field("str", True, "The term as it is usually written."),
    "definition": Field("str", True, "The definition (inline Markdown)."),
    "aliases": Field("list[str]", False, "Other spellings that also match the term."),
}


def find_documents(source_dir: Path) -> list[str]:
    """Slugs of every document folder (a folder holding document.yaml), sorted."""
    if not source_dir.is_dir():
        return []
    return sorted(p.parent.name for p in source_dir.glob(f"*/{DOCUMENT_FILE}"))


def document_root(source_dir: Path, slug: str) -> Path:
    """The folder of one document; an unknown slug is a usage error listing the known ones."""
    root = (source_dir / slug).resolve()
    if not (root / DOCUMENT_FILE).is_file():
        known = ", ".join(find_documents(source_dir)) or "none"
        raise UsageError(f"no document '{slug}' in {source_dir} (documents: {known})")
    return root


def load_document(root: Path) -> Document:
    """Read, validate and render one document folder into the model."""
    problems: list[Problem] = []
    meta_path = root / DOCUMENT_FILE
    meta_node = _read_yaml(meta_path, problems)
    values = _validate_mapping(meta_node, DOCUMENT_SCHEMA, meta_path, problems) if meta_node is not None else {}
    chapters = _load_chapters(root, values.get("chapters"), meta_path, problems) if values.get("chapters") else []
    glossary = _load_glossary(root / GLOSSARY_FILE, problems)
    errors = [p for p in problems if not p.warning]
    if errors or meta_node is None:
        raise SourceError(errors or problems)
    return Document(
        slug=root.name,
        root=root,
        meta=_metadata(values, root.name),
        chapters=tuple(chapters),
        glossary=tuple(glossary),
        warnings=tuple(str(p) for p in problems if p.warning),
    )


def _metadata(values: dict[str, Any], slug: str) -> Metadata:
    """Build the Metadata record from validated values, filling defaults."""
    summary = tuple(values.get("summary", ()))
    return Metadata(
        title=values["title"],
        date=values["date"],
        chapters=tuple(values["chapters"]),
        subtitle=values.get("subtitle", ""),
        kind=values.get("kind", ""),
        language=values.get("language", "en"),
        authors=tuple(values.get("authors", ())),
        publisher=values.get("publisher", ""),
        summary_html=tuple(render_inline(s) for s in summary),
        summary_text=tuple(plain_text(s) for s in summary),
        identifier=values.get("identifier") or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'briefing:' + slug)}",
        glossary_links=values.get("glossary_links", "first-per-chapter"),
        keywords=tuple(values.get("keywords", ())),
    )


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """A source file's text, or None with a problem when it is too large or not UTF-8."""
    try:
        size = path.stat().st_size
    except OSError:
        problems.append(Problem(path, 1, 1, "file not found"))
        return None
    if size > MAX_SOURCE_BYTES:
        problems.append(Problem(path, 1, 1, f"file is {size} bytes; source files are limited to 10 MB"))
        return None
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem(path, line, column, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"))
        return None


def _read_yaml(path: Path, problems: list[Problem]) -> yaml.Node | None:
    """Parse a YAML file into a node tree (with line numbers), refusing anchors and aliases."""
    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                problems.append(Problem(path, mark.line + 1, mark.column + 1, "YAML anchors and aliases are not allowed"))
                return None
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(path, line, column, f"invalid YAML: {exc.problem or exc.context}"))
        return None
    if node is None:
        problems.append(Problem(path, 1, 1, "the file is empty"))
    return node


def _validate_mapping(node: yaml.Node, schema: dict[str, Field], path: Path, problems: list[Problem]) -> dict[str, Any]:
    """Check a mapping node against a schema; return the converted values of valid keys."""
    if not isinstance(node, yaml.MappingNode):
        problems.append(_at(path, node, "expected a mapping of keys to values"))
        return {}
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in schema:
            problems.append(_at(path, key_node, _unknown_key_message(key, schema)))
        elif key in values:
            problems.append(_at(path, key_node, f"key '{key}' is given twice"))
        else:
            value = _convert(value_node, schema[key], key, path, problems)
            if value is not None:
                values[key] = value
    for key, spec in schema.items():
        if spec.required and key not in values and not any(k.value == key for k, _ in node.value):
            problems.append(_at(path, node, f"missing required key '{key}'"))
    return values


def _unknown_key_message(key: str, schema: dict[str, Field]) -> str:
    """'unknown key' with the nearest valid key suggested, or the valid keys listed."""
    close = difflib.get_close_matches(key, list(schema), n=1)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    return f"unknown key '{key}'; valid keys are: {', '.join(schema)}"


def _convert(node: yaml.Node, spec: Field, key: str, path: Path, problems: list[Problem]) -> Any:
    """Convert one value node to the field's type, or record why it cannot be."""
    converter = CONVERTERS[spec.kind]
    try:
        return converter(node, spec)
    except ValueError as exc:
        problems.append(_at(path, node, f"'{key}' {exc}"))
        return None


def _as_str(node: yaml.Node, _spec: Field) -> str:
    """A non-empty text value."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        raise ValueError("must be text")
    if not node.value.strip():
        raise ValueError("must not be empty")
    return node.value.strip()


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
        raise ValueError("must be a list")
    return [_as_str(item, spec) for item in node.value]


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


CONVERTERS: dict[str, Callable[[yaml.Node, Field], Any]] = {
    "str": _as_str,
    "date": _as_date,
    "language": _as_language,
    "list[str]": _as_str_list,
    "bool": _as_bool,
    "choice": _as_choice,
}


def _at(path: Path, node: yaml.Node, message: str) -> Problem:
    """A problem located at a YAML node."""
    return Problem(path, node.start_mark.line + 1, node.start_mark.column + 1, message)


def _load_chapters(root: Path, names: list[str], meta_path: Path, problems: list[Problem]) -> list[Chapter]:
    """Render every listed chapter; report missing, repeated and unlisted files."""
    chapters: list[Chapter] = []
    for index, name in enumerate(dict.fromkeys(names), start=1):
        path = root / name
        if names.count(name) > 1 and index == names.index(name) + 1:
            problems.append(Problem(meta_path, 1, 1, f"chapter '{name}' is listed more than once"))
        if not path.is_file():
            problems.append(Problem(meta_path, 1, 1, f"chapter '{name}' is listed but {path} does not exist"))
            continue
        text = _read_text(path, problems)
        if text is not None:
            chapters.append(_chapter(text, index, path, problems))
    for unlisted in sorted(set(p.name for p in root.glob("*.md")) - set(names)):
        problems.append(Problem(root / unlisted, 1, 1, "this Markdown file is not listed in 'chapters' and is not built", warning=True))
    return chapters


def _chapter(text: str, number: int, path: Path, problems: list[Problem]) -> Chapter:
    """Render one chapter file into a Chapter record."""
    chapter_id = f"ch{number}"
    rendered = render_chapter(text, chapter_id, path)
    problems.extend(rendered.problems)
    return Chapter(
        id=chapter_id,
        number=number,
        path=path,
        title=rendered.title,
        title_html=rendered.title_html,
        html=rendered.html,
        headings=tuple(rendered.headings),
        footnotes=tuple(rendered.footnotes),
        images=tuple(path.parent / src for src, _line in rendered.images),
    )


def _load_glossary(path: Path, problems: list[Problem]) -> list[GlossaryEntry]:
    """Read glossary.yaml (optional) into entries, in file order."""
    if not path.exists():
        return []
    node = _read_yaml(path, problems)
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(_at(path, node, "the glossary must be a list of entries with 'term' and 'definition'"))
        return []
    entries: list[GlossaryEntry] = []
    for item in node.value:
        values = _validate_mapping(item, GLOSSARY_SCHEMA, path, problems)
        if "term" in values and "definition" in values:
            entries.append(
                GlossaryEntry(
                    id=f"g-{slugify(values['term'])}",
                    term=values["term"],
                    definition_html=render_inline(values["definition"]),
                    aliases=tuple(values.get("aliases", ())),
                    line=item.start_mark.line + 1,
                )
            )
    return entries
