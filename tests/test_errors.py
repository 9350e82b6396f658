"""Bad sources: each fails with its exact message, file and line, exit code 1, no traceback, build/ untouched.

The corpus is ``tests/fixtures/bad/<case>/``: a small document folder, ``expected.txt`` with
the exact stderr, and optionally ``args.txt`` with the command (default ``all``). After a
deliberate change of wording, refresh the expected files with::

    cd tests/fixtures/bad && for c in */; do c=${c%/}; ../../../.venv/bin/python -m generator \\
        $(cat $c/args.txt 2>/dev/null || echo all) $c --source . --out /tmp/x 2> $c/expected.txt; done

and read the diff before committing it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

from generator.templates import make_environment
from tests.conftest import FIXTURES, ROOT

BAD = FIXTURES / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if (p / "expected.txt").is_file())
PREVIOUS = b"previous good output\n"


def generate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator`` from cwd, so that messages show paths relative to it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, env=env)


def previous_build(out: Path, slug: str) -> dict[str, bytes]:
    """An output folder holding an earlier good build of the document; returns its contents."""
    out.mkdir(parents=True, exist_ok=True)
    for suffix in (".pdf", ".epub"):
        (out / f"{slug}{suffix}").write_bytes(PREVIOUS)
    return snapshot(out)


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of a folder (hidden temporary files included) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def assert_refused(result: subprocess.CompletedProcess[str], expected: str, out: Path, before: dict[str, bytes]) -> None:
    """Exit code 1, exactly the expected stderr, no traceback, nothing on stdout, the build folder unchanged."""
    assert result.returncode == 1
    assert result.stderr == expected
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert snapshot(out) == before


def test_corpus_has_at_least_thirty_cases() -> None:
    """The bad-input corpus holds at least 30 cases, each with an expected message naming a file and line."""
    assert len(CASES) >= 30
    for case in CASES:
        first = (BAD / case / "expected.txt").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(f"{case}/") and first.split(":")[1].isdigit(), case


@pytest.mark.parametrize("case", CASES)
def test_bad_source_is_refused_with_exact_message(case: str, tmp_path: Path) -> None:
    """The case fails with exit 1 and exactly its expected messages; the previous outputs stay as they were."""
    out = tmp_path / "build"
    before = previous_build(out, case)
    args_file = BAD / case / "args.txt"
    command = args_file.read_text().split() if args_file.exists() else ["all"]
    result = generate(*command, case, "--source", ".", "--out", str(out), cwd=BAD)
    assert_refused(result, (BAD / case / "expected.txt").read_text(encoding="utf-8"), out, before)


def small_document(parent: Path, slug: str = "doc") -> Path:
    """A valid one-chapter document folder written under parent."""
    root = parent / slug
    root.mkdir(parents=True)
    (root / "document.yaml").write_text("title: Test briefing\ndate: 2026-01-15\nchapters:\n  - 01-intro.md\n")
    (root / "01-intro.md").write_text("# Introduction\n\nSome text about the subject.\n")
    return root


def test_source_over_ten_megabytes_is_refused(tmp_path: Path) -> None:
    """A chapter over 10 MB is refused before it is read, at line 1."""
    root = small_document(tmp_path / "source")
    with (root / "01-intro.md").open("w") as handle:
        handle.write("# Introduction\n\n")
        handle.write(("word " * 20 + "\n") * 110_000)
    out = tmp_path / "build"
    before = previous_build(out, "doc")
    result = generate("all", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source")
    expected = ("doc/01-intro.md:1:1: file is 10.6 MB; source files are limited to 10 MB\n"
                "build failed: 1 error; nothing was written\n")
    assert_refused(result, expected, out, before)


def test_chapter_symlink_leading_outside_is_refused(tmp_path: Path) -> None:
    """A chapter that is a symlink to a file outside the document folder is refused at its list item."""
    root = small_document(tmp_path / "source")
    (root / "02-secret.md").symlink_to("/etc/passwd")
    meta = root / "document.yaml"
    meta.write_text(meta.read_text() + "  - 02-secret.md\n")
    out = tmp_path / "build"
    before = previous_build(out, "doc")
    result = generate("all", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source")
    expected = ("doc/document.yaml:5:5: chapter '02-secret.md' lies outside the document folder\n"
                "build failed: 1 error; nothing was written\n")
    assert_refused(result, expected, out, before)


def test_image_symlink_leading_outside_is_refused(tmp_path: Path) -> None:
    """An image that is a symlink to a file outside the document folder is refused with the chapter's line."""
    root = small_document(tmp_path / "source")
    (root / "images").mkdir()
    (root / "images" / "chart.png").symlink_to("/etc/passwd")
    chapter = root / "01-intro.md"
    chapter.write_text(chapter.read_text() + "\n![A chart](images/chart.png)\n")
    out = tmp_path / "build"
    before = previous_build(out, "doc")
    result = generate("all", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source")
    expected = ("doc/01-intro.md:5:12: image 'images/chart.png' lies outside the document folder\n"
                "build failed: 1 error; nothing was written\n")
    assert_refused(result, expected, out, before)


def test_problems_of_several_documents_are_reported_together(tmp_path: Path) -> None:
    """Two broken documents in one run: both are reported, and neither output is written."""
    source = tmp_path / "source"
    for slug in ("one", "two"):
        meta = small_document(source, slug) / "document.yaml"
        meta.write_text(meta.read_text().replace("2026-01-15", "soon"))
    out = tmp_path / "build"
    result = generate("all", "--source", ".", "--out", str(out), cwd=source)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "one/document.yaml:2:7: 'date' must be a date written YYYY-MM-DD, not 'soon'",
        "two/document.yaml:2:7: 'date' must be a date written YYYY-MM-DD, not 'soon'",
        "build failed: 2 errors; nothing was written",
    ]
    assert not out.exists()


