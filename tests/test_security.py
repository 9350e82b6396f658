"""Nothing leaks in: the fetcher, the raw-HTML cleaner, and random Markdown and glossaries through the EPUB path."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.build import check
from generator.fetch import RefusedResource, SandboxedFetcher
from generator.sanitize import clean_block, clean_inline
from generator.templates import make_environment
from generator.writers import BuildOptions, WriteContext
from generator.writers.epub import EpubWriter
from tests.conftest import ROOT, run_generator
from tests.helpers import epubcheck_problems, pdf_text

PASSWD = Path("/etc/passwd")
SECRET_MARKERS = (b"root:x:0:0", b"/bin/bash", b"/usr/sbin/nologin")


def png_bytes() -> bytes:
    """A real 2×2 PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = png_bytes()


def write_document(root: Path, chapter: str, meta_extra: str = "", glossary: str | None = None) -> Path:
    """A one-chapter document folder with the given chapter text."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "document.yaml").write_text(
        f"title: Test briefing\ndate: 2026-01-15\nchapters:\n  - 01-intro.md\n{meta_extra}", encoding="utf-8")
    (root / "01-intro.md").write_text(chapter, encoding="utf-8")
    if glossary is not None:
        (root / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return root


def generate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command from cwd."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, env=env)


def uncompressed_pdf(path: Path) -> bytes:
    """The PDF with every stream decompressed (qpdf), so that its text and embedded files can be searched."""
    return subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), "-"],
                          capture_output=True, check=True).stdout


# --- the fetcher -----------------------------------------------------------------------------


@pytest.fixture()
def sandbox(tmp_path: Path) -> tuple[SandboxedFetcher, Path]:
    """A fetcher allowed to read one document folder holding a picture and a note."""
    root = tmp_path / "doc"
    (root / "images").mkdir(parents=True)
    (root / "images" / "dot.png").write_bytes(PNG)
    (root / "notes.txt").write_text("private notes")
    return SandboxedFetcher([root]), root


def test_fetcher_serves_a_picture_inside_the_folder(sandbox: tuple[SandboxedFetcher, Path]) -> None:
    """A PNG inside the document folder is served with its bytes and media type."""
    fetcher, root = sandbox
    response = fetcher.fetch((root / "images" / "dot.png").as_uri())
    assert response.read() == PNG
    assert response.content_type == "image/png"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "http://example.com/pixel.png",
    "https://example.com/pixel.png",
    "ftp://example.com/pixel.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "file://evil-host/share/x.png",
])
def test_fetcher_refuses_files_outside_and_the_network(sandbox: tuple[SandboxedFetcher, Path], url: str) -> None:
    """Files outside the folder and every network or data URL are refused."""
    fetcher, _root = sandbox
    with pytest.raises(RefusedResource):
        fetcher.fetch(url)


def test_fetcher_refuses_dot_dot_escapes_and_symlinks(sandbox: tuple[SandboxedFetcher, Path]) -> None:
    """'..' leading out of the folder and a symlink pointing outside are refused; so is a file that is no resource."""
    fetcher, root = sandbox
    (root / "images" / "link.png").symlink_to(PASSWD)
    for url in (root.as_uri() + "/images/../../../../../../etc/passwd", (root / "images" / "link.png").as_uri(),
                (root / "notes.txt").as_uri(), (root / "images" / "absent.png").as_uri()):
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)


# --- the raw-HTML cleaner --------------------------------------------------------------------

HOSTILE = """<script>alert(1)</script><style>p{background:url(file:///etc/passwd)}</style>
<iframe src="file:///etc/passwd">frame</iframe><object data="/etc/passwd">o</object><embed src="/etc/passwd">
<link rel="stylesheet" href="file:///etc/passwd"><meta http-equiv="refresh" content="0;url=http://x">
<form action="http://x"><input name="q"></form>
<p onclick="steal()" style="background: url(file:///etc/passwd)" id="ch1-intro">Text
<a href="javascript:alert(1)">js</a> <a href="file:///etc/passwd">file</a> <a rel="attachment" href="https://example.com/a">att</a>
<img src="images/dot.png" onerror="steal()"><br></p>"""


def test_cleaner_removes_every_dangerous_element_and_attribute() -> None:
    """Scripts, styles, frames, objects, links, metas, forms, handlers, ids, styles and unsafe URLs are gone."""
    cleaned = clean_block(HOSTILE)
    tree = etree.fromstring(f"<div>{cleaned}</div>")
    tags = {e.tag for e in tree.iter()}
    assert tags <= {"div", "p", "a", "img", "br"}
    attributes = {name for e in tree.iter() for name in e.attrib}
    assert attributes <= {"href", "src", "alt"}
    assert [a.get("href") for a in tree.iter("a")] == [None, None, "https://example.com/a"]
    for word in ("script", "passwd", "steal", "javascript", "attachment", "style", "alert", "refresh"):
        assert word not in cleaned


def test_cleaner_keeps_inline_html_inline_and_well_formed() -> None:
    """In a paragraph only phrasing elements survive, every element is closed and void ones self-closed."""
    cleaned = clean_inline('a <div>b</div> <b><i>c</b></i> <br> <img src="x.png"> &nbsp; <unknown>d</unknown>')
    tree = etree.fromstring(f"<p>{cleaned}</p>")
    assert {e.tag for e in tree.iter()} == {"p", "b", "i", "br", "img"}
    assert "<br />" in cleaned and '<img src="x.png" alt="" />' in cleaned
    assert tree.xpath("string()") == "a b c   \xa0 d"


# --- end to end: /etc/passwd never reaches an output -----------------------------------------


def test_allowed_raw_html_reaches_no_output_with_secrets(tmp_path: Path) -> None:
    """With allow_html, hostile raw HTML builds, and neither PDF nor EPUB holds passwd, scripts or attachments."""
    source = tmp_path / "source"
    root = write_document(source / "doc", "# Introduction\n\nSafe text.\n\n" + HOSTILE.replace(
        '<a href="javascript:alert(1)">js</a> <a href="file:///etc/passwd">file</a> ', "") + "\n",
        meta_extra="allow_html: true\n")
    (root / "images").mkdir()
    (root / "images" / "dot.png").write_bytes(PNG)
    out = tmp_path / "build"
    result = generate("pdf", "doc", "--source", ".", "--out", str(out), cwd=source)
    assert result.returncode == 0, result.stderr
    assert "Safe text." in pdf_text(out / "doc.pdf")
    pdf = uncompressed_pdf(out / "doc.pdf")
    assert b"/EmbeddedFile" not in pdf and b"/FileAttachment" not in pdf
    assert not any(marker in pdf for marker in SECRET_MARKERS)
    (output,) = EpubWriter().render(WriteContext(check(root.parent, [root.name])[0], make_environment(root),
                                                 BuildOptions(), out))
    chapter = output.data
    members = epub_members_from_bytes(chapter)
    text = b"".join(members.values())
    assert not any(marker in text for marker in SECRET_MARKERS)
    for word in (b"<script", b"onclick", b"onerror", b"javascript:", b"file:", b"style=\"background"):
        assert word not in members["EPUB/ch1.xhtml"]


def epub_members_from_bytes(data: bytes) -> dict[str, bytes]:
    """Every file of an EPUB given as bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("markup, refused", [
    ('<img src="file:///etc/passwd">', "image 'file:///etc/passwd' is not fetched: only files inside the document folder are used"),
    ('<img src="/etc/passwd">', "image '/etc/passwd' lies outside the document folder; give a path relative to the chapter"),
])
def test_template_picture_outside_the_folder_stops_the_pdf(tmp_path: Path, markup: str, refused: str) -> None:
    """A picture a document's print template names is checked as a chapter's is, at the template's line, before WeasyPrint runs."""
    source = tmp_path / "source"
    root = write_document(source / "doc", "# Introduction\n\nText.\n")
    (root / "templates" / "print").mkdir(parents=True)
    (root / "templates" / "print" / "document.html").write_text(
        f"<!DOCTYPE html>\n<html><head><title>{{{{ meta.title }}}}</title></head>\n<body>{markup}<p>Body</p></body></html>\n")
    result = generate("pdf", "doc", "--source", ".", "--out", str(tmp_path / "build"), cwd=source)
    assert result.returncode == 1
    assert result.stderr == (f"doc/templates/print/document.html:3: a template's picture: {refused}\n"
                             "build failed: 1 error; nothing was written\n")


@pytest.mark.parametrize("markup, refused", [
    ('<link rel="stylesheet" href="file:///etc/passwd">', "refused file:///etc/passwd: it lies outside the document folder"),
    ("<style>body { background: url(file:///etc/passwd) }</style>", "refused file:///etc/passwd: it lies outside the document folder"),
    ('<link rel="attachment" href="document.yaml">', 'refused attachment <link rel="attachment">: files are never attached to the PDF'),
    ('<a rel="attachment" href="01-intro.md">x</a>', "refused attachment 01-intro.md: files are never attached to the PDF"),
])
def test_template_override_cannot_pull_files_into_the_pdf(tmp_path: Path, markup: str, refused: str) -> None:
    """A document's own print template naming /etc/passwd, a stylesheet or an attachment stops the build (exit 1)."""
    source = tmp_path / "source"
    root = write_document(source / "doc", "# Introduction\n\nText.\n")
    (root / "templates" / "print").mkdir(parents=True)
    (root / "templates" / "print" / "document.html").write_text(
        f"<!DOCTYPE html>\n<html><head><title>{{{{ meta.title }}}}</title></head>\n<body>{markup}<p>Body</p></body></html>\n")
    out = tmp_path / "build"
    result = generate("pdf", "doc", "--source", ".", "--out", str(out), cwd=source)
    assert result.returncode == 1
    assert result.stderr == (f"error: {refused.format(root=root.resolve())}\n"
                             "build failed: a resource was refused; nothing was written\n")
    assert not out.exists()


# --- properties: random Markdown and glossaries through the whole EPUB path ------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÄéßçø", min_size=2, max_size=9)
# No '^' or '@': '[^x]' without its note and '@key' without references are refusals now (tested with
# their messages elsewhere), and this test is about what builds.
INLINE = st.text(alphabet=st.sampled_from(list("abcdef XYZ éü012*_`[]()!<>&#:;'\"\\~|-+=.,/?{}%$")), min_size=1, max_size=60)


def line_of(text: str) -> str:
    """A paragraph line that starts with a letter, so that it can never become a title or a block of another kind."""
    return "Word " + text.replace("\n", " ")


BLOCK = st.one_of(
    INLINE.map(line_of),
    INLINE.map(lambda t: "## " + line_of(t)),
    st.lists(INLINE.map(line_of), min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(INLINE.map(line_of), min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    INLINE.map(lambda t: "> " + line_of(t)),
    INLINE.map(lambda t: "```\n" + t + "\n```"),
    INLINE.map(lambda t: "::: note\n" + line_of(t) + "\n:::"),
    st.tuples(INLINE, INLINE).map(lambda c: f"| A | B |\n|---|---|\n| {line_of(c[0]).replace('|', '/')} | {line_of(c[1]).replace('|', '/')} |"),
    INLINE.map(lambda t: line_of(t) + "[^n]\n\n[^n]: " + line_of(t)),
)
GLOSSARY = st.lists(st.tuples(WORD, INLINE.map(line_of)), min_size=0, max_size=6, unique_by=lambda e: e[0].casefold())


def epub_for(blocks: list[str], terms: list[tuple[str, str]], allow_html: bool) -> bytes:
    """Write a document from the generated parts, load, link and render it to EPUB bytes."""
    with tempfile.TemporaryDirectory() as folder:
        words = " ".join(term for term, _ in terms)
        chapter = "# Random chapter\n\n" + f"Word {words}.\n\n" + "\n\n".join(blocks) + "\n"
        glossary = "".join(f"- term: {term}\n  definition: \"{d.replace(chr(92), '').replace(chr(34), '')}\"\n" for term, d in terms)
        root = write_document(Path(folder) / "doc", chapter, "allow_html: true\n" if allow_html else "",
                              glossary if terms else None)
        (document,) = check(root.parent, [root.name])
        return EpubWriter().render(WriteContext(document, make_environment(root), BuildOptions(), Path(folder)))[0].data


def assert_well_formed(epub: bytes) -> None:
    """Every XHTML, XML, OPF and NCX file of the EPUB parses as XML."""
    for name, data in epub_members_from_bytes(epub).items():
        if name.endswith((".xhtml", ".xml", ".opf", ".ncx")):
            etree.fromstring(data)


RAW_HTML = st.sampled_from([
    '<div class="box"><p>Boxed <b>bold</p></div>', 'Word <span onclick="x()">span</span> <br> end',
    "<table><tr><td>cell</table>", "Word <i>open italic", '<p>para <script>alert(1)</script></p>',
    "Word <b>bold <em>both</b> em</em>", "<section><h2>raw heading</h2><hr></section>", "Word <q>quoted",
])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(st.one_of(BLOCK, RAW_HTML), min_size=1, max_size=8), terms=GLOSSARY)
def test_random_markdown_and_glossary_give_well_formed_epub(blocks: list[str], terms: list[tuple[str, str]]) -> None:
    """Any Markdown of these shapes, raw HTML (allowed) and any glossary become an EPUB of well-formed XML."""
    assert_well_formed(epub_for(blocks, terms, allow_html=True))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(st.one_of(BLOCK, RAW_HTML), min_size=2, max_size=8), terms=GLOSSARY)
def test_random_documents_pass_epubcheck(blocks: list[str], terms: list[tuple[str, str]]) -> None:
    """A small sample of random documents passes EPUBCheck without error or warning (slow: three examples)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.epub"
        path.write_bytes(epub_for(blocks, terms, allow_html=True))
        assert epubcheck_problems(path) == []


# --- hostile files in the document folder: pipes, devices, symlinks leading out ------------------


def refused(result: subprocess.CompletedProcess[str], *lines: str) -> None:
    """Exit 1 with exactly these problem lines and the summary."""
    count = len(lines)
    summary = f"build failed: {count} error{'s' if count != 1 else ''}; nothing was written"
    assert (result.returncode, result.stderr.splitlines()) == (1, [*lines, summary])


def test_glossary_that_is_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO as glossary.yaml is refused at once (no reader waits for a writer that never comes)."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nText.\n")
    os.mkfifo(root / "glossary.yaml")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "generator", "check", "doc", "--source", "."], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    refused(result, "doc/glossary.yaml:1:1: cannot read the file: it is a named pipe, not a regular file")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("name, target", [("glossary.yaml", "/dev/zero"), ("glossary.yaml", "/etc/passwd"),
                                          ("document.yaml", "/etc/passwd")])
def test_yaml_symlinks_leading_out_are_refused(tmp_path: Path, name: str, target: str) -> None:
    """glossary.yaml or document.yaml linked to a file outside the folder (a device included) is never read."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nText.\n")
    if name == "document.yaml":
        (root / name).unlink()
    (root / name).symlink_to(target)
    result = generate("check", "doc", "--source", ".", cwd=tmp_path)
    refused(result, f"doc/{name}:1:1: cannot read the file: it lies outside the document folder (a symlink leading out?)")


def test_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    """A glossary.yaml that is a symlink to a file inside the folder is read as usual."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nThe AWS text.\n")
    (root / "data").mkdir()
    (root / "data" / "terms.yaml").write_text("- term: AWS\n  definition: Amazon's cloud.\n")
    (root / "glossary.yaml").symlink_to("data/terms.yaml")
    result = generate("check", "doc", "--source", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "doc: ok (1 chapters, 1 glossary terms)\n")


def test_symlinked_document_folder_keeps_its_slug(tmp_path: Path) -> None:
    """source/<slug> as a symlink to a folder of another name builds <slug>.epub, not <target>.epub."""
    write_document(tmp_path / "elsewhere" / "drafts-v2", "# Introduction\n\nText.\n")
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "briefing").symlink_to(tmp_path / "elsewhere" / "drafts-v2")
    out = tmp_path / "build"
    result = generate("epub", "briefing", "--source", "source", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == ["briefing.epub"]


def test_read_limited_refuses_devices_pipes_and_oversized_files(tmp_path: Path) -> None:
    """Only regular files are read, and never more than limit + 1 bytes, even when the size says 0."""
    from generator.files import TooLarge, Unreadable, read_limited

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "zero").symlink_to("/dev/zero")
    for name, reason in (("pipe", "it is a named pipe, not a regular file"), ("zero", "it is a device, not a regular file")):
        with pytest.raises(Unreadable) as caught:
            read_limited(tmp_path / name)
        assert caught.value.reason == reason
    with pytest.raises(Unreadable, match="lies outside the document folder"):
        read_limited(tmp_path / "zero", inside=tmp_path)
    with pytest.raises(TooLarge):  # /proc files report a size of 0 and hold more
        read_limited(Path("/proc/self/maps"), limit=16)
    (tmp_path / "ok.txt").write_bytes(b"x" * 16)
    assert read_limited(tmp_path / "ok.txt", limit=16) == b"x" * 16


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd"])
def test_cover_symlink_leading_out_is_reported_by_check_and_never_shipped(tmp_path: Path, target: str) -> None:
    """images/cover.png linked to the build's environment or to passwd: `check` reports it, `epub` exits 1, no EPUB."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nText.\n")
    (root / "images").mkdir()
    (root / "images" / "cover.png").symlink_to(target)
    line = "doc/images/cover.png:1:1: cannot read the file: it lies outside the document folder (a symlink leading out?)"
    refused(generate("check", "doc", "--source", ".", cwd=tmp_path), line)
    refused(generate("epub", "doc", "--source", ".", "--out", "build", cwd=tmp_path), line)
    assert not (tmp_path / "build").exists()


def test_supplied_cover_is_the_epub_cover(tmp_path: Path) -> None:
    """A valid images/cover.png inside the folder passes `check` and is the EPUB's cover image, byte for byte."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nText.\n")
    (root / "images").mkdir()
    (root / "images" / "cover.png").write_bytes(PNG)
    assert generate("check", "doc", "--source", ".", cwd=tmp_path).returncode == 0
    result = generate("epub", "doc", "--source", ".", "--out", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert epub_members_from_bytes((tmp_path / "build" / "doc.epub").read_bytes())["EPUB/images/cover.png"] == PNG


# --- a document's own templates: sandboxed, read only from inside the folder --------------------


def test_cover_template_linked_to_passwd_is_refused(tmp_path: Path) -> None:
    """templates/print/cover.html as a symlink to /etc/passwd is never read: exit 1 naming it, no PDF."""
    root = write_document(tmp_path / "doc", "# Introduction\n\nText.\n")
    (root / "templates" / "print").mkdir(parents=True)
    (root / "templates" / "print" / "cover.html").symlink_to(PASSWD)
    result = generate("pdf", "doc", "--source", ".", "--out", "build", cwd=tmp_path)
    refused(result, "doc/templates/print/cover.html:1: cannot read the file: it lies outside the document folder (a symlink leading out?)")
    assert not (tmp_path / "build").exists()


def test_templates_folder_linked_outside_is_refused(tmp_path: Path) -> None:
    """A templates/ folder that is a symlink to a folder outside the document is refused file by file."""
    shared = tmp_path / "shared-theme" / "print"
    shared.mkdir(parents=True)
    (shared / "theme.css").write_text(":root { --accent: #a3242e; }\n")
    root = write_document(tmp_path / "source" / "doc", "# Introduction\n\nText.\n")
    (root / "templates").symlink_to(tmp_path / "shared-theme")
    result = generate("pdf", "doc", "--source", ".", "--out", "../build", cwd=tmp_path / "source")
    refused(result, "doc/templates/print/theme.css:1: cannot read the file: it lies outside the document folder (a symlink leading out?)")


def test_sandbox_refuses_internals_paths_files_and_mutation() -> None:
    """Templates reach no Python internals, no method of a path, module, class or file, change nothing, build nothing huge."""
    from jinja2.sandbox import SecurityError

    env = make_environment(None)
    values = {"path": PASSWD, "items": [1, 2], "handle": io.BytesIO(b"secret"), "module": os}
    for source in ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "{{ path.read_text() }}",
                   "{{ path.parent }}", "{{ handle.read() }}", "{{ module.system('id') }}", "{{ items.append(3) }}",
                   "{{ ''.__class__.__mro__ }}", "{{ 'x' * 2000000 }}", "{{ [0] * 10 ** 7 }}", "{{ 7 ** 100000 }}",
                   "{{ lipsum.__globals__ }}", "{{ (path|attr('read_text'))() }}", "{{ [path]|map(attribute='name')|first }}"):
        with pytest.raises(SecurityError):
            env.from_string(source).render(**values)
    assert env.from_string("{{ items|join(',') }} {{ 'ab' * 2 }} {{ 2 ** 10 }}").render(**values) == "1,2 abab 1024"


# --- what templates produce: the output guard (generator/guard.py) -------------------------------


def page(markup: str, head: str = "") -> str:
    """A web page that opens as the guard requires, with markup in its body."""
    return f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>T</title>{head}\n</head>\n<body>\n{markup}\n</body>\n</html>\n"


@pytest.fixture(params=["own templates", "project templates"])
def guard_env(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An environment with the document's own templates (strict HTML parser) or the project's only (fast parser)."""
    if request.param == "own templates":
        (tmp_path / "templates" / "web").mkdir(parents=True)
        (tmp_path / "templates" / "web" / "extra.css").write_text("p {}\n")
        return make_environment(tmp_path)
    return make_environment(None)


# Seen only by the HTML standard's parser, used when the document has templates of its own.
STRICT_ONLY = ('<!--> <meta http-equiv="refresh" content="0; url=https://phish.example/"> -->', '<body onload="x()">')


@pytest.mark.parametrize("markup, message", [
    ("<script>alert(1)</script>", "would run a script (<script> element)"),
    ("<SCRIPT SRC=x.js></SCRIPT>", "would run a script (<script> element)"),
    ('<svg><script>alert(1)</script></svg>', "would run a script (<script> element)"),
    ('<img src="data:image/png;base64,AAAA" onerror="alert(1)">', "event handler attribute 'onerror'"),
    ('<body onload="x()">', "event handler attribute 'onload'"),
    ('<a href="javascript:alert(1)">x</a>', "would link to 'javascript:alert(1)'"),
    ('<a href="java&#x09;script:alert(1)">x</a>', "would link to 'java\tscript:alert(1)'"),
    ('<a href=" data:text/html,<script>x</script>">x</a>', "would link to ' data:text/html,<script>x</script>'"),
    ('<svg><a xlink:href="javascript:x()"><text>t</text></a></svg>', "would link to 'javascript:x()'"),
    ('<img src="http://tracker.example/p.png" alt="">', "would load 'http://tracker.example/p.png' from outside the file"),
    ('<img src="//tracker.example/p.png" alt="">', "would load '//tracker.example/p.png'"),
    ('<img src="images/local.png" alt="">', "would load 'images/local.png'"),
    ('<img srcset="data:image/png;base64,AAAA 1x, https://t.example/2x.png 2x" alt="">', "would load 'https://t.example/2x.png'"),
    ('<svg><use href="https://t.example/sprite.svg#i"/></svg>', "would load 'https://t.example/sprite.svg#i'"),
    ('<svg><image xlink:href="file:///etc/passwd"/></svg>', "would load 'file:///etc/passwd'"),
    ('<p style="background: url(https://t.example/p.png)">x</p>', "would load 'https://t.example/p.png'"),
    ('<p style="background: u\\72l(https://t.example/e.png)">x</p>', "would load 'https://t.example/e.png'"),
    ('<p style="width: expression(alert(1))">x</p>', "CSS expression()"),
    ("<style>@import 'https://fonts.example/f.css';</style>", "would load 'https://fonts.example/f.css'"),
    ('<style>p { background: image-set("https://t.example/a.png" 1x) }</style>', "would load 'https://t.example/a.png'"),
    ('<link rel="dns-prefetch" href="//tracker.example">', "would load '//tracker.example'"),
    ('<link rel="stylesheet" href="https://cdn.example/s.css">', "would load 'https://cdn.example/s.css'"),
    ('<a href="https://example.com/" ping="https://t.example/ping">x</a>', "would load 'https://t.example/ping'"),
    ('<form action="https://collect.example/"><button>Go</button></form>', "would load 'https://collect.example/'"),
    ('<iframe src="data:text/html,x"></iframe>', "would embed other content (<iframe> element)"),
    ('<object data="x.swf"></object>', "would embed other content (<object> element)"),
    ('<base href="https://evil.example/">', "would embed other content (<base> element)"),
    ('<meta http-equiv="refresh" content="0; url=https://phish.example/">', 'would redirect or set headers (<meta http-equiv="refresh">)'),
    ('<!--> <meta http-equiv="refresh" content="0; url=https://phish.example/"> -->', "would redirect"),
    ('<noscript><p title="</noscript><script>alert(1)</script>"></p></noscript>', "holds a <noscript> element"),
    ('<svg><a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a></svg>', "would rewrite a link with SVG animation"),
])
def test_guard_refuses_scripts_and_outside_resources_in_the_web_page(guard_env: Any, markup: str, message: str) -> None:
    """Each way of running code, redirecting or loading from outside the page is refused, with what it would do."""
    from generator.errors import SourceError
    from generator.guard import checked_web_page

    if markup in STRICT_ONLY and len(guard_env.loader.loaders) == 1:
        pytest.skip("lxml, used for the project's own templates, parses this differently from browsers (the policy stops it there)")
    with pytest.raises(SourceError) as caught:
        checked_web_page(page(markup), guard_env)
    (problem,) = caught.value.problems
    assert message in problem.message and problem.message.startswith("the web page ")


def test_guard_lets_the_ordinary_page_through_with_its_policy(guard_env: Any) -> None:
    """Links to the web, data: pictures, #fragments and inline styles pass; the policy opens the head."""
    from generator.guard import POLICY, checked_web_page

    markup = ('<a href="https://example.com/">w</a> <a href="mailto:a@example.com">m</a> <a href="#s">s</a>'
              '<img src="data:image/png;base64,AAAA" alt="x"><svg><use href="#i"/></svg>'
              '<p style="color: red; background: url(data:image/png;base64,AAAA)">x</p><style>p { fill: url(#g) }</style>')
    checked = checked_web_page(page(markup), guard_env)
    assert checked.split("\n")[3] == f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
    assert checked.count(markup) == 1


@pytest.mark.parametrize("start", ['<!DOCTYPE html>\n<html title="<head>">\n<head>', "<html>\n<head>",
                                   "<!DOCTYPE html>\n<!-- x -->\n<html>\n<head>"])
def test_guard_wants_the_head_first(guard_env: Any, start: str) -> None:
    """A page that does not open with <!DOCTYPE html>, <html> and <head> (so that the policy comes first) is refused."""
    from generator.errors import SourceError
    from generator.guard import checked_web_page

    with pytest.raises(SourceError, match="Content-Security-Policy"):
        checked_web_page(f"{start}<title>T</title></head><body></body></html>", guard_env)


def test_guard_checks_every_content_document_and_stylesheet_of_the_epub(tmp_path: Path) -> None:
    """A script in any XHTML member, a remote @import in a stylesheet: refused; links inside the book pass."""
    from generator.errors import SourceError
    from generator.guard import checked_epub

    def epub(members: dict[str, str]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as book:
            for name, text in members.items():
                book.writestr(name, text)
        return buffer.getvalue()

    xhtml = '<html xmlns="http://www.w3.org/1999/xhtml"><head><link rel="stylesheet" href="styles/epub.css"/></head><body>{}</body></html>'
    good = {"EPUB/ch1.xhtml": xhtml.format('<a href="ch2.xhtml#x">next</a><img src="images/a.png" alt=""/><a href="https://example.com/">w</a>'),
            "EPUB/styles/epub.css": "p { background: url(../images/a.png) }"}
    env = make_environment(None)
    assert checked_epub(epub(good), env) == epub(good)
    for name, text, message in (
        ("EPUB/ch2.xhtml", xhtml.format("<script>x()</script>"), "the EPUB's ch2.xhtml would run a script"),
        ("EPUB/ch2.xhtml", xhtml.format('<img src="https://t.example/p.png" alt=""/>'), "would load 'https://t.example/p.png' from outside the book"),
        ("EPUB/ch2.xhtml", xhtml.format('<a href="javascript:x()">x</a>'), "would link to 'javascript:x()'"),
        ("EPUB/styles/epub.css", "@import url(https://fonts.example/f.css);", "the EPUB's epub.css would load 'https://fonts.example/f.css'"),
    ):
        with pytest.raises(SourceError) as caught:
            checked_epub(epub({**good, name: text}), env)
        assert message in caught.value.problems[0].message


CHROMIUM = Path("/usr/bin/chromium")


class Recorder:
    """A web server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        import http.server
        import threading

        requests: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.requests = requests
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def open_in_chromium(page_path: Path, profile: Path) -> str:
    """The page's DOM after headless Chromium has loaded it and run what it would run."""
    shown = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                            "--virtual-time-budget=3000", "--dump-dom", page_path.as_uri()],
                           capture_output=True, text=True, timeout=120)
    assert "<title>" in shown.stdout, shown.stderr
    return shown.stdout


