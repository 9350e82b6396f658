"""Code blocks: a fenced block's info string read, its text highlighted by Pygments, as XHTML.

A fence's info string is the language, optionally followed by Pandoc-style attributes::

    ```python {.numberLines startFrom=10 highlight=2,4-5}

(``{.python .numberLines}`` works too, Pandoc's other spelling). The block becomes

    <pre class="code" data-lang="python"><code><span class="line"><span class="k">def</span> f():
    </span>...</code></pre>

one ``span.line`` per source line, each ending with its own newline, so that the text of the
tree is the code exactly and each writer's stylesheet can lay lines out on their own (the
PDF wraps a long line under a continuation mark; the EPUB and the web page scroll). Tokens
carry Pygments' short class names (``k``, ``s``, ``c1``...), the same in every output; the
stylesheets give them their look. Line numbers are ``data-line`` on each line, highlighted
lines have the class ``hl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pygments is imported when a document has code, not by every build
    from pygments.lexer import Lexer
    from pygments.token import _TokenType

# `{...}` at the end of the info string: Pandoc's attribute syntax.
ATTRIBUTE_BLOCK = re.compile(r"\{([^{}]*)\}\s*$")
ATTRIBUTE = re.compile(r"""\.([A-Za-z][\w-]*)|([A-Za-z][\w-]*)=("[^"]*"|'[^']*'|[^\s"']+)|(\S+)""")
LINE_RANGE = re.compile(r"^([0-9]+)(?:-([0-9]+))?$")
# The attributes a code block understands: classes, then key=value attributes.
CLASSES = {"numberLines": "number the lines", "number-lines": "number the lines"}
KEYS = {"startFrom": "the first line's number", "start-from": "the first line's number",
        "highlight": "lines to highlight, e.g. 2,4-5"}
MAX_LINE_NUMBER = 10**6


@dataclass
class CodeInfo:
    """What a fence's info string asks for."""

    language: str = ""
    numbered: bool = False
    start: int = 1
    highlight: frozenset[int] = frozenset()
    problems: list[str] = field(default_factory=list)  # each a message; the caller adds the place


def parse_info(info: str) -> CodeInfo:
    """Read a fence's info string: ``python``, ``python {.numberLines}``, ``{.python startFrom=3}``."""
    result = CodeInfo()
    found = ATTRIBUTE_BLOCK.search(info)
    words = (info[: found.start()] if found else info).split()
    # CommonMark: the first word names the language; words after it are the author's own (ignored).
    if words and found is None and "{" in words[0]:
        result.problems.append(f"code block info {info.strip()!r}: write the language, then attributes in braces, "
                               "e.g. ```python {.numberLines}")
    result.language = words[0] if words else ""
    if found:
        _read_attributes(found.group(1), result)
    return result


def _read_attributes(text: str, result: CodeInfo) -> None:
    """Fill in the classes and key=value attributes of a `{...}` block; note every unknown one."""
    for match in ATTRIBUTE.finditer(text):
        name, key, value, stray = match.groups()
        if name in CLASSES:
            result.numbered = True
        elif name and not result.language:
            result.language = name  # {.python .numberLines}
        elif key in {"startFrom", "start-from"}:
            _read_start(value.strip("\"'"), result)
        elif key == "highlight":
            _read_highlight(value.strip("\"'"), result)
        else:
            written = name and f".{name}" or key or stray
            valid = ", ".join([f".{c}" for c in CLASSES] + list(KEYS))
            result.problems.append(f"unknown code block attribute '{written}' (known: {valid})")


def _read_start(value: str, result: CodeInfo) -> None:
    """The number of the first line (numbering implied)."""
    if value.isdigit() and int(value) <= MAX_LINE_NUMBER:
        result.start, result.numbered = int(value), True
    else:
        result.problems.append(f"startFrom={value} must be a whole number up to {MAX_LINE_NUMBER}")


def _read_highlight(value: str, result: CodeInfo) -> None:
    """Lines to highlight, by the numbers they are shown with (from startFrom on): 2,4-5."""
    lines: set[int] = set()
    for part in filter(None, value.split(",")):
        found = LINE_RANGE.match(part.strip())
        first, last = (int(found.group(1)), int(found.group(2) or found.group(1))) if found else (0, -1)
        if not found or first < 1 or last < first or last - first > MAX_LINE_NUMBER:
            result.problems.append(f"highlight={value}: give line numbers and ranges, e.g. highlight=2,4-5")
            return
        lines.update(range(first, last + 1))
    result.highlight = frozenset(lines)


