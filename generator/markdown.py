"""Markdown to element trees: CommonMark plus footnotes, tables, definition lists and callouts.

Each chapter is parsed once by markdown-it; its tokens are rendered to XHTML by the render
rules below and that XHTML is parsed straight into a :class:`~generator.tree.Fragment`, the
only form in which any later stage sees the chapter. Heading ids are prefixed by the chapter
id (``ch2-why-now``) so that they stay unique when every chapter is rendered into one HTML
file for the PDF; an author may give a heading its own id, ``## Why now {#why-now}``.
Ids the tool generates itself (``ch2-title``, ``ch2-fn1``, ``g-aws``, ``toc`` ...) are
kept apart from authors' ids by the rules of :func:`reserved_id` and :func:`heading_slug`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from generator import code, sanitize, xref_syntax
from generator.errors import Problem
from generator.model import Footnote, Heading
from generator.tree import COLUMN, LINE, WRITTEN_URL, Element, Fragment, to_xhtml, unwrap

CALLOUTS: dict[str, tuple[str, str]] = {
    # name: (opening tag, closing tag)
    "note": ('<aside class="callout note" role="note">\n<p class="callout-label">{note}</p>\n', "</aside>\n"),
    "keyfigure": ('<div class="callout keyfigure">\n', "</div>\n"),
    "quote": ('<blockquote class="callout pullquote">\n', "</blockquote>\n"),
    # Not a callout: what it holds (a wide table) is set on a landscape page of its own in the PDF.
    "landscape": ('<div class="landscape">\n', "</div>\n"),
}
CALLOUT_KINDS = "note, keyfigure, quote, and landscape for a wide table"
# Lines that mark a place rather than open a callout: `::: references` is where the citations pass
# (generator/citations.py) puts the list of references.
PLACE_MARKS = frozenset({"references"})
NOTE_LIKE = frozenset({"tip", "warning", "info", "important", "caution", "attention", "aside", "hint", "danger"})
CALLOUT_LINE = re.compile(r"^:{3,}\s*([^\s:]*)")  # a ':::' line that no container took: printed as text otherwise
# A note call as written: not escaped, not a link's text ([^x](url)), not a reference link's ([^x][ref]).
NOTE_CALL = re.compile(r"(?<!\\)\[\^([^\]\s]+)\](?![(\[:])")
CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")
ADDRESS_CLASS = "address"  # a link whose text is its own address (see _mark_self_addressed_links)
# A link to `term:NAME` forces a glossary link; `term:-` suppresses one (see README, "Glossary").
TERM_SCHEME = "term:"
NO_TERM = "-"
TERM_IN_SOURCE = re.compile(r"\(\s*<?term:", re.IGNORECASE)

DECORATIVE = "decorative"  # the image title that marks an image with no alt text as decorative


PLACEHOLDER_SPLIT = re.compile("\ue000([0-9]+)\ue001")
FRONT_TITLE = re.compile(r"^title\s*:", re.MULTILINE)
# Elements valid only inside certain others; written elsewhere in raw HTML, they become a <div>.
NEEDS_PARENT: dict[str, frozenset[str]] = {
    "li": frozenset({"ul", "ol", "menu"}), "figcaption": frozenset({"figure"}), "summary": frozenset({"details"}),
    "dt": frozenset({"dl", "div"}), "dd": frozenset({"dl", "div"}), "caption": frozenset({"table"}),
    "thead": frozenset({"table"}), "tbody": frozenset({"table"}), "tfoot": frozenset({"table"}),
    "tr": frozenset({"table", "thead", "tbody", "tfoot"}), "td": frozenset({"tr"}), "th": frozenset({"tr"}),
}
# What a container left open may take in (Markdown such as a paragraph cannot go into a <tr>).
ONLY_CHILDREN: dict[str, frozenset[str]] = {
    "table": frozenset({"caption", "colgroup", "thead", "tbody", "tfoot", "tr"}),
    "thead": frozenset({"tr"}), "tbody": frozenset({"tr"}), "tfoot": frozenset({"tr"}), "tr": frozenset({"td", "th"}),
    "ul": frozenset({"li"}), "ol": frozenset({"li"}), "dl": frozenset({"dt", "dd", "div"}),
}
OPENS = "data-src-opens"  # on an element whose HTML block left it open (see join_split_elements)
CLOSES = "closing-mark"  # stands for an HTML block that only closes an element
MAX_DEPTH = 100  # elements inside each other; far past any real text, well within what layout engines take
PRIVATE_MARKS = str.maketrans({"\ue000": "\ufffd", "\ue001": "\ufffd"})  # never taken for a placeholder
# `## Heading {#id}` or `{#id .class}`: Pandoc's attribute syntax for a heading's own id.
HEADING_ATTRIBUTES = re.compile(r"\s*\{\s*#([^\s{}]+)((?:\s+\.[A-Za-z][\w-]*)*)\s*\}\s*$")
AUTHOR_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
# Ids that the tool generates: a chapter's (ch2, ch2-title, ch2-fn1), a glossary entry's
# (g-aws), and those of the templates (toc, glossary, key-points-title ...).
GENERATED_ID = re.compile(r"^(ch[0-9]+(-|$)|g-|glossary(-|$)|toc(-|$)|landmarks(-|$)|key-points-title$|main$|cover$|title$)")
# Slugs that would read like an id generated inside a chapter (ch2-fn1, ch2-title, ch2-g-aws-1).
GENERATED_SUFFIX = re.compile(r"^(fn[0-9]+|fnref[0-9]+|title|notes-title|g-.*|s-.*)$")
RAW_HTML_REFUSED = "raw HTML {snippet} is not allowed; add 'allow_html: true' to document.yaml to let cleaned HTML through"


@dataclass(frozen=True)
class Reference:
    """An image source or link target written in a chapter, and where it is written."""

    url: str
    line: int
    column: int


@dataclass
class RenderedMarkdown:
    """What one chapter's Markdown turns into."""

    title: str
    title_markup: Fragment
    body: Fragment
    headings: list[Heading] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    images: list[Reference] = field(default_factory=list)
    links: list[Reference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    front_matter: str = ""  # the YAML between the chapter's opening '---' lines (source.py reads it)
    title_id: str = ""  # the id written on the title heading, '# Why now {#sec-why-now}'


@lru_cache(maxsize=1)
def block_parser() -> MarkdownIt:
    """The one configured parser for chapters (built once per process)."""
    # Raw HTML is parsed (so that it can be found, refused or cleaned) but never passed through as written.
    md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": True, "typographer": False})
    # Every link and image is checked by the loader, which names file and line; markdown-it's own
    # check would silently turn a refused URL (file:, javascript:) into plain text instead.
    md.validateLink = _accept_link
    _use_linkify(md)
    md.enable("table")
    md.use(front_matter_plugin)
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    for name, (open_tag, close_tag) in CALLOUTS.items():
        md.use(container_plugin, name, render=_callout_renderer(open_tag, close_tag), validate=_callout_named(name))
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_code_block)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    xref_syntax.use(md, _kept_in_raw)  # figure and table ids, table captions, @fig-/@tbl-/@sec- references
    _use_term_links(md)
    md.add_render_rule("term_open", _kept_in_raw(_render_term_open))  # term marks survive raw-HTML cleaning
    md.add_render_rule("term_close", _kept_in_raw(_render_term_close))
    md.add_render_rule("link_open", _kept_in_raw(_render_link_open))  # links keep their source position
    md.add_render_rule("link_close", _kept_in_raw(_render_link_close))
    md.add_render_rule("html_block", _render_raw_html)
    md.add_render_rule("html_inline", _render_raw_html)
    md.add_render_rule("clean_html", _render_clean_html)
    return md


