"""Markdown to XHTML fragments: CommonMark plus footnotes, tables, definition lists and callouts.

The output is well-formed XHTML (it goes into EPUB content documents unchanged), with
heading ids prefixed by the chapter id so that they stay unique when every chapter is
rendered into one HTML file for the PDF.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from generator.errors import Problem
from generator.model import Footnote, Heading

CALLOUTS: dict[str, tuple[str, str]] = {
    # name: (opening tag, closing tag)
    "note": ('<aside class="callout note" role="note">\n<p class="callout-label">Note</p>\n', "</aside>\n"),
    "keyfigure": ('<div class="callout keyfigure">\n', "</div>\n"),
    "quote": ('<blockquote class="callout pullquote">\n', "</blockquote>\n"),
}
# A link to `term:NAME` forces a glossary link; `term:-` suppresses one (see README, "Glossary").
TERM_SCHEME = "term:"
NO_TERM = "-"
TERM_IN_SOURCE = re.compile(r"\(\s*<?term:", re.IGNORECASE)

DECORATIVE = "decorative"  # the image title that marks an image with no alt text as decorative


@dataclass
class RenderedMarkdown:
    """What one chapter's Markdown turns into."""

    title: str
    title_html: str
    html: str
    headings: list[Heading] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    images: list[tuple[str, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@lru_cache(maxsize=1)
def block_parser() -> MarkdownIt:
    """The one configured parser for chapters (built once per process)."""
    md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": False, "typographer": False})
    md.enable("table")
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    for name, (open_tag, close_tag) in CALLOUTS.items():
        md.use(container_plugin, name, render=_callout_renderer(open_tag, close_tag))
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    _use_term_links(md)
    return md


@lru_cache(maxsize=1)
def inline_parser() -> MarkdownIt:
    """A parser for one-line Markdown (summary points, glossary definitions)."""
    md = MarkdownIt("commonmark", {"xhtmlOut": True, "html": False})
    _use_term_links(md)
    return md


def render_inline(text: str) -> str:
    """Render inline Markdown to an XHTML fragment without a wrapping paragraph."""
    return inline_parser().renderInline(text).strip()


def plain_text(text: str) -> str:
    """Inline Markdown reduced to its visible text (for metadata and bookmarks)."""
    tokens = inline_parser().parseInline(text)
    return "".join(_visible_text(tokens[0].children or [])) if tokens else text


def render_chapter(text: str, chapter_id: str, path: Path) -> RenderedMarkdown:
    """Render a chapter's Markdown; its leading ``# `` heading becomes the chapter title."""
    md = block_parser()
    env: dict[str, Any] = {"chapter_id": chapter_id}
    tokens = md.parse(text, env)
    problems: list[Problem] = []
    title_tokens, body = _split_title(tokens, path, problems)
    headings = _assign_heading_ids(body, chapter_id)
    body_tokens, note_tokens = _split_footnotes(body)
    title_inline = title_tokens[1] if title_tokens else None
    result = RenderedMarkdown(
        title="".join(_visible_text(title_inline.children or [])) if title_inline else path.stem,
        title_html=md.renderer.renderInline(title_inline.children or [], md.options, env) if title_inline else escape(path.stem),
        html=md.renderer.render(body_tokens, md.options, env),
        headings=headings,
        footnotes=_render_footnotes(md, note_tokens, chapter_id, env),
        problems=problems,
    )
    result.images = _image_sources(tokens)
    result.problems.extend(_images_without_alt(tokens, path))
    return result


def slugify(text: str) -> str:
    """A readable, ASCII-only id fragment: 'Why Amazon moved now' → 'why-amazon-moved-now'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "section"


def _split_title(tokens: list[Token], path: Path, problems: list[Problem]) -> tuple[list[Token], list[Token]]:
    """Take the leading level-1 heading off the token stream; report one that is missing or repeated."""
    if len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        line = tokens[0].map[0] + 1 if tokens and tokens[0].map else 1
        problems.append(Problem(path, line, 1, "a chapter must begin with a '# ' heading, its title"))
        return [], tokens
    for token in tokens[3:]:
        if token.type == "heading_open" and token.tag == "h1" and token.map:
            problems.append(Problem(path, token.map[0] + 1, 1, "only the chapter title may be a '# ' heading; use '## ' for sections"))
    return tokens[:3], tokens[3:]


def _assign_heading_ids(tokens: list[Token], chapter_id: str) -> list[Heading]:
    """Give each section heading a unique id, prefixed by the chapter id."""
    seen: set[str] = set()
    headings: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = "".join(_visible_text(tokens[index + 1].children or []))
        base = f"{chapter_id}-{slugify(text)}"
        anchor, n = base, 1
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        token.attrSet("id", anchor)
        headings.append(Heading(level=int(token.tag[1]), id=anchor, text=text))
    return headings


def _split_footnotes(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """Separate the footnote block the footnote plugin appends from the body."""
    for index, token in enumerate(tokens):
        if token.type == "footnote_block_open":
            return tokens[:index], tokens[index:]
    return tokens, []


def _render_footnotes(md: MarkdownIt, tokens: list[Token], chapter_id: str, env: dict[str, Any]) -> list[Footnote]:
    """Render each footnote's paragraphs as inline XHTML (paragraphs joined by line breaks)."""
    notes: list[Footnote] = []
    current: list[str] = []
    number = 0
    for token in tokens:
        if token.type == "footnote_open":
            number, current = token.meta["id"] + 1, []
        elif token.type == "inline":
            current.append(md.renderer.renderInline(token.children or [], md.options, env))
        elif token.type == "footnote_close":
            notes.append(
                Footnote(
                    number=number,
                    id=f"{chapter_id}-fn{number}",
                    ref_id=f"{chapter_id}-fnref{number}",
                    html="<br />".join(current),
                )
            )
    return notes


def _image_sources(tokens: list[Token]) -> list[tuple[str, int]]:
    """Every image source in the chapter with the line it is written on."""
    found: list[tuple[str, int]] = []
    for token in tokens:
        line = token.map[0] + 1 if token.map else 0
        for child in token.children or []:
            if child.type == "image":
                found.append((str(child.attrGet("src") or ""), line))
    return found


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
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.children:
            parts.extend(_visible_text(child.children))
    return parts


def _callout_renderer(open_tag: str, close_tag: str) -> Any:
    """A container render rule that emits fixed opening and closing markup."""

    def render(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
        return open_tag if tokens[idx].nesting == 1 else close_tag

    return render


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, _options: Any, env: dict[str, Any]) -> str:
    """A footnote marker: a numbered noteref link, marked up for EPUB pop-up notes."""
    meta = tokens[idx].meta
    number = meta["id"] + 1
    chapter_id = env["chapter_id"]
    # Only the first reference to a note carries the back-link target id.
    ref_id = f' id="{chapter_id}-fnref{number}"' if meta.get("subId", 0) == 0 else ""
    return (
        f'<a class="noteref" epub:type="noteref" role="doc-noteref"{ref_id} '
        f'href="#{chapter_id}-fn{number}">{number}</a>'
    )


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """An image with its alt text from the Markdown description; decorative ones are hidden, a figure's title is its caption."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if _is_decorative(token):
        return f'<img src="{escape(src)}" alt="" role="presentation" />'
    alt = escape("".join(_visible_text(token.children or [])))
    title = token.attrGet("title")
    if token.meta.get("figure"):
        return f'<img src="{escape(src)}" alt="{alt}" />\n<figcaption>{escape(str(title))}</figcaption>'
    title_attr = f' title="{escape(str(title))}"' if title else ""
    return f'<img src="{escape(src)}" alt="{alt}"{title_attr} />'


def _figure_image(tokens: Sequence[Token], idx: int) -> Token | None:
    """The image of a paragraph that holds nothing but one titled image (a figure), else None."""
    paragraph = tokens[idx]
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    if paragraph.hidden or inline is None or inline.type != "inline":
        return None
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    if len(children) == 1 and children[0].type == "image" and children[0].attrGet("title") and not _is_decorative(children[0]):
        return children[0]
    return None


def _render_paragraph_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A paragraph, or a figure when it holds only a titled image (the title becomes the caption)."""
    image = _figure_image(tokens, idx)
    if image is None:
        return str(self.renderToken(tokens, idx, options, env))
    image.meta["figure"] = True
    tokens[idx + 2].meta["figure"] = True  # the paragraph_close: a paragraph is always open, inline, close
    return '<figure class="figure">\n'


def _render_paragraph_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """Close what the matching paragraph_open opened."""
    if tokens[idx].meta.get("figure"):
        return "</figure>\n"
    return str(self.renderToken(tokens, idx, options, env))


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
    return (
        f'<span class="term-mark" data-term="{escape(meta["term"])}" '
        f'data-line="{meta["line"]}" data-column="{meta["column"]}">'
    )


def _render_term_close(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """The end of a term mark."""
    return "</span>"