def test_hostile_web_page_runs_no_script_and_fetches_nothing_in_chromium(tmp_path: Path) -> None:
    """The web page of a hostile document, with a script and remote resources slipped in after the build (as if
    the guard had missed them), in headless Chromium: no script runs, no request leaves. The same page without
    its Content-Security-Policy runs the script and fetches, so the test can see both."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (Debian: apt-get install chromium): the page was not opened in a browser")
    from generator.guard import POLICY_META

    source = tmp_path / "source"
    hostile = HOSTILE.replace('<a href="javascript:alert(1)">js</a> <a href="file:///etc/passwd">file</a> ', "")
    root = write_document(source / "doc", "# Introduction\n\nSafe text.\n\n" + hostile + "\n",
                          meta_extra='allow_html: true\nsubtitle: "<script>document.title = \'ran\'</script>"\n')
    (root / "images").mkdir()
    (root / "images" / "dot.png").write_bytes(PNG)
    result = generate("html", "doc", "--source", ".", "--out", str(tmp_path / "build"), cwd=source)
    assert result.returncode == 0, result.stderr
    recorder = Recorder()
    origin = recorder.origin
    slipped = (f"<script>document.title = 'ran'</script><img src=\"{origin}/pixel.png\" alt=\"\">"
               f"<link rel=\"stylesheet\" href=\"{origin}/style.css\"><p style=\"background: url({origin}/bg.png)\">x</p>"
               f"<iframe src=\"{origin}/frame\"></iframe><img src=\"data:image/png;base64,AAAA\" alt=\"\" onerror=\"document.title='ran'\">")
    built = (tmp_path / "build" / "doc.html").read_text(encoding="utf-8")
    assert built.count(POLICY_META) == 1
    try:
        guarded, unguarded = tmp_path / "guarded.html", tmp_path / "unguarded.html"
        guarded.write_text(built.replace("</body>", slipped + "</body>"), encoding="utf-8")
        dom = open_in_chromium(guarded, tmp_path / "profile-1")
        assert "<title>ran</title>" not in dom and "Safe text." in dom
        assert recorder.requests == []
        unguarded.write_text(guarded.read_text(encoding="utf-8").replace(POLICY_META, ""), encoding="utf-8")
        assert "<title>ran</title>" in open_in_chromium(unguarded, tmp_path / "profile-2")
        assert recorder.requests != []
    finally:
        recorder.server.shutdown()


def test_a_picture_the_cleaner_makes_is_checked_like_the_others(tmp_path: Path) -> None:
    """`<noscript><p title="</noscript><img src=http://…>">` parses differently before and after cleaning:
    the picture the cleaned tree holds is what the pictures pass checks, so the remote picture is refused."""
    chapter = '# Intro\n\n<noscript><p title="</noscript><img src=http://evil.example/x.png>"></noscript>\n\nText.\n'
    write_document(tmp_path / "doc", chapter, "allow_html: true\n")
    result = run_generator("epub", "doc", "--source", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "image 'http://evil.example/x.png' is not fetched" in result.stderr
    assert not (tmp_path / "out" / "doc.epub").exists()


def test_picture_names_with_control_characters_and_svgs_that_import_are_refused(tmp_path: Path) -> None:
    """'x%00.png' is a located source error (not exit 3); an SVG whose style @imports a stylesheet is not self-contained."""
    root = write_document(tmp_path / "doc", "# Intro\n\n![a](images/x%00.png)\n\n![b](images/plan.svg)\n")
    (root / "images").mkdir()
    (root / "images" / "plan.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><style>@import "http://example.com/s.css";</style></svg>')
    result = run_generator("check", "doc", "--source", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "image 'images/x%00.png' has a control character in its name" in result.stderr
    assert "image 'images/plan.svg' refers to other files; an SVG picture must be self-contained" in result.stderr


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    """An 8000 x 6000 picture (48 megapixels, a small file) is refused with its size, without Pillow's warning."""
    from PIL import Image

    root = write_document(tmp_path / "doc", "# Intro\n\n![A huge picture](images/huge.png)\n")
    (root / "images").mkdir()
    Image.new("1", (8000, 6000)).save(root / "images" / "huge.png")
    result = run_generator("check", "doc", "--source", str(tmp_path))
    assert result.returncode == 1 and "DecompressionBomb" not in result.stderr
    assert "image 'images/huge.png' is 8000 x 6000 pixels; pictures are limited to 40 megapixels: scale it down" in result.stderr