@lru_cache(maxsize=1)
def inline_parser() -> MarkdownIt:
    """A parser for one-line Markdown (summary points, glossary definitions)."""
    md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": False})
    _use_linkify(md)
    _use_term_links(md)
    return md


def render_inline(text: str) -> Fragment:
    """Render inline Markdown to a fragment without a wrapping paragraph."""
    return Fragment.parse(inline_parser().renderInline(text.translate(PRIVATE_MARKS)).strip())


def plain_text(text: str) -> str:
    """Inline Markdown reduced to its visible text (for metadata and bookmarks)."""
    tokens = inline_parser().parseInline(text)
    return "".join(_visible_text(tokens[0].children or [])) if tokens else text


def render_chapter(text: str, chapter_id: str, path: Path, allow_html: bool = False, note_label: str = "Note") -> RenderedMarkdown:
    """Render a chapter's Markdown; its leading ``# `` heading becomes the chapter title."""
    md = block_parser()
    env: dict[str, Any] = {"chapter_id": chapter_id, "note_label": note_label}
    tokens = md.parse(text, env)
    front_matter = tokens.pop(0).content if tokens and tokens[0].type == "front_matter" else ""
    _mark_block_lines(tokens)
    scan = SourceScan(text.splitlines(), path, allow_html)
    scan.walk(md, tokens, env)
    problems: list[Problem] = list(scan.problems)
    titled = bool(FRONT_TITLE.search(front_matter))  # front matter's title stands in for the '# ' heading
    title_tokens, body = _split_title(tokens, path, problems, required=not titled)
    headings = _assign_heading_ids(body, chapter_id, scan.lines, path, problems)
    body_tokens, note_tokens = _split_footnotes(body)
    title_inline = title_tokens[1] if title_tokens else None
    title_id = _title_id(title_tokens, scan.lines, path, problems)
    title_html = md.renderer.renderInline(title_inline.children or [], md.options, env) if title_inline else escape(path.stem)
    result = RenderedMarkdown(
        title="".join(_visible_text(title_inline.children or [])) if title_inline else path.stem,
        title_markup=Fragment.parse(title_html),
        body=join_split_elements(_located(Fragment.parse(md.renderer.render(body_tokens, md.options, env)), scan.raw_references)),
        headings=headings,
        footnotes=_render_footnotes(md, note_tokens, chapter_id, env),
        problems=problems,
        front_matter=front_matter,
        title_id=title_id,
    )
    result.images, result.links = scan.images, scan.links
    result.problems.extend(callout_problems(tokens, scan.lines, path))
    result.problems.extend(footnote_problems(tokens, env, scan.lines, path))
    result.problems.extend(nesting_problems(result.body, path))
    result.problems.extend(_images_without_alt(tokens, path))
    return result


def _mark_block_lines(tokens: list[Token]) -> None:
    """Note on every block where it starts, for the problems later passes find inside it."""
    for token in tokens:
        if token.nesting == 1 and token.map and token.type != "heading_open":
            token.attrSet(LINE, str(token.map[0] + 1))


def callout_problems(tokens: list[Token], lines: list[str], path: Path) -> list[Problem]:
    """A problem for each ':::' line that opens no known callout (it would be printed as text)."""
    problems: list[Problem] = []
    for token in tokens:
        found = CALLOUT_LINE.match(token.content) if token.type == "inline" and token.map else None
        if found is None:
            continue
        line = token.map[0] + 1 if token.map else 1
        column = (lines[line - 1].find(":::") + 1 or 1) if line <= len(lines) else 1
        name = found.group(1)
        if name in PLACE_MARKS and token.content.strip() == f"::: {name}":
            continue
        if not name:
            if not problems:  # the ':::' that would have closed an unknown callout is not a second mistake
                problems.append(Problem(path, line, column, "this ':::' closes no callout; remove it, or open one "
                                                            f"above it with ::: and its kind ({CALLOUT_KINDS})"))
            continue
        problems.append(Problem(path, line, column, f"unknown callout '::: {name}'{_callout_hint(name)}"))
    return problems


