"""Finding documents in ``source/`` and loading them into the model.

Every problem in a document is collected and raised together as one SourceError, each
with its file, line and column. YAML is read with the safe loader only, and anchors and
aliases are refused: a few lines of aliases can expand into gigabytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from generator.errors import Problem, SourceError, UsageError, display_path
from generator.files import MAX_SOURCE_BYTES, Unreadable, check_regular, is_inside, read_limited, reason
from generator.markdown import Reference, plain_text, render_chapter, render_inline, slugify
from generator.model import Chapter, Document, GlossaryEntry, Metadata

DOCUMENT_FILE = "document.yaml"
GLOSSARY_FILE = "glossary.yaml"
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8}|-[0-9][A-Za-z0-9]{3})*$")
GLOSSARY_LINK_MODES = ("first-per-chapter", "every", "none")
# Characters XML 1.0 forbids: a chapter holding one could never become a valid EPUB.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What YAML refuses in a file, raw (C0 controls and U+FFFE are refused before YAML sees the text).
YAML_REFUSES = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
# What a YAML value may not hold, however it is written (a raw character or an escape such as
# "\e", "\0" or "\uFFFE"): the characters XML forbids, DEL and the C1 controls, lone surrogates.
NOT_IN_VALUES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Raster formats every EPUB reader and WeasyPrint show, by extension and by their first bytes.
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".svg": (b"",),  # text: checked by parsing it (_svg_refusal)
}
SVG_NS = "{http://www.w3.org/2000/svg}"
LINK_SCHEMES = ("http", "https", "mailto")


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
    "allow_html": Field("bool", False, "Let raw HTML in the chapters through, cleaned to a safe subset (default false)."),
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
    """Read, validate and render one document folder into the model."""
    problems: list[Problem] = []
    meta_path = root / DOCUMENT_FILE
    meta_node = _read_yaml(meta_path, problems, inside=root)
    values = _validate_mapping(meta_node, DOCUMENT_SCHEMA, meta_path, problems) if meta_node is not None else {}
    chapters_node = _value_node(meta_node, "chapters") if "chapters" in values else None
    chapters = _load_chapters(root, chapters_node, values.get("allow_html", False), meta_path, problems) if chapters_node else []
    glossary = _load_glossary(root / GLOSSARY_FILE, problems)
    problems.extend(_cover_problems(root))
    if meta_node is None or any(not p.warning for p in problems):
        raise SourceError(_reading_order(problems))
    return Document(
        slug=root.name,
        root=root,
        meta=_metadata(values, root.name),
        chapters=tuple(chapters),
        glossary=tuple(glossary),
        warnings=tuple(str(p) for p in problems if p.warning),
    )


def _cover_problems(root: Path) -> list[Problem]:
    """What is wrong with the document's own images/cover.png (Pillow is imported only when there is one)."""
    if not os.path.lexists(root / "images" / "cover.png"):
        return []
    from generator.cover import cover_problems

    return cover_problems(root)


def _reading_order(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in the order the files were read), each file's by line and column."""
    file_order = {path: n for n, path in enumerate(dict.fromkeys(p.path for p in problems))}
    return sorted(problems, key=lambda p: (file_order[p.path], p.line, p.column))


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
        allow_html=values.get("allow_html", False),
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


def _read_yaml(path: Path, problems: list[Problem], inside: Path) -> yaml.Node | None:
    """Parse a YAML file of the folder ``inside`` into a node tree (with line numbers), refusing anchors and aliases."""
    text = _read_text(path, problems, inside)
    if text is None:
        return None
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
        problems.append(Problem(path, line, column, f"invalid YAML: {exc.problem or exc.context}"))
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


class ItemError(ValueError):
    """A wrong item of a list, reported at the item's own line."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def _convert(node: yaml.Node, spec: Field, key: str, path: Path, problems: list[Problem]) -> Any:
    """Convert one value node to the field's type, or record why it cannot be."""
    converter = CONVERTERS[spec.kind]
    try:
        return converter(node, spec)
    except ItemError as exc:
        problems.append(_at(path, exc.node, f"'{key}' {exc}"))
    except ValueError as exc:
        problems.append(_at(path, node, f"'{key}' {exc}"))
    return None


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
        raise ValueError("must be a list")
    items: list[str] = []
    for number, item in enumerate(node.value, start=1):
        try:
            items.append(_as_str(item, spec))
        except ValueError as exc:
            raise ItemError(item, f"item {number} {exc}") from None
    return items


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