@lru_cache(maxsize=64)
def lexer_for(language: str) -> Lexer | None:
    """Pygments' lexer for a language name or alias, or None when it knows none."""
    if not language:
        return None
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=True, tabsize=0)
    except ClassNotFound:
        return None


# The token classes templates/print/print.css gives a look of their own: the classes named, and
# every class that starts with one of the prefixes ([class^="k"] and the like). The PDF leaves
# the other tokens' spans out (generator/writers/pdf.py, plain_tokens): a span is a box and a
# text run for WeasyPrint, and those of names, punctuation and operators, drawn as plain code,
# were a fifth of a technical book's layout. tests/test_code.py reads print.css to keep this true.
PRINT_STYLED_PREFIXES = ("k", "c", "s", "m")
PRINT_STYLED_TOKENS = frozenset({"ow", "nt", "nb", "bp", "sd", "dl", "il", "nf", "fm", "nc", "nn", "nd", "ne", "na",
                                 "gd", "gi", "gh", "gu", "err"})


def styled_in_print(name: str) -> bool:
    """Whether print.css gives the token class ``name`` a look of its own."""
    return name.startswith(PRINT_STYLED_PREFIXES) or name in PRINT_STYLED_TOKENS


def token_class(kind: _TokenType) -> str:
    """Pygments' short CSS class of a token type (its nearest named ancestor's); '' for plain text."""
    from pygments.token import STANDARD_TYPES

    while kind not in STANDARD_TYPES:
        kind = kind.parent
    return STANDARD_TYPES[kind]


def code_lines(code: str, language: str) -> list[list[tuple[str, str]]]:
    """The code as lines of (class, text) runs; every line but a missing last one ends in '\\n'."""
    lexer = lexer_for(language)
    runs = lexer.get_tokens(code) if lexer else [(None, code)]
    lines: list[list[tuple[str, str]]] = [[]]
    for kind, text in runs:
        name = token_class(kind) if kind is not None else ""
        name = "" if name == "w" else name  # whitespace needs no class
        for piece in re.split(r"(?<=\n)", text):
            if piece and lines[-1] and lines[-1][-1][0] == name and not lines[-1][-1][1].endswith("\n"):
                lines[-1][-1] = (name, lines[-1][-1][1] + piece)  # one span for a run of one kind
            elif piece:
                lines[-1].append((name, piece))
            if piece.endswith("\n"):
                lines.append([])
    if not lines[-1]:
        lines.pop()
    if lexer and not code.endswith("\n") and lines and lines[-1][-1][1].endswith("\n"):
        _drop_added_newline(lines)
    return lines


def _drop_added_newline(lines: list[list[tuple[str, str]]]) -> None:
    """Take off the newline Pygments adds at the end (ensurenl), so the text stays as written."""
    name, text = lines[-1][-1]
    lines[-1][-1] = (name, text[:-1])
    if not lines[-1][-1][1]:
        lines[-1].pop()


def render_block(code: str, info: CodeInfo) -> str:
    """A code block as XHTML: ``pre.code`` > ``code`` > one ``span.line`` per line."""
    classes = "code numbered" if info.numbered else "code"
    lang = f' data-lang="{escape(info.language)}"' if info.language else ""
    rows = []
    for number, runs in enumerate(code_lines(code, info.language), start=1):
        shown = info.start + number - 1
        attributes = ' class="line hl"' if shown in info.highlight else ' class="line"'
        if info.numbered:
            attributes += f' data-line="{shown}"'
        content = "".join(f'<span class="{name}">{escape(text, quote=False)}</span>' if name else escape(text, quote=False)
                          for name, text in runs)
        rows.append(f"<span{attributes}>{content}</span>")
    return f'<pre class="{classes}"{lang}><code>{"".join(rows)}</code></pre>\n'


def render_inline(code: str) -> str:
    """Inline code as XHTML: each word holding a hyphen kept whole, so a line never breaks at it."""
    pieces = re.split(r"(\s+)", code)
    words = (f'<span class="nobreak">{escape(p, quote=False)}</span>' if "-" in p and not p.isspace()
             else escape(p, quote=False) for p in pieces if p)
    return f"<code>{''.join(words)}</code>"