def _callout_hint(name: str) -> str:
    """'; did you mean …?' with the callout kind nearest a wrong name, or the kinds listed."""
    close = difflib.get_close_matches(name.lower(), list(CALLOUTS), n=1, cutoff=0.6)
    near = close[0] if close else ("note" if name.lower() in NOTE_LIKE else "")
    return f"; did you mean '::: {near}'? (callouts: {CALLOUT_KINDS})" if near else f"; callouts are {CALLOUT_KINDS}"


def footnote_problems(tokens: list[Token], env: dict[str, Any], lines: list[str], path: Path) -> list[Problem]:
    """A mistyped note call ([^surveys] with no [^surveys]: line) is an error; a note never called, a warning."""
    refs: dict[str, int] = env.get("footnotes", {}).get("refs", {})
    defined = [label[1:] for label in refs]
    problems: list[Problem] = []
    for token in tokens:
        if token.type != "inline" or not token.map:
            continue
        for offset, label in _note_calls(token.content):
            if f":{label}" in refs:
                continue
            line = token.map[0] + 1 + offset
            column = (lines[line - 1].find(f"[^{label}]") + 1 or 1) if line <= len(lines) else 1
            close = difflib.get_close_matches(label, defined, n=1, cutoff=0.6)
            hint = f"; did you mean [^{close[0]}]?" if close else f"; add a line '[^{label}]: the note' at the chapter's end"
            problems.append(Problem(path, line, column, f"footnote [^{label}] has no note: no '[^{label}]:' line defines it{hint}"))
    for label in (label for label, number in refs.items() if number < 0):
        line, column = _definition_place(label[1:], lines)
        problems.append(Problem(path, line, column, f"footnote [^{label[1:]}] is defined but never referenced; "
                                                    f"call it with [^{label[1:]}] in the text, or remove it", warning=True))
    return problems


def _note_calls(content: str) -> list[tuple[int, str]]:
    """Each `[^label]` written in an inline run's source, outside code spans: its line offset and label."""
    without_code = CODE_SPAN.sub(lambda m: " " * len(m.group()), content)
    return [(without_code.count("\n", 0, m.start()), m.group(1)) for m in NOTE_CALL.finditer(without_code)]


def _definition_place(label: str, lines: list[str]) -> tuple[int, int]:
    """The line and column of a note's `[^label]:` definition (1, 1 when not found)."""
    for number, text in enumerate(lines, start=1):
        if text.lstrip().startswith(f"[^{label}]:"):
            return number, len(text) - len(text.lstrip()) + 1
    return 1, 1