def _value_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    """The value node of a key in a validated mapping (the first one given)."""
    found = [v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[0] if found else None  # the one _validate_mapping converted; a repeat is reported there


def _load_chapters(root: Path, node: yaml.Node, allow_html: bool, meta_path: Path, problems: list[Problem]) -> list[Chapter]:
    """Render every listed chapter; report an empty list, missing, repeated and unlisted files."""
    if not node.value:
        problems.append(_at(meta_path, node, "the document has no chapters; list its Markdown files under 'chapters'"))
        return []
    chapters: list[Chapter] = []
    first_line: dict[str, int] = {}
    for item in node.value:
        name = item.value.strip()
        if name in first_line:
            problems.append(_at(meta_path, item, f"chapter '{name}' is listed twice (first on line {first_line[name]})"))
            continue
        first_line[name] = item.start_mark.line + 1
        path = _chapter_path(root, name, item, meta_path, problems)
        text = _read_text(path, problems) if path else None
        if path and text is not None:
            chapters.append(_chapter(text, len(chapters) + 1, path, root, allow_html, problems))
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


def _chapter(text: str, number: int, path: Path, root: Path, allow_html: bool, problems: list[Problem]) -> Chapter:
    """Render one chapter file into a Chapter record, checking the images and links it names."""
    chapter_id = f"ch{number}"
    rendered = render_chapter(text, chapter_id, path, allow_html=allow_html)
    problems.extend(rendered.problems)
    for link in rendered.links:
        _check_link(link, path, problems)
    images = list(dict.fromkeys(image for ref in rendered.images if (image := _image(ref, path, root, problems))))
    return Chapter(
        id=chapter_id,
        number=number,
        path=path,
        title=rendered.title,
        title_html=rendered.title_html,
        html=rendered.html,
        headings=tuple(rendered.headings),
        footnotes=tuple(rendered.footnotes),
        images=tuple(images),
    )


def _check_link(link: Reference, chapter: Path, problems: list[Problem]) -> None:
    """A link must go to the web, to an e-mail address or to an anchor: a file link would dangle in the EPUB."""
    scheme = urlsplit(link.url).scheme.lower()
    if link.url.startswith("#") or (scheme in LINK_SCHEMES and link.url != f"{scheme}:"):
        return
    problems.append(Problem(chapter, link.line, link.column,
                            f"link '{link.url}' is not allowed; link to a web address (http, https, mailto) or a #section"))


def _image(ref: Reference, chapter: Path, root: Path, problems: list[Problem]) -> Path | None:
    """The image file a source names (as written, '..' folded), if it is a real picture inside the document folder."""
    reason = _image_refusal(ref.url, chapter, root)
    if reason:
        problems.append(Problem(chapter, ref.line, ref.column, reason))
        return None
    return Path(os.path.normpath(chapter.parent / unquote(ref.url)))


def _image_refusal(url: str, chapter: Path, root: Path) -> str:
    """Why an image source is refused, or '' when it names a picture inside the document folder."""
    parts = urlsplit(url)
    if not url:
        return "an image needs a source file"
    if parts.scheme or parts.netloc:
        return f"image '{url}' is not fetched: only files inside the document folder are used"
    if url.startswith("/") or parts.query or parts.fragment:
        return f"image '{url}' lies outside the document folder; give a path relative to the chapter"
    path = (chapter.parent / unquote(parts.path)).resolve()
    if not path.is_relative_to(root.resolve()):
        return f"image '{url}' lies outside the document folder"
    if not path.is_file():
        return f"image '{url}' not found: missing file in the document folder"
    return _image_content_refusal(url, path)


def _image_content_refusal(url: str, path: Path) -> str:
    """Why a file is refused as a picture (wrong kind, too large), or ''."""
    signatures = IMAGE_SIGNATURES.get(path.suffix.lower())
    if signatures is None:
        return f"image '{url}' is not a picture: use a PNG, JPEG, GIF, WebP or SVG file"
    if path.stat().st_size > MAX_SOURCE_BYTES:
        return f"image '{url}' is larger than 10 MB"
    with path.open("rb") as handle:
        head = handle.read(16)
    if path.suffix.lower() == ".svg":
        return _svg_refusal(url, path)
    if not any(head.startswith(sig) for sig in signatures):
        return f"image '{url}' is not a {path.suffix.lower().lstrip('.').upper()} file"
    return "" if _decodes(path) else f"image '{url}' is damaged and cannot be read"


def _svg_refusal(url: str, path: Path) -> str:
    """Why an SVG is refused: not SVG, scripted, or pointing at other files (which the EPUB would carry as is)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError:
        return f"image '{url}' is not a well-formed SVG file"
    if root.tag != f"{SVG_NS}svg":
        return f"image '{url}' is not an SVG file"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in {f"{SVG_NS}script", f"{SVG_NS}foreignObject"} or any(n.lower().startswith("on") for n in element.attrib):
            return f"image '{url}' holds a script; pictures must not run code"
        refs = [v for n, v in element.attrib.items() if n.endswith("href")]
        refs += re.findall(r"url\(\s*['\"]?([^'\")]*)", " ".join(element.attrib.values()) + (element.text or ""))
        if any(not ref.strip().startswith("#") for ref in refs):
            return f"image '{url}' refers to other files; an SVG picture must be self-contained"
    return ""


def _decodes(path: Path) -> bool:
    """Whether the picture decodes completely (a damaged one would stop WeasyPrint mid-build)."""
    from PIL import Image as Picture  # Pillow comes with WeasyPrint; imported only when a chapter has images

    try:
        with Picture.open(path) as picture:
            picture.load()
    except (OSError, SyntaxError, ValueError, Picture.DecompressionBombError):
        return False
    return True


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
    for item in node.value:
        values = _validate_mapping(item, GLOSSARY_SCHEMA, path, problems)
        if "term" in values and "definition" in values and _matchable(item, path, problems):
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


def _matchable(item: yaml.Node, path: Path, problems: list[Problem]) -> bool:
    """Whether the entry's term and aliases each have a letter or digit, which a match starts from."""
    forms = [_value_node(item, "term")]
    aliases = _value_node(item, "aliases")
    forms += aliases.value if isinstance(aliases, yaml.SequenceNode) else []
    bad = [form for form in forms if form is not None and not re.search(r"\w", form.value)]
    for form in bad:
        problems.append(_at(path, form, f"the term or alias '{form.value.strip()}' has no letter or digit to match"))
    return not bad
