"""Code blocks and wide content: highlighting, the monospace font, long lines, wide tables, pictures in cells.

The fixture tests/fixtures/code-wide/ (code in Python, Rust and shell, a compiler message, an
indented block, inline code with hyphens, a 12-column table with a picture in a cell, a
landscape table) is built once in every format by the real command.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from generator.code import parse_info, render_block
from generator.markdown import render_chapter
from tests.conftest import FIXTURES, run_generator
from tests.helpers import NS, pdf_text

CASE = "code-wide"
SHELL_LINE = ("curl --silent --show-error --fail --location --retry 3 --output build/release-archive-2026.tar.gz "
              "https://example.org/downloads/releases/2026/release-archive-2026.tar.gz && echo LONG-LINE-END")
CARETS = "main.c:3:14: error: expected ';' before 'return'\n    3 |     int x = 1\n      |              ^\n      |              ;\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture as PDF (with its print HTML), EPUB and web page."""
    out = tmp_path_factory.mktemp("code-wide")
    for command in (["all", "--keep-html"], ["html"]):
        result = run_generator(command[0], CASE, "--source", str(FIXTURES), "--out", str(out), *command[1:])
        assert result.returncode == 0, result.stderr
    return out


def chapter_xhtml(built: Path, name: str) -> etree._Element:
    """One chapter of the EPUB, parsed as XML."""
    with zipfile.ZipFile(built / f"{CASE}.epub") as archive:
        return etree.fromstring(archive.read(f"EPUB/{name}"))


def web_page(built: Path) -> etree._Element:
    """The web page parsed as HTML."""
    return etree.parse(str(built / f"{CASE}.html"), etree.HTMLParser()).getroot()


def test_fence_highlighted_with_short_pygments_classes() -> None:
    """A fenced block becomes pre.code with its language, one span.line per line and Pygments' short classes."""
    body = render_chapter("# T\n\n```python\ndef f():\n    return 1  # one\n```\n", "ch1", Path("t.md")).body
    pre = next(body.iter("pre"))
    assert pre.get("class") == "code" and pre.get("data-lang") == "python"
    lines = pre.findall("code/span")
    assert [line.get("class") for line in lines] == ["line", "line"]
    assert [s.text for s in lines[0] if s.get("class") == "k"] == ["def"]
    assert [s.text for s in lines[1] if s.get("class") == "c1"] == ["# one"]
    assert "".join(pre.itertext()) == "def f():\n    return 1  # one\n"


def test_whitespace_kept_exactly() -> None:
    """The text of a code block is the code as written: tabs, runs of spaces, blank lines, carets."""
    for code in (CARETS, "a    b\t\tc\n\n  indented  twice\n", "no newline at the end"):
        markup = render_block(code, parse_info("text"))
        assert "".join(etree.fromstring(markup).itertext()) == code


def test_line_numbers_and_highlighted_lines() -> None:
    """{.numberLines startFrom=10 highlight=12} numbers the lines from 10 and marks the line shown as 12."""
    info = parse_info("python {.numberLines startFrom=10 highlight=12}")
    pre = etree.fromstring(render_block("a\nb\nc\n", info))
    assert pre.get("class") == "code numbered"
    assert [(s.get("data-line"), s.get("class")) for s in pre.findall("code/span")] == [
        ("10", "line"), ("11", "line"), ("12", "line hl")]
    assert parse_info("{.rust .numberLines}").language == "rust"


def test_bad_code_attributes_are_located_problems() -> None:
    """An unknown attribute is an error at its line and column; an unknown language a warning."""
    problems = render_chapter("# T\n\n```foo {.x}\na\n```\n", "ch1", Path("t.md")).problems
    assert [str(p) for p in problems] == [
        "t.md:3:4: unknown code block attribute '.x' (known: .numberLines, .number-lines, startFrom, start-from, highlight)",
        "t.md:3:4: warning: no highlighting for the unknown language 'foo'; the code is shown plain",
    ]


def test_inline_code_with_hyphens_kept_whole() -> None:
    """Inline code wraps each word that holds a hyphen in span.nobreak (never split at the hyphen)."""
    body = render_chapter("# T\n\nRun `make --no-color now`.\n", "ch1", Path("t.md")).body
    code = next(body.iter("code"))
    assert [(s.get("class"), s.text) for s in code] == [("nobreak", "--no-color")]
    assert "".join(code.itertext()) == "make --no-color now"