def nesting_problems(body: Fragment, path: Path) -> list[Problem]:
    """A problem when elements nest deeper than MAX_DEPTH (found without recursion), at the block that does."""
    depth = 0
    for event, element in etree.iterwalk(body.root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > MAX_DEPTH:
            line = next((int(e.get(LINE, "0")) for e in element.iterancestors() if e.get(LINE)), 1)
            return [Problem(path, line, 1, f"elements are nested more than {MAX_DEPTH} levels deep here "
                                           "(emphasis, quotes or lists inside each other); flatten them")]
    return []


def slugify(text: str) -> str:
    """A readable, ASCII-only id fragment: 'Why Amazon moved now' → 'why-amazon-moved-now'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "section"


def _split_title(tokens: list[Token], path: Path, problems: list[Problem],
                 required: bool = True) -> tuple[list[Token], list[Token]]:
    """Take the leading level-1 heading off the token stream (comments before it are fine);
    report one that is missing or a second one at the top level (inside a quote it is just a heading)."""
    start = 0
    while start < len(tokens) and tokens[start].type == "clean_html" and not tokens[start].content:
        start += 1  # an HTML comment before the title
    first = tokens[start] if start < len(tokens) else None
    has_title = first is not None and first.type == "heading_open" and first.tag == "h1" and len(tokens) >= start + 3
    if not has_title and required:
        line = first.map[0] + 1 if first is not None and first.map else 1
        problems.append(Problem(path, line, 1, "a chapter must begin with a '# ' heading, its title"))
    rest = tokens[start + 3 :] if has_title else tokens
    for token in rest if has_title or not required else ():  # without a title, its absence is the problem
        if token.type == "heading_open" and token.tag == "h1" and token.level == 0 and token.map:
            problems.append(Problem(path, token.map[0] + 1, 1, "only the chapter title may be a '# ' heading; use '## ' for sections"))
    return (tokens[start : start + 3], tokens[:start] + rest) if has_title else ([], tokens)


def _title_id(title_tokens: list[Token], lines: list[str], path: Path, problems: list[Problem]) -> str:
    """The id written at the end of the title heading (taken off the title), or ''."""
    if not title_tokens:
        return ""
    line = title_tokens[0].map[0] + 1 if title_tokens[0].map else 1
    return _explicit_id(title_tokens[1], lines[line - 1] if line <= len(lines) else "", path, line, problems)


def _assign_heading_ids(tokens: list[Token], chapter_id: str, lines: list[str], path: Path,
                        problems: list[Problem]) -> list[Heading]:
    """Give each section heading its author's id or a unique one made from its text; refuse empty ones."""
    seen: set[str] = set()
    counts: dict[str, int] = defaultdict(int)  # per slug, so that many equal headings stay linear
    headings: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        line = token.map[0] + 1 if token.map else 1
        inline = tokens[index + 1]
        explicit = _explicit_id(inline, lines[line - 1] if line <= len(lines) else "", path, line, problems)
        text = "".join(_visible_text(inline.children or [])).strip()
        if not text:
            problems.append(Problem(path, line, 1, "a heading needs text: write it after the '#' marks"))
            continue
        anchor = explicit or _unique(f"{chapter_id}-{heading_slug(text)}", seen, counts)
        seen.add(anchor)
        token.attrSet("id", anchor)
        token.attrSet(LINE, str(line))
        if explicit:
            token.attrSet(COLUMN, str(lines[line - 1].rfind("{") + 1 or 1))
        headings.append(Heading(level=int(token.tag[1]), id=anchor, text=text, explicit=bool(explicit)))
    return headings


def heading_slug(text: str) -> str:
    """The id fragment made from a heading's text, kept clear of the ids generated in a chapter."""
    slug = slugify(text)
    return f"s-{slug}" if GENERATED_SUFFIX.match(slug) else slug


def _unique(base: str, seen: set[str], counts: dict[str, int]) -> str:
    """base, or base-2, base-3 ... whichever is not taken yet."""
    anchor = base
    while anchor in seen:
        counts[base] += 1
        anchor = f"{base}-{counts[base] + 1}"
    return anchor


def _explicit_id(inline: Token, source_line: str, path: Path, line: int, problems: list[Problem]) -> str:
    """The id written as `{#id}` at the end of a heading (taken off its text), or ''."""
    children = inline.children or []
    last = children[-1] if children else None
    found = HEADING_ATTRIBUTES.search(last.content) if last is not None and last.type == "text" else None
    if found is None or last is None:
        return ""
    last.content = last.content[: found.start()]
    inline.content = inline.content[: len(inline.content) - len(found.group())] if inline.content.endswith(found.group()) else inline.content
    anchor = found.group(1)
    column = source_line.rfind("{") + 1 or 1
    if not AUTHOR_ID.match(anchor):
        problems.append(Problem(path, line, column, f"heading id '{anchor}' must start with a letter and hold only letters, digits and - _ . :"))
        return ""
    if GENERATED_ID.match(anchor):
        problems.append(Problem(path, line, column, f"heading id '{anchor}' is reserved for the ids the tool generates; choose another"))
        return ""
    return anchor


def reserved_id(anchor: str) -> bool:
    """Whether an id has the shape of one the tool generates (no author may use it)."""
    return bool(GENERATED_ID.match(anchor))


def _split_footnotes(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """Separate the footnote block the footnote plugin appends from the body."""
    for index, token in enumerate(tokens):
        if token.type == "footnote_block_open":
            return tokens[:index], tokens[index:]
    return tokens, []


def _render_footnotes(md: MarkdownIt, tokens: list[Token], chapter_id: str, env: dict[str, Any]) -> list[Footnote]:
    """Render each footnote's blocks (paragraphs, lists, code, quotes): a note may hold any of them."""
    notes: list[Footnote] = []
    current: list[Token] = []
    number = 0
    for token in tokens:
        if token.type == "footnote_open":
            number, current = token.meta["id"] + 1, []
        elif token.type == "footnote_close":
            notes.append(
                Footnote(
                    number=number,
                    id=f"{chapter_id}-fn{number}",
                    ref_id=f"{chapter_id}-fnref{number}",
                    body=Fragment.parse(md.renderer.render(current, md.options, env).strip()),
                )
            )
        elif token.type not in {"footnote_anchor", "footnote_block_open", "footnote_block_close"}:
            current.append(token)
    return notes


class SourceScan:
    """One pass over a chapter's tokens: finds images, links and raw HTML with their lines.

    Raw HTML is refused (a problem per line) or, when the document allows it, cleaned: a
    raw block is replaced by its cleaned XHTML, and a paragraph holding raw inline HTML is
    rendered, cleaned as a whole and replaced by the result.
    """

    def __init__(self, lines: list[str], path: Path, allow_html: bool) -> None:
        self.lines = lines
        self.path = path
        self.allow_html = allow_html
        self.images: list[Reference] = []
        self.raw_references: list[tuple[str, Reference]] = []  # ("img" or "a", where) of allowed raw HTML
        self.links: list[Reference] = []
        self.problems: list[Problem] = []
        self._refused_lines: set[int] = set()

    def walk(self, md: MarkdownIt, tokens: list[Token], env: dict[str, Any]) -> None:
        """Scan every block and inline token in order."""
        last_line = 1
        for token in tokens:
            last_line = token.map[0] + 1 if token.map else last_line
            if token.type == "html_block":
                self._raw_block(token, last_line)
            elif token.type == "fence":
                self._fence(token, last_line)
            elif token.type == "inline":
                self._inline(md, token, last_line, env)

    def _raw_block(self, token: Token, line: int) -> None:
        """Refuse or clean one block of raw HTML."""
        if sanitize.is_comment(token.content):
            token.type, token.content = "clean_html", ""
        elif not self.allow_html:
            self._refuse(token.content, line)
        else:
            self._raw_references(token.content, line)
            token.type, token.content = "clean_html", _marked_block(token.content)

    def _fence(self, token: Token, line: int) -> None:
        """Check a fenced code block's info string: its attributes, and a language Pygments knows."""
        info = code.parse_info(token.info)
        column = self.lines[line - 1].find(token.info.strip()) + 1 if token.info.strip() and line <= len(self.lines) else 1
        self.problems.extend(Problem(self.path, line, column or 1, message) for message in info.problems)
        if info.language and code.lexer_for(info.language) is None:
            self.problems.append(Problem(self.path, line, column or 1, f"no highlighting for the unknown language "
                                         f"'{info.language}'; the code is shown plain", warning=True))

    def _inline(self, md: MarkdownIt, token: Token, line: int, env: dict[str, Any]) -> None:
        """Record images and links of one inline run; refuse or clean its raw HTML."""
        raw = False
        for child in token.children or []:
            if child.type == xref_syntax.MARK:
                self._mark(child, self._locate(f"@{child.meta['target']}", line))
            elif child.type == "image":
                self.images.append(self._mark(child, self._locate(str(child.attrGet("src") or ""), line)))
            elif child.type == "link_open":
                href = str(child.attrGet("href") or "")
                found = self._locate(href or "()", line)  # an empty link is found by its empty brackets
                self.links.append(self._mark(child, found if href else Reference("", found.line, found.column)))
            elif child.type == "html_inline" and sanitize.is_comment(child.content):
                child.type, child.content = "clean_html", ""
            elif child.type == "html_inline" and not self.allow_html and sanitize.is_plain_text_tag(child.content):
                child.type = "text"  # `Option<T>`: no HTML element, so the author means the characters
            elif child.type == "html_inline" and not self.allow_html and sanitize.is_harmless_tag(child.content):
                raw = True  # <br>, <kbd>, <sup> ... without attributes: cleaned like allowed HTML
            elif child.type == "html_inline":
                raw = True
                self._raw_inline(child, line)
            line += child.content.count("\n") if child.type == "html_inline" else 0
            line += 1 if child.type in {"softbreak", "hardbreak"} else 0
        if raw:
            self._clean_inline(md, token, env)  # what was refused never reaches the output anyway

    @staticmethod
    def _mark(child: Token, found: Reference) -> Reference:
        """Note on a token where it is written, for the passes that check the tree later."""
        child.attrSet(LINE, str(found.line))
        child.attrSet(COLUMN, str(found.column))
        return found

    def _raw_inline(self, child: Token, line: int) -> None:
        """Refuse one piece of inline raw HTML, or note what it references."""
        if self.allow_html:
            self._raw_references(child.content, line)
        else:
            self._refuse(child.content, line)

    def _clean_inline(self, md: MarkdownIt, token: Token, env: dict[str, Any]) -> None:
        """Render the run with its raw HTML, clean the whole, and put the result in its place."""
        keep: list[str] = []  # generated markup (notes, images, links) kept out of the cleaner's reach
        for child in token.children or []:
            child.content = child.content.translate(PRIVATE_MARKS)  # only our placeholders may look like one
        html = md.renderer.renderInline(token.children or [], md.options, {**env, "raw_html": keep})
        restored = _restore(Fragment.parse(sanitize.clean_inline(html)).copy(), keep)
        clean = Token("clean_html", "", 0, content=to_xhtml(restored, positions=True), meta={"text": "".join(restored.itertext())})
        token.children = [clean]

    def _raw_references(self, fragment: str, line: int) -> None:
        """Images and links written in allowed raw HTML, located by line."""
        for ref in sanitize.references(fragment):
            located = self._locate(ref.url, line + ref.line - 1)
            (self.images if ref.kind == "image" else self.links).append(located)
            self.raw_references.append(("img" if ref.kind == "image" else "a", located))

    def _refuse(self, fragment: str, line: int) -> None:
        """One problem per line holding raw HTML."""
        first = fragment.strip().splitlines()[0] if fragment.strip() else fragment
        found = self._locate(first, line)
        if found.line in self._refused_lines:
            return
        self._refused_lines.add(found.line)
        snippet = repr(first if len(first) <= 40 else first[:37] + "...")
        self.problems.append(Problem(self.path, found.line, found.column, RAW_HTML_REFUSED.format(snippet=snippet)))

    def _locate(self, needle: str, line: int) -> Reference:
        """Where a piece of text is written, searching from a line on; the line's start if not found."""
        for number in range(line, min(line + 50, len(self.lines)) + 1):
            column = self.lines[number - 1].find(needle) if needle else -1
            if column >= 0:
                return Reference(needle, number, column + 1)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Reference(needle, line, len(text) - len(text.lstrip()) + 1)


def _marked_block(raw: str) -> str:
    """A raw block cleaned; an element it leaves open marked to take what follows, a close it has alone kept as a mark."""
    left_open, closed_only = sanitize.unbalanced(raw)
    cleaned = sanitize.clean_block(raw)
    if not left_open and not closed_only:
        return cleaned
    root = Fragment.parse(cleaned).copy()
    outer = [e for e in root if e.tag == left_open[0]] if left_open else []
    if outer:
        inner = outer[-1]  # the innermost element left open takes what follows (a <td>, not its <table>)
        for tag in left_open[1:]:
            inner = next((e for e in reversed(list(inner.iter(tag))) if e is not inner), inner)
        inner.set(OPENS, " ".join(left_open))
    for tag in closed_only:
        root.append(etree.Element(CLOSES, {"tag": tag}))
    return to_xhtml(root, positions=True)


def join_split_elements(body: Fragment) -> Fragment:
    """Put back inside an element what an author wrote between its opening and closing HTML blocks.

    The opening block's element (marked data-src-opens) takes every sibling up to the mark of
    its closing block; a mark with no element to close is dropped, and an element never closed
    stays as the cleaner closed it.
    """
    strays = [e for e in body.iter(*NEEDS_PARENT) if (e.getparent().tag if e.getparent() is not None else "") not in NEEDS_PARENT[e.tag]]
    if not strays and not any(True for _ in body.iter(CLOSES)):
        return body
    root = body.copy()
    for parent in [e for e in root.iter() if any(c.tag == CLOSES for c in e)]:
        _join_children(parent)
    for mark in list(root.iter(CLOSES)):
        unwrap(mark)
    for element in root.iter():
        element.attrib.pop(OPENS, None)
    for element in list(root.iter(*NEEDS_PARENT)):  # a stray <li> or <figcaption> would make the EPUB invalid
        if (element.getparent().tag if element.getparent() is not None else "") not in NEEDS_PARENT[element.tag]:
            element.tag = "div"
    return Fragment(root)


def _join_children(parent: Element) -> None:
    """Among one parent's children, move what lies between an opened element and its closing mark into it."""
    waiting: list[Element] = []  # opened elements (possibly deep inside a child), each inside the one before
    for child in list(parent):
        if child.tag == CLOSES and any(child.get("tag") in e.get(OPENS, "").split() for e in waiting):
            while child.get("tag") not in waiting[-1].get(OPENS, "").split():
                waiting.pop()
            waiting.pop()
            parent.remove(child)
            continue
        target = waiting[-1] if waiting else None
        if target is not None and child.tag in ONLY_CHILDREN.get(target.tag, frozenset({child.tag})):
            if target.tail and not target.tail.strip():
                target.tail = None  # the line break after the opening block: inside now
            target.append(child)  # moves the child, with the text after it
        opened = next((e for e in child.iter() if e.get(OPENS)), None)
        if opened is not None:
            waiting.append(opened)


def _located(body: Fragment, raw_references: list[tuple[str, Reference]]) -> Fragment:
    """Give the links and pictures of cleaned raw HTML their source positions (the cleaner drops ours).

    Elements are matched to what the author wrote by URL first, then in order; an element
    whose URL the cleaner removed keeps the URL as written (``data-src-url``), so that the
    passes can say which picture they refuse.
    """
    if not raw_references:
        return body
    waiting: dict[tuple[str, str], deque[Reference]] = defaultdict(deque)
    for tag, ref in raw_references:
        waiting[(tag, ref.url)].append(ref)
    unmatched: list[Element] = []
    for element in body.iter("a", "img"):  # the tree is still being built: nothing else holds it yet
        url = (element.get("href" if element.tag == "a" else "src") or "").strip()
        queue = waiting.get((element.tag, url))
        if element.get(LINE) is not None:
            continue
        if queue:
            _set_position(element, queue.popleft())
        else:
            unmatched.append(element)
    left = {tag: deque(ref for (t, _), refs in waiting.items() if t == tag for ref in refs) for tag in ("a", "img")}
    for element in unmatched:
        if left[element.tag]:
            ref = left[element.tag].popleft()
            _set_position(element, ref)
            element.set(WRITTEN_URL, ref.url)
    return body


def _set_position(element: Element, ref: Reference) -> None:
    """Note on an element where it is written."""
    element.set(LINE, str(ref.line))
    element.set(COLUMN, str(ref.column))


def _restore(root: Element, kept: list[str]) -> Element:
    """Put the set-aside markup back into the cleaned tree, in place of its placeholders.

    Placeholders are found in text nodes only (an author's U+E000 and U+E001 were replaced
    before cleaning, so none can stand in an attribute). A whole element (a note call, a
    picture) goes back where its placeholder is; a link or term mark, set aside as an opening
    and a closing half, wraps what lies between its halves when the cleaned markup left both
    halves side by side, and is dropped (its text kept) when raw HTML crossed it.
    """
    stand_ins = _stand_ins(root)
    for index, stand_in in stand_ins.items():
        if index < len(kept) and _kind(kept[index]) == "whole":
            _replace_keeping_tail(stand_in, Fragment.parse(kept[index]).copy()[0])
    for opening, closing in _pairs(kept):
        start, end = stand_ins.get(opening), stand_ins.get(closing)
        if start is None or end is None:
            continue
        if start.getparent() is end.getparent():
            _wrap_between(start, end, Fragment.parse(kept[opening] + kept[closing]).copy()[0])
        else:
            _drop(start)
            _drop(end)
    for stand_in in (e for e in stand_ins.values() if e.getparent() is not None):
        _drop(stand_in)  # a half whose other half the cleaner removed
    return root


STAND_IN = "kept"  # the element a placeholder becomes while the set-aside markup goes back


def _stand_ins(root: Element) -> dict[int, Element]:
    """Turn each placeholder in the tree's text into an empty stand-in element; them by index."""
    found: dict[int, Element] = {}
    for element in list(root.iter()):
        for tail in (False, True):
            text = element.tail if tail else element.text
            if not text or "\ue000" not in text:
                continue
            pieces = PLACEHOLDER_SPLIT.split(text)  # text, index, text, index, ..., text
            made = []
            for number, after in zip(pieces[1::2], pieces[2::2], strict=True):
                stand_in = etree.Element(STAND_IN)
                stand_in.tail = after
                found[int(number)] = stand_in
                made.append(stand_in)
            if tail:
                element.tail = pieces[0]
                for offset, stand_in in enumerate(made):
                    element.addnext(stand_in) if offset == 0 else made[offset - 1].addnext(stand_in)
            else:
                element.text = pieces[0]
                for offset, stand_in in enumerate(made):
                    element.insert(offset, stand_in)
    return found


def _kind(markup: str) -> str:
    """Set-aside markup is a 'whole' element, an 'opening' half or a 'closing' half."""
    if markup.startswith("</"):
        return "closing"
    if markup.endswith("/>") or "</" in markup:
        return "whole"
    return "opening"


def _pairs(kept: list[str]) -> list[tuple[int, int]]:
    """The (opening, closing) halves of the set-aside markup, innermost first."""
    pairs: list[tuple[int, int]] = []
    open_halves: list[int] = []
    for index, markup in enumerate(kept):
        kind = _kind(markup)
        if kind == "opening":
            open_halves.append(index)
        elif kind == "closing" and open_halves:
            pairs.append((open_halves.pop(), index))
    return pairs


def _replace_keeping_tail(old: Element, new: Element) -> None:
    """Put an element in another's place; the text after the old one follows the new one."""
    new.tail = old.tail
    old.getparent().replace(old, new)


def _wrap_between(start: Element, end: Element, wrapper: Element) -> None:
    """Move everything between two sibling stand-ins into wrapper, which takes their place."""
    parent = start.getparent()
    wrapper.text = start.tail
    for sibling in list(start.itersiblings()):
        if sibling is end:
            break
        wrapper.append(sibling)
    wrapper.tail = end.tail
    parent.replace(start, wrapper)
    parent.remove(end)


def _drop(stand_in: Element) -> None:
    """Remove a stand-in, keeping the text after it."""
    unwrap(stand_in)


def _accept_link(_url: str) -> bool:
    """Let every URL through the parser: the loader refuses the unsafe ones with a located error."""
    return True


def _placeholder(index: int) -> str:
    """Private-use characters standing for generated markup while raw HTML is cleaned."""
    return f"\ue000{index}\ue001"


def _images_without_alt(tokens: list[Token], path: Path) -> list[Problem]:
    """A problem for each image with no alt text that is not marked decorative."""
    problems: list[Problem] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "image" and not _alt_text(child) and not _is_decorative(child):
                src = child.attrGet("src") or ""
                problems.append(Problem(
                    path, token.map[0] + 1 if token.map else 1, 1,
                    f"image '{src}' has no alt text: describe it, ![what it shows]({src}), "
                    f'or mark it decorative, ![]({src} "decorative")',
                ))
    return problems


def _alt_text(image: Token) -> str:
    """The alt text of an image token: the visible text of its description."""
    return "".join(_visible_text(image.children or [])).strip()


def _is_decorative(image: Token) -> bool:
    """An image with an empty description and the title "decorative" carries no information."""
    return not _alt_text(image) and str(image.attrGet("title") or "").strip().lower() == DECORATIVE


def _visible_text(children: Sequence[Token]) -> list[str]:
    """The text a reader sees in a run of inline tokens."""
    parts: list[str] = []
    for child in children:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "clean_html":
            parts.append(child.meta.get("text", ""))
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.children:
            parts.extend(_visible_text(child.children))
    return parts


def _callout_named(name: str) -> Any:
    """A container's test of its opening line: the callout's name, in any case (`::: Note` is a note)."""

    def validate(params: str, *_args: Any) -> bool:
        words = params.split()
        return bool(words) and words[0].lower() == name

    return validate


def _callout_renderer(open_tag: str, close_tag: str) -> Any:
    """A container render rule that emits fixed opening and closing markup."""

    def render(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: Any) -> str:
        return open_tag.format(note=escape(env.get("note_label", "Note"))) if tokens[idx].nesting == 1 else close_tag

    return render


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: dict[str, Any]) -> str:
    """A footnote marker: a numbered noteref link, marked up for EPUB pop-up notes."""
    meta = tokens[idx].meta
    number = meta["id"] + 1
    if "raw_html" in env:
        return _kept(env, _render_footnote_ref(self, tokens, idx, _options, {"chapter_id": env["chapter_id"]}))
    chapter_id = env["chapter_id"]
    # Only the first reference to a note carries the back-link target id.
    ref_id = f' id="{chapter_id}-fnref{number}"' if meta.get("subId", 0) == 0 else ""
    return f'<a class="noteref" role="doc-noteref"{ref_id} href="#{chapter_id}-fn{number}">{number}</a>'



def _render_fence(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """A fenced code block, highlighted for its language (see generator/code.py)."""
    token = tokens[idx]
    return code.render_block(token.content, code.parse_info(token.info))


def _render_code_block(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """An indented code block: a code block without a language."""
    return code.render_block(tokens[idx].content, code.CodeInfo())


def _render_code_inline(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: dict[str, Any]) -> str:
    """Inline code, never broken at a hyphen; set aside while raw HTML around it is cleaned."""
    markup = code.render_inline(tokens[idx].content)
    return _kept(env, markup) if "raw_html" in env else markup


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """An image; set aside behind a placeholder while raw HTML around it is cleaned."""
    markup = _image_markup(tokens[idx])
    return _kept(env, markup) if "raw_html" in env else markup


def _image_markup(token: Token) -> str:
    """An image with its alt text from the Markdown description; decorative ones are hidden, a figure's title is its caption."""
    src = str(token.attrGet("src") or "")
    where = "".join(f' {name}="{escape(str(token.attrGet(name)))}"' for name in (LINE, COLUMN) if token.attrGet(name))
    if _is_decorative(token):
        return f'<img src="{escape(src)}" alt="" role="presentation"{where} />'
    alt = escape("".join(_visible_text(token.children or [])))
    title = token.attrGet("title")
    if token.meta.get("figure"):
        caption = escape(str(title)) if title else alt  # a numbered figure without a title: its description
        return f'<img src="{escape(src)}" alt="{alt}"{where} />\n<figcaption>{caption}</figcaption>'
    title_attr = f' title="{escape(str(title))}"' if title else ""
    return f'<img src="{escape(src)}" alt="{alt}"{title_attr}{where} />'


def _figure_image(tokens: Sequence[Token], idx: int) -> Token | None:
    """The image of a paragraph that holds nothing but one titled image (a figure), else None."""
    paragraph = tokens[idx]
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    if paragraph.hidden or inline is None or inline.type != "inline":
        return None
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    if len(children) == 1 and children[0].type == "image" and (children[0].attrGet("title") or children[0].meta.get(xref_syntax.FIGURE_ID)) \
            and not _is_decorative(children[0]):
        return children[0]
    return None


def _render_paragraph_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A paragraph, or a figure when it holds only a titled image (the title becomes the caption)."""
    image = _figure_image(tokens, idx)
    if image is None:
        return str(self.renderToken(tokens, idx, options, env))
    image.meta["figure"] = True
    tokens[idx + 2].meta["figure"] = True  # the paragraph_close: a paragraph is always open, inline, close
    anchor = image.meta.get(xref_syntax.FIGURE_ID)
    return f'<figure class="figure" id="{escape(anchor)}">\n' if anchor else '<figure class="figure">\n'


def _render_paragraph_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """Close what the matching paragraph_open opened."""
    if tokens[idx].meta.get("figure"):
        return "</figure>\n"
    return str(self.renderToken(tokens, idx, options, env))


def _use_linkify(md: MarkdownIt) -> None:
    """Make a bare web address in the text a link (https://… and http://… only, never a bare
    domain such as example.org, which could be a name), and mark every link that shows its own address."""
    md.options["linkify"] = True
    md.enable("linkify")
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    for schema in ("//", "ftp:", "mailto:"):  # `//host` and ftp: are refused links; a bare mailto: stays text
        md.linkify.add(schema, None)
    md.core.ruler.push("self_addressed_links", _mark_self_addressed_links)


def _mark_self_addressed_links(state: StateCore) -> None:
    """Class 'address' on each link whose text is its own address, with or without the scheme
    (`<https://x>`, a bare address, `[https://x](https://x)`): the print adds no note repeating it."""
    for block in state.tokens:
        children = block.children or [] if block.type == "inline" else []
        for index, child in enumerate(children):
            if child.type == "link_open" and _shows_its_address(child, children[index + 1:]):
                child.attrJoin("class", ADDRESS_CLASS)


def _shows_its_address(link: Token, rest: list[Token]) -> bool:
    """Whether the text up to a link's end is its href (the scheme and a final '/' may be left out)."""
    href = str(link.attrGet("href") or "")
    text: list[str] = []
    for token in rest:
        if token.type == "link_close":
            break
        text.append(token.content if token.type in {"text", "code_inline"} else "")
    shown = unquote("".join(text).strip()).rstrip("/")
    address = unquote(href).rstrip("/")
    return bool(shown) and href.lower().startswith(("http://", "https://")) and shown in {address, address.split("://", 1)[-1]}


def _use_term_links(md: MarkdownIt) -> None:
    """Render `[text](term:NAME)` as a term mark for the glossary pass instead of a link."""
    md.core.ruler.push("term_links", _mark_term_links)
    md.add_render_rule("term_open", _render_term_open)
    md.add_render_rule("term_close", _render_term_close)


def _mark_term_links(state: StateCore) -> None:
    """Retype links to `term:` as term_open/term_close, noting the name and the source line and column."""
    lines = state.src.splitlines()
    for block in state.tokens:
        if block.type == "inline" and block.children:
            _mark_term_links_in(block.children, block.map[0] if block.map else 0, lines)


def _mark_term_links_in(children: list[Token], line: int, lines: list[str]) -> None:
    """Retype the term links of one inline run; `line` is the zero-based line the run starts on."""
    is_term: list[bool] = []
    seen_on_line: dict[int, int] = defaultdict(int)
    for child in children:
        if child.type in {"softbreak", "hardbreak"}:
            line += 1
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            is_term.append(href.lower().startswith(TERM_SCHEME))
            if is_term[-1]:
                column = _term_column(lines[line] if line < len(lines) else "", seen_on_line[line])
                seen_on_line[line] += 1
                child.type = "term_open"
                child.meta = {"term": unquote(href[len(TERM_SCHEME):]).strip(), "line": line + 1, "column": column}
        elif child.type == "link_close" and is_term:
            if is_term.pop():
                child.type = "term_close"


def _term_column(source_line: str, index: int) -> int:
    """One-based column of the index-th `term:` link target on a source line (1 when not found)."""
    found = list(TERM_IN_SOURCE.finditer(source_line))
    return found[index].end() - len(TERM_SCHEME) + 1 if index < len(found) else 1


def _render_term_open(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """A term mark: the glossary pass turns it into a glossary link (or plain text for `term:-`)."""
    meta = tokens[idx].meta
    return f'<span class="term-mark" data-term="{escape(meta["term"])}" {LINE}="{meta["line"]}" {COLUMN}="{meta["column"]}">'


def _render_term_close(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """The end of a term mark."""
    return "</span>"


def _kept_in_raw(rule: Any) -> Any:
    """A render rule whose markup is set aside (behind a placeholder) while raw HTML around it is cleaned."""

    def render(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        markup = str(rule(self, tokens, idx, options, env))
        return _kept(env, markup) if "raw_html" in env else markup

    return render


def _kept(env: dict[str, Any], markup: str) -> str:
    """Set generated markup aside while raw HTML around it is cleaned; return its placeholder."""
    env["raw_html"].append(markup)
    return _placeholder(len(env["raw_html"]) - 1)


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A link's opening tag, with its href, title and source position."""
    return str(self.renderToken(tokens, idx, options, env))


def _render_link_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A link's end tag."""
    return "</a>"


def _render_raw_html(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: dict[str, Any]) -> str:
    """Raw HTML as written: only while a run is being cleaned; otherwise shown as text, never as markup."""
    content = tokens[idx].content
    return content if "raw_html" in env else escape(content)


def _render_clean_html(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """Raw HTML that the cleaner has already reduced to safe XHTML."""
    return tokens[idx].content
