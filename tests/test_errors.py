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
from pathlib import Path

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
    """`make -j4 all` over three documents writes six valid outputs and no temporary file."""
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
    assert outputs == ["alpha.epub", "alpha.pdf", "beta.epub", "beta.pdf", "gamma.epub", "gamma.pdf"]
    assert all((project / "build" / n).read_bytes().startswith(b"%PDF-") for n in outputs if n.endswith(".pdf"))
    assert all((project / "build" / n).read_bytes().startswith(b"PK\x03\x04") for n in outputs if n.endswith(".epub"))