def test_unknown_document_is_a_usage_error(tmp_path: Path) -> None:
    """Naming a document that does not exist exits 2 with one line listing the known documents."""
    small_document(tmp_path / "source")
    result = generate("pdf", "nope", "--source", ".", cwd=tmp_path / "source")
    assert result.returncode == 2
    assert result.stderr == "error: no document 'nope' in . (documents: doc)\n"


def test_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    """An unknown option exits 2 with argparse's usage message, no traceback."""
    result = generate("pdf", "--paper", "a3", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'a3'" in result.stderr and "Traceback" not in result.stderr


def test_internal_error_says_it_is_a_bug_without_traceback(tmp_path: Path) -> None:
    """An unexpected exception exits 3, says it is a bug and how to report it, and shows no traceback."""
    small_document(tmp_path / "source")
    code = ("import sys, generator.build as b\n"
            "def broken(*args, **kwargs):\n    raise RuntimeError('boom')\n"
            "b.check = broken\n"
            "from generator.cli import main\nsys.exit(main(['check', '--source', '.']))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "source", capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 3
    assert result.stderr.splitlines()[0] == "internal error: RuntimeError: boom"
    assert "This is a bug in the generator. Please report it" in result.stderr
    assert "Traceback" not in result.stderr


def test_templates_autoescape_html_xhtml_and_xml(tmp_path: Path) -> None:
    """A value holding markup is escaped in .html, .xhtml and .xml templates (and not in .css)."""
    root = tmp_path / "doc"
    for name in ("t.html", "t.xhtml", "t.xml", "t.css"):
        (root / "templates").mkdir(parents=True, exist_ok=True)
        (root / "templates" / name).write_text("{{ value }}")
    env = make_environment(root)
    value = '<script>alert("x")</script>'
    for name in ("t.html", "t.xhtml", "t.xml"):
        assert env.get_template(name).render(value=value) == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert env.get_template("t.css").render(value=value) == value


def test_undefined_template_variable_is_an_error() -> None:
    """Using a name the template was not given raises instead of rendering an empty string."""
    env = make_environment(None)
    with pytest.raises(jinja2.UndefinedError, match="'missing' is undefined"):
        env.from_string("{{ missing }}").render()


def test_failed_build_after_success_keeps_the_good_output(tmp_path: Path) -> None:
    """A good EPUB build, then a broken source: the EPUB is byte for byte the one built before, no temp files."""
    root = small_document(tmp_path / "source")
    out = tmp_path / "build"
    assert generate("epub", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source").returncode == 0
    before = snapshot(out)
    assert list(before) == ["doc.epub"]
    (root / "01-intro.md").write_text("no title\n")
    result = generate("epub", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source")
    assert result.returncode == 1
    assert snapshot(out) == before


def test_interrupted_write_leaves_previous_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interruption while the new file is written leaves the old file and no temporary file."""
    from generator.writers import write_atomically

    target = tmp_path / "doc.pdf"
    target.write_bytes(PREVIOUS)

    def interrupted(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, b"new bytes")
    assert snapshot(tmp_path) == {"doc.pdf": PREVIOUS}


def test_parallel_make_builds_several_documents_safely(tmp_path: Path) -> None:
    """`make -j4 all` over three documents writes nine valid outputs and no temporary file."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, project / name)
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".venv").symlink_to(ROOT / ".venv")
    for name in ("pyproject.toml", "requirements.lock"):  # older than the venv's stamp: make must not reinstall
        os.utime(project / name, (0, 0))
    for slug in ("alpha", "beta", "gamma"):
        small_document(project / "source", slug)
    env = {**os.environ, "PYTHONPATH": str(project)}
    result = subprocess.run(["make", "-j4", "all"], cwd=project, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    outputs = sorted(p.name for p in (project / "build").iterdir() if not p.name.startswith(".pdf-options"))
    assert outputs == [f"{slug}.{fmt}" for slug in ("alpha", "beta", "gamma") for fmt in ("bib", "epub", "html", "pdf")]
    assert all((project / "build" / n).read_bytes().startswith(b"%PDF-") for n in outputs if n.endswith(".pdf"))
    assert all((project / "build" / n).read_bytes().startswith(b"PK\x03\x04") for n in outputs if n.endswith(".epub"))


# --- environment problems: exit 1 for a source that cannot be read, 2 for the output folder -----

NOBODY = 65534


def unprivileged() -> list[str]:
    """The command prefix that runs a process without root's power to read and write anything."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv is missing: file permissions cannot be tested")
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.fixture()
def open_folder() -> Iterator[Path]:
    """A temporary folder every user can enter (pytest's own are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="briefing-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def generate_unprivileged(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command as an unprivileged user, with no cache (that user has no home)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_CACHE": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([*unprivileged(), sys.executable, "-m", "generator", *args], cwd=cwd,
                          capture_output=True, text=True, env=env)


def test_unreadable_chapter_is_a_source_error(open_folder: Path) -> None:
    """A chapter the build may not read is refused at line 1 of the file (exit 1), not a crash."""
    root = small_document(open_folder / "source")
    (root / "01-intro.md").chmod(0o000)
    result = generate_unprivileged("check", "doc", "--source", ".", cwd=open_folder / "source")
    assert (result.returncode, result.stderr) == (1, "doc/01-intro.md:1:1: cannot read the file: permission denied\n"
                                                     "build failed: 1 error; nothing was written\n")


def test_unreadable_document_folder_is_a_usage_error(open_folder: Path) -> None:
    """A document folder the build may not enter is named, with exit 2, whether named or found."""
    root = small_document(open_folder / "source")
    root.chmod(0o000)
    for args in (["check", "doc"], ["check"]):
        result = generate_unprivileged(*args, "--source", ".", cwd=open_folder / "source")
        assert (result.returncode, result.stderr) == (2, "error: cannot read the folder doc: permission denied\n")


def test_read_only_output_folder_is_a_usage_error(open_folder: Path) -> None:
    """An output folder the build may not write is refused before any work, with exit 2, naming it."""
    small_document(open_folder / "source")
    (open_folder / "build").mkdir(mode=0o555)
    result = generate_unprivileged("epub", "doc", "--source", ".", "--out", "../build", cwd=open_folder / "source")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: cannot write to ../build: it is not writable (permission denied)\n"


@pytest.mark.parametrize("out, culprit", [("afile", "it"), ("afile/sub", "afile")])
def test_output_folder_that_is_a_file_is_a_usage_error(tmp_path: Path, out: str, culprit: str) -> None:
    """--out naming a file (or a folder below a file) exits 2 with one line, before anything is built."""
    small_document(tmp_path)
    (tmp_path / "afile").write_bytes(PREVIOUS)
    result = generate("epub", "doc", "--source", ".", "--out", out, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: cannot write to {out}: {culprit} is a file, not a folder\n"
    assert (tmp_path / "afile").read_bytes() == PREVIOUS


FULL_DISK = """\
import errno, os, sys
import generator.writers as w
real_write = os.write
def write(fd, data):
    if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and ".doc.epub." in os.readlink(f"/proc/self/fd/{fd}"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real_write(fd, data)
w.os.write = write
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_disk_full_after_the_pdf_keeps_both_old_outputs(tmp_path: Path) -> None:
    """`all` on a disk that fills up after the PDF is staged: exit 2 naming the EPUB, the old PDF and EPUB
    both as they were (not a new PDF beside an old EPUB), and no temporary file."""
    small_document(tmp_path / "source")
    out = tmp_path / "build"
    before = previous_build(out, "doc")
    result = subprocess.run([sys.executable, "-c", FULL_DISK, "all", "doc", "--source", ".", "--out", str(out)],
                            cwd=tmp_path / "source", capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: cannot write {out}/doc.epub: no space left on device; nothing was written\n"
    assert snapshot(out) == before


def test_write_all_interrupted_while_staging_leaves_every_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the second of two outputs is staged: both old files unchanged, no temporary file."""
    from generator import writers

    for name in ("doc.pdf", "doc.epub"):
        (tmp_path / name).write_bytes(PREVIOUS)
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "fsync", fsync)
    outputs = [SimpleNamespace(path=tmp_path / "doc.pdf", data=b"new pdf"), SimpleNamespace(path=tmp_path / "doc.epub", data=b"new epub")]
    with pytest.raises(KeyboardInterrupt):
        writers.write_all(outputs)
    assert snapshot(tmp_path) == {"doc.epub": PREVIOUS, "doc.pdf": PREVIOUS}


KILLED = """\
import os, signal, sys
import generator.writers as w
def commit(staged, replaced):
    os.kill(os.getpid(), signal.SIGKILL)
w._commit = commit
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_temporary_left_by_a_killed_build_is_removed_by_the_next(tmp_path: Path) -> None:
    """A build killed (SIGKILL) after staging leaves a full-size temporary; the next build removes it,
    but leaves alone one that a living build still holds."""
    import fcntl

    small_document(tmp_path / "source")
    out = tmp_path / "build"
    before = previous_build(out, "doc")
    killed = subprocess.run([sys.executable, "-c", KILLED, "epub", "doc", "--source", ".", "--out", str(out)],
                            cwd=tmp_path / "source", capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert killed.returncode == -9
    (stale,) = [p for p in out.iterdir() if p.name.startswith(".doc.epub.")]
    assert stale.stat().st_size > 1000 and snapshot(out) == {**before, stale.name: stale.read_bytes()}
    held = out / ".doc.pdf.abcd1234.tmp"  # as if a parallel build were writing it
    held.write_bytes(b"being written")
    for path in (stale, held):
        os.utime(path, (0, 0))  # old enough to be stale
    with held.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = generate("epub", "doc", "--source", ".", "--out", str(out), cwd=tmp_path / "source")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [held.name, "doc.epub", "doc.pdf"]
    assert (out / "doc.epub").read_bytes().startswith(b"PK")


# --- footnotes and callouts: nothing printed as text by mistake -------------------------------


def test_callout_kind_is_read_in_any_case() -> None:
    """`::: Note`, `::: KEYFIGURE` and `::: Quote` open their callouts; no ':::' is left in the text."""
    from generator.markdown import render_chapter

    text = "# T\n\n::: Note\nA.\n:::\n\n::: KEYFIGURE\n**4**\n:::\n\n::: Quote\nQ.\n:::\n"
    rendered = render_chapter(text, "ch1", Path("c.md"))
    assert rendered.problems == []
    assert [e.get("class") for e in rendered.body.root if e.get("class")] == [
        "callout note", "callout keyfigure", "callout pullquote"]
    assert ":::" not in "".join(rendered.body.root.itertext())


def test_a_stray_closing_fence_is_an_error() -> None:
    """A ':::' that closes nothing is refused at its line, not printed."""
    from generator.markdown import render_chapter

    problems = render_chapter("# T\n\nText.\n\n:::\n", "ch1", Path("c.md")).problems
    assert [str(p) for p in problems] == ["c.md:5:1: this ':::' closes no callout; remove it, or open one above it "
                                          "with ::: and its kind (note, keyfigure, quote, and landscape for a wide table)"]


def test_footnote_call_rules() -> None:
    """A call without a note is an error, an escaped \\[^x], one in code or a link's text is not; a note never called warns."""
    from generator.markdown import render_chapter

    text = "# T\n\nA \\[^x] and `[^y]` and [^z](https://example.org) and [^a].\n\n[^a]: Called.\n[^b]: Never called.\n"
    problems = render_chapter(text, "ch1", Path("c.md")).problems
    assert [str(p) for p in problems] == [
        "c.md:6:1: warning: footnote [^b] is defined but never referenced; call it with [^b] in the text, or remove it"]


def test_an_unreferenced_footnote_is_only_a_warning(tmp_path: Path) -> None:
    """`check` on a chapter with a note never called succeeds and prints the warning once."""
    root = tmp_path / "source" / "doc"
    root.mkdir(parents=True)
    (root / "document.yaml").write_text("title: T\ndate: 2026-01-15\nchapters:\n  - 01.md\n", encoding="utf-8")
    (root / "01.md").write_text("# One\n\nText.\n\n[^old]: A note left behind.\n", encoding="utf-8")
    result = generate("check", "doc", "--source", ".", cwd=tmp_path / "source")
    assert result.returncode == 0
    assert result.stderr == ("doc/01.md:5:1: warning: footnote [^old] is defined but never referenced; "
                             "call it with [^old] in the text, or remove it\n")