def test_pdf_embeds_source_code_pro_subset(built: Path) -> None:
    """The PDF embeds Source Code Pro, subset, upright, italic and bold."""
    listing = subprocess.run(["pdffonts", str(built / f"{CASE}.pdf")], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    mono = {row[0].split("+", 1)[1]: row for row in rows if "Source-Code-Pro" in row[0]}
    assert {"Source-Code-Pro", "Source-Code-Pro-Italic"} <= set(mono), listing
    assert any("Bold" in name for name in mono), listing
    for name, row in mono.items():
        assert re.match(r"^[A-Z]{6}\+", row[0]), f"{name} is not subset"
        assert row[-5:-2] == ["yes", "yes", "yes"], f"{name}: not embedded, subset and with a Unicode map: {row}"


def test_pdf_long_line_complete_and_wrapped(built: Path) -> None:
    """The long shell line is in the PDF's text whole (wrapped over rows), the carets in their columns."""
    text = pdf_text(built / f"{CASE}.pdf")
    assert SHELL_LINE.replace(" ", "") in re.sub(r"\s+", "", text)
    assert "LONG-LINE-END" in text and SHELL_LINE not in text.replace("\n", "  ")  # it did wrap
    boxes = subprocess.run(["pdftotext", "-bbox", str(built / f"{CASE}.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    words = [(float(x0), float(x1), word) for x0, x1, word in re.findall(r'<word xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</word>', boxes)]
    one = next(w for i, w in enumerate(words) if w[2] == "1" and words[i - 1][2] == "=")  # int x = 1
    caret = next(w for w in words if w[2] == "^")
    assert abs(caret[0] - one[1]) < 0.2, (one, caret)  # the caret stands right after the 1, where ';' goes


def test_print_marks_wide_tables_and_landscape(built: Path) -> None:
    """In the print HTML the 12-column tables are 'wider' and the marked one sits in div.landscape."""
    html = etree.parse(str(built / f"{CASE}.print.html"), etree.HTMLParser()).getroot()
    tables = html.findall(".//table")
    assert [t.get("class") for t in tables] == ["wider", "wider"]
    assert tables[1].getparent().get("class") == "landscape"
    assert tables[0].find("thead/tr") is not None  # WeasyPrint repeats a thead on every page


def test_pdf_tables_fit_and_repeat_their_header(built: Path) -> None:
    """Every column of the 12-column table is on the page, its header on each page, the landscape page wide."""
    reader = PdfReader(str(built / f"{CASE}.pdf"))
    pages = [page.extract_text() or "" for page in reader.pages]
    table_pages = [text for text in pages if "R1C1" in text or re.search(r"R[0-9]+C12", text)]
    assert len(table_pages) >= 2
    for text in table_pages:
        assert "Column" in text and re.search(r"R[0-9]+C12", text), text[:200]
    landscape = next(page for page in reader.pages if "Landscape table" in (page.extract_text() or ""))
    assert landscape.mediabox.width > landscape.mediabox.height


def test_pdf_picture_in_cell_bounded(built: Path) -> None:
    """The tall picture in a table cell does not fill a page: the table's first page holds many rows after it."""
    text = next(page.extract_text() for page in PdfReader(str(built / f"{CASE}.pdf")).pages if "R2C1" in (page.extract_text() or ""))
    assert "R10C12" in text


def test_epub_code_tokens_and_tables_that_fit_the_column(built: Path) -> None:
    """The EPUB carries the same tokens as the tree; nothing in it scrolls (a paginated reading
    system cuts a scrolling box at the page's foot): no table wrapper, code blocks and table cells
    wrap, the twelve-column table is set smaller, its long identifier has break points."""
    code = chapter_xhtml(built, "ch1.xhtml")
    pres = code.findall(".//x:pre", NS)
    assert [p.get("data-lang") for p in pres] == ["python", "rust", "sh", "text", None]
    assert "".join(pres[3].itertext()) == CARETS
    assert code.xpath("//x:pre[@data-lang='rust']//x:span[@class='k'][1]/text()", namespaces=NS) == ["fn"]
    wide = chapter_xhtml(built, "ch2.xhtml")
    tables = wide.findall(".//x:table", NS)
    assert tables and not wide.xpath("//x:div[contains(@class, 'table-wrap')]", namespaces=NS)
    assert "wider" in tables[0].get("class", "").split()
    cell = next(td for td in tables[0].iter(f"{{{NS['x']}}}td") if "an-unbreakable" in "".join(td.itertext()))
    assert "".join(cell.itertext()) == "an-unbreakable-identifier-that-is-very-long-indeed"
    assert len(cell.findall("x:wbr", NS)) == 7
    with zipfile.ZipFile(built / f"{CASE}.epub") as archive:
        css = archive.read("EPUB/styles/epub.css").decode()
    declarations = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    assert "overflow-x" not in declarations and "table-wrap" not in declarations
    assert "pre { white-space: pre-wrap; overflow-wrap: anywhere; }" in declarations
    assert re.search(r"th, td \{[^}]*overflow-wrap: anywhere", declarations)


def test_web_page_code_and_tables(built: Path) -> None:
    """The web page has the same token spans, scrolling code blocks and scrolling tables."""
    page = web_page(built)
    assert page.xpath("//pre[@data-lang='python']//span[@class='line hl']/@data-line") == ["12"]
    assert page.xpath("//pre[@data-lang='rust']//span[@class='k'][1]/text()") == ["fn"]
    assert all(t.getparent().get("class") == "table-wrap" for t in page.iter("table"))
    style = "".join(page.xpath("//style/text()"))
    assert "pre.code { white-space: pre; overflow-x: auto" in style and ".table-wrap { overflow-x: auto" in style


def test_print_leaves_out_the_spans_of_tokens_it_draws_plain(built: Path) -> None:
    """The print HTML keeps a span for each token print.css styles and none for the others (names,
    punctuation, operators); the code's text is the text of the web page's code, character for
    character."""
    from generator.code import styled_in_print

    printed = etree.HTML((built / "code-wide.print.html").read_text(encoding="utf-8"))
    web = etree.HTML((built / "code-wide.html").read_text(encoding="utf-8"))
    tokens = [span.get("class") for pre in printed.iter("pre") for span in pre.iter("span") if span.get("class") != "line"]
    assert tokens and all(styled_in_print(name) for name in tokens if " " not in name)
    assert {"k", "nf"} <= set(tokens) and not {"n", "p", "o"} & set(tokens)
    assert ["".join(pre.itertext()) for pre in printed.iter("pre")] == ["".join(pre.itertext()) for pre in web.iter("pre")]


def test_the_token_classes_print_styles_are_the_ones_print_css_names() -> None:
    """PRINT_STYLED_* say which token classes templates/print/print.css gives a look of its own: every
    `.code .x` and `.code [class^="x"]` rule there, and nothing else."""
    from generator.code import PRINT_STYLED_PREFIXES, PRINT_STYLED_TOKENS
    from generator.templates import PROJECT_TEMPLATES

    css = (PROJECT_TEMPLATES / "print" / "print.css").read_text(encoding="utf-8")
    rules = re.findall(r"^(\.code [^{]+)\{", css, flags=re.MULTILINE)
    selectors = [part.strip() for rule in rules for part in rule.split(",")]
    assert set(re.findall(r'\.code \[class\^="(\w+)"\]', ",".join(selectors))) == set(PRINT_STYLED_PREFIXES)
    assert set(re.findall(r"\.code \.(\w+)\b", ",".join(selectors))) == PRINT_STYLED_TOKENS


def test_a_document_with_its_own_print_stylesheet_keeps_every_token_span(tmp_path: Path) -> None:
    """Its stylesheet may style any token: then every span stays."""
    import shutil

    from generator.build import check
    from generator.writers.pdf import print_markup

    shutil.copytree(FIXTURES / "code-wide", tmp_path / "code-wide")
    (tmp_path / "code-wide" / "templates" / "print").mkdir(parents=True)
    (tmp_path / "code-wide" / "templates" / "print" / "theme.css").write_text(".code .n { color: red; }\n")
    (document,) = check(tmp_path, ["code-wide"])
    bodies = "".join(print_markup(document).bodies.values())
    assert '<span class="n">' in bodies and '<span class="p">' in bodies
