"""The Markdown syntax of numbered figures, tables and cross-references (markdown-it rules).

Pandoc's and Quarto's syntax, so that a chapter reads the same in either tool:

- ``![Caption](images/x.png){#fig-routes}``: a picture alone in its paragraph with an id
  beginning ``fig-`` is a numbered figure; its caption is the title when it has one, else its
  description;
- a line ``: Caption {#tbl-costs}`` directly after a table (or after one blank line) is that
  table's caption, its id beginning ``tbl-``; without an id the caption is not numbered;
- ``@fig-routes``, ``@tbl-costs``, ``@sec-why-now``: a reference, marked here as a span for the
  cross-reference pass (generator/xref.py), which numbers and links it. An ``@`` after a letter,
  digit or ``.``/``_``/``-``/``+`` is not a reference, so ``a@fig-x.org`` stays an address.

Only the prefixed keys are handled here; a bare ``@key`` is left to the citations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator.tree import COLUMN, LINE

MARK = "xref_mark"  # the inline token of one reference
FIGURE_ID = "figure_id"  # an image token's meta: the id of its numbered figure
PREFIXES = ("fig", "tbl", "sec")
REFERENCE = re.compile(r"@((?:fig|tbl|sec)-[A-Za-z0-9](?:[A-Za-z0-9_:.-]*[A-Za-z0-9_])?)")
NOT_BEFORE = frozenset("._-+")  # a reference never follows these (nor a letter or digit): e-mail addresses
FIGURE_ATTRIBUTES = re.compile(r"^\{\s*#(fig-[A-Za-z0-9_:.-]+)\s*\}$")
CAPTION = re.compile(r"^:\s+(.*?)(?:\s*\{\s*#(tbl-[A-Za-z0-9_:.-]+)\s*\})?\s*$", re.DOTALL)
Rule = Callable[..., str]


def use(md: MarkdownIt, kept_in_raw: Callable[[Rule], Rule]) -> None:
    """Add the reference syntax, figure ids and table captions to a parser."""
    md.inline.ruler.before("emphasis", "xref", _reference)
    md.core.ruler.push("xref_figures", _figure_ids)
    md.core.ruler.push("xref_captions", _table_captions)
    md.add_render_rule(MARK, kept_in_raw(_render_mark))
    md.add_render_rule("table_open", _render_table_open)


def _reference(state: StateInline, silent: bool) -> bool:
    """``@fig-…``, ``@tbl-…`` or ``@sec-…`` not preceded by a word character: a reference mark."""
    if state.src[state.pos] != "@":
        return False
    before = state.src[state.pos - 1] if state.pos > 0 else " "
    if before.isalnum() or before in NOT_BEFORE:
        return False
    found = REFERENCE.match(state.src, state.pos)
    if found is None:
        return False
    if not silent:
        token = state.push(MARK, "span", 0)
        token.meta = {"target": found.group(1)}
    state.pos = found.end()
    return True


def _render_mark(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    """A reference as a span the cross-reference pass replaces, with where it is written."""
    token = tokens[idx]
    target = escape(token.meta["target"])
    where = "".join(f' {name}="{escape(str(token.attrGet(name)))}"' for name in (LINE, COLUMN) if token.attrGet(name))
    return f'<span class="xref-mark" data-xref="{target}"{where}>@{target}</span>'


def _figure_ids(state: StateCore) -> None:
    """Take ``{#fig-…}`` off the end of a paragraph that holds one picture and note it on the picture."""
    for block in state.tokens:
        children = block.children or []
        if block.type != "inline" or len(children) != 2 or children[0].type != "image":
            continue
        found = FIGURE_ATTRIBUTES.match(children[1].content.strip()) if children[1].type == "text" else None
        if found:
            children[0].meta[FIGURE_ID] = found.group(1)
            block.children = children[:1]


def _table_captions(state: StateCore) -> None:
    """Move a ``: Caption {#tbl-…}`` line after a table into the table."""
    tokens = state.tokens
    index = 0
    while index < len(tokens):
        if tokens[index].type == "table_close":
            _caption_from_paragraph(tokens, index) or _caption_from_last_row(tokens, index)
        index += 1


def _caption_from_paragraph(tokens: list[Token], close: int) -> bool:
    """The caption written as its own paragraph after the table (a blank line between)."""
    if close + 3 >= len(tokens) or tokens[close + 1].type != "paragraph_open":
        return False
    found = CAPTION.match(tokens[close + 2].content)
    if found is None:
        return False
    _set_caption(_table_open(tokens, close), tokens[close + 2], found)
    del tokens[close + 1 : close + 4]
    return True


def _caption_from_last_row(tokens: list[Token], close: int) -> bool:
    """The caption written on the line right after the table, which markdown-it takes for a last row."""
    row_open = max(i for i in range(close) if tokens[i].type == "tr_open")
    cells = [t for t in tokens[row_open:close] if t.type == "inline"]
    found = CAPTION.match(cells[0].content) if cells else None
    if found is None or any(c.content.strip() for c in cells[1:]) or tokens[row_open - 1].type == "thead_open":
        return False
    _set_caption(_table_open(tokens, close), cells[0], found)
    row_close = next(i for i in range(row_open, close) if tokens[i].type == "tr_close")
    del tokens[row_open : row_close + 1]
    return True


def _table_open(tokens: list[Token], close: int) -> Token:
    """The table_open of the table that closes at ``close``."""
    return next(tokens[i] for i in range(close, -1, -1) if tokens[i].type == "table_open")


def _set_caption(table: Token, inline: Token, found: re.Match[str]) -> None:
    """Note the caption's inline content and id on the table's opening token."""
    children = list(inline.children or [])
    if children and children[0].type == "text":
        children[0].content = re.sub(r"^:\s+", "", children[0].content)
    if found.group(2) and children and children[-1].type == "text":
        children[-1].content = re.sub(r"\s*\{\s*#tbl-[^}]*\}\s*$", "", children[-1].content)
    table.meta["caption"] = children
    if found.group(2):
        table.attrSet("id", found.group(2))


def _render_table_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A table's opening tag, followed by its caption when it has one."""
    token = tokens[idx]
    markup = str(self.renderToken(tokens, idx, options, env))
    caption = token.meta.get("caption")
    if caption is None:
        return markup
    return f"{markup}<caption>{self.renderInline(caption, options, env)}</caption>\n"
