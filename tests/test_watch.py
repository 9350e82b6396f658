"""The watcher: a real ``python -m generator watch`` on a temporary copy of a document, bounded by timeouts."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.templates import PROJECT_TEMPLATES
from generator.watch import _report, affected_documents, changed_names, source_changes
from tests.conftest import FIXTURES, ROOT

DOC = "web-doc"
TIMEOUT = 60.0  # seconds to wait for one line; generous for a loaded 2-core machine, never reached when it works


class Watcher:
    """A running watcher whose output lines (stdout and stderr together) are read on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Move each output line into the queue."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str) -> str:
        """The first new line matching pattern; fails after TIMEOUT with everything seen so far."""
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {TIMEOUT} s; output so far: {self.seen}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[Watcher, Path, Path]]:
    """A watcher on a copy of the web fixture building HTML into tmp_path/out; stopped afterwards."""
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / DOC, source / DOC)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "watch", DOC, "--source", str(source), "--out", str(out), "--formats", "html"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        yield Watcher(process), source / DOC, out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_watch_rebuilds_reports_errors_and_keeps_watching(watcher: tuple[Watcher, Path, Path]) -> None:
    """An edit rebuilds with a timed line, a broken chapter prints its error and writes nothing, a fix rebuilds, Ctrl-C stops."""
    w, doc, out = watcher
    page = out / f"{DOC}.html"
    w.wait_for(r"^watching ")
    w.wait_for(r"^\[\d\d:\d\d:\d\d\] built web-doc \(html\) in \d+\.\d\d s$")

    for temporary in (".01-volumes.md.swp", "4913", "01-volumes.md~", "sedA1b2C3", ".#01-volumes.md"):
        (doc / temporary).write_text("an editor's temporary file\n", encoding="utf-8")  # none of them is a change
    with (doc / "01-volumes.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\nA sentence added while watching.\n")
    line = w.wait_for(r"rebuilt ")
    assert re.fullmatch(r"\[\d\d:\d\d:\d\d\] rebuilt web-doc \(html\) in \d+\.\d\d s \(01-volumes\.md changed\)", line)
    assert "A sentence added while watching." in page.read_text(encoding="utf-8")

    before = page.read_bytes()
    (doc / "02-outlook.md").write_text("No heading here.\n", encoding="utf-8")
    error = w.wait_for(r"02-outlook\.md:\d+:\d+: ")
    assert "02-outlook.md:1:1: a chapter must begin with a '# ' heading" in error
    assert re.search(r"\] build failed in \d+\.\d\d s: 1 error, nothing written \(02-outlook\.md changed\)$", w.wait_for(r"build failed"))
    assert page.read_bytes() == before

    (doc / "02-outlook.md").write_text("# Outlook\n\nRepaired while watching.\n", encoding="utf-8")
    w.wait_for(r"rebuilt .*02-outlook\.md changed")
    assert "Repaired while watching." in page.read_text(encoding="utf-8")
    assert not any("Traceback" in line for line in w.seen)

    assert all(len(line) <= 100 for line in w.seen if not line.startswith(str(doc)))  # problems name their file whole
    w.process.send_signal(signal.SIGINT)
    w.wait_for(r"^stopped watching$")
    assert w.process.wait(timeout=TIMEOUT) == 0


def test_a_template_change_rebuilds_every_document_and_a_chapter_change_only_its_own(tmp_path: Path) -> None:
    """Changes map to documents: a project template to all, a document file to that document, others to none."""
    for slug in ("alpha", "beta"):
        (tmp_path / slug).mkdir()
        (tmp_path / slug / "document.yaml").write_text("title: x\n", encoding="utf-8")
    assert affected_documents([PROJECT_TEMPLATES / "web" / "web.css"], tmp_path, []) == ["alpha", "beta"]
    assert affected_documents([tmp_path / "beta" / "01-a.md"], tmp_path, []) == ["beta"]
    assert affected_documents([tmp_path / "beta" / "images" / "x.png", tmp_path / "alpha" / "glossary.yaml"], tmp_path, []) == ["alpha", "beta"]
    assert affected_documents([tmp_path / "beta" / "01-a.md"], tmp_path, ["alpha"]) == []
    assert affected_documents([tmp_path.parent / "elsewhere.md"], tmp_path, []) == []


@pytest.mark.parametrize("name", [".01-a.md.swp", ".01-a.md.swx", "01-a.md~", "4913", "sedXy12Ab", ".#01-a.md",
                                  "#01-a.md#", ".01-a.md.tmp", ".goutputstream-ABC123", "01-a.md___jb_tmp___"])
def test_editor_temporaries_are_not_changes(tmp_path: Path, name: str) -> None:
    """Files an editor or sed writes beside the file it saves never start a rebuild."""
    assert source_changes([tmp_path / "doc" / name], tmp_path / "out") == []


@pytest.mark.parametrize("name", ["01-a.md", "sedimentation.md", "4913.md", "images/chart.png", "notes.swp.md"])
def test_real_files_are_changes(tmp_path: Path, name: str) -> None:
    """A chapter, a picture, a file merely resembling a temporary: each is a change."""
    assert source_changes([tmp_path / "doc" / name], tmp_path / "out") == [tmp_path / "doc" / name]


def test_changed_files_are_named_from_their_document(tmp_path: Path) -> None:
    """One document rebuilt: its files named inside its folder; several: from the source folder; templates from the project."""
    one = changed_names([tmp_path / "alpha" / "chapters" / "02-b.md"], tmp_path, ["alpha"])
    assert one == "chapters/02-b.md"
    several = changed_names([tmp_path / "alpha" / "01-a.md", tmp_path / "beta" / "01-a.md", tmp_path / "beta" / "x.png"],
                            tmp_path, ["alpha", "beta"])
    assert several == "alpha/01-a.md, beta/01-a.md and 1 more"
    assert changed_names([PROJECT_TEMPLATES / "web" / "web.css"], tmp_path, ["alpha", "beta"]) == "templates/web/web.css"


def test_a_long_report_line_is_shortened_in_its_names_not_its_time(capsys: pytest.CaptureFixture[str]) -> None:
    """A rebuild line with long names stays within 100 characters and keeps its time and its verb."""
    import time

    slug = "the-committee-on-energy-security-and-net-zero-heat-pumps-in-rented-housing"
    _report(f"rebuilt {slug} (pdf, epub, html)", time.perf_counter(), "chapters/03-a-long-chapter-about-tenancy-law.md")
    line = capsys.readouterr().out.rstrip("\n")
    assert len(line) <= 100
    assert re.fullmatch(r"\[\d\d:\d\d:\d\d\] rebuilt the-commi.*….* html\) in \d\.\d\d s \(chapters/.*….*\.md changed\)", line)


def test_a_staged_build_writes_the_quick_formats_before_the_pdf(tmp_path: Path) -> None:
    """The watch's build writes the web page, then the EPUB, each before the PDF is laid out; the .bib comes last."""
    from generator.build import build_in_stages, stages
    from generator.progress import silent
    from generator.writers import BuildOptions

    assert stages(["pdf", "epub", "html", "booklet"]) == [["html"], ["epub"], ["pdf", "booklet"]]
    assert stages(["pdf"]) == [["pdf"]]
    assert stages(["pdf", "epub", "html", "booklet"], paged_first=True) == [["pdf", "booklet"], ["html"], ["epub"]]
    assert stages(["html"], paged_first=True) == [["html"]]
    seen: list[tuple[list[str], list[str]]] = []

    def staged(group: list[str]) -> None:
        seen.append((group, sorted(p.name for p in (tmp_path / "out").iterdir())))

    result = build_in_stages(FIXTURES, [DOC], ["pdf", "epub", "html"], tmp_path / "out", BuildOptions(), silent(), staged)
    assert seen == [(["html"], [f"{DOC}.html"]), (["epub"], [f"{DOC}.epub", f"{DOC}.html"])]
    assert sorted(p.name for p in result.written) == [f"{DOC}.bib", f"{DOC}.epub", f"{DOC}.html", f"{DOC}.pdf"]


def test_a_slow_rebuild_reports_the_web_page_before_the_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """When a rebuild keeps the author waiting, the web page gets its own line as soon as it is written."""
    from generator import watch
    from generator.progress import silent
    from generator.writers import BuildOptions

    monkeypatch.setattr(watch, "STAGE_REPORT_S", 0.0)  # every build counts as slow
    assert watch.rebuild(FIXTURES, [DOC], ["pdf", "epub", "html"], tmp_path / "out", BuildOptions(), silent(), "01-volumes.md")
    lines = capsys.readouterr().out.splitlines()
    assert [re.sub(r"^\[\d\d:\d\d:\d\d\] | in \d+\.\d\d s", "", line) for line in lines] == [
        f"wrote {DOC} (html); pdf, epub to follow (01-volumes.md changed)",
        f"wrote {DOC} (epub); pdf to follow (01-volumes.md changed)",
        f"rebuilt {DOC} (pdf, epub, html) (01-volumes.md changed)",
    ]


def test_a_quick_document_gets_its_pdf_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """After a PDF rendered under PAGED_FIRST_S the watch writes the PDF before the web page and the EPUB
    (what the author of a short document waits for); a slow, failed or unknown build keeps the web page first."""
    from generator import watch
    from generator.progress import silent
    from generator.writers import BuildOptions

    last: dict[tuple[str, ...], float] = {}
    assert not watch.was_quick(last, [DOC])  # no build yet
    watch.remember(last, [DOC], None)  # a failed build says nothing
    assert not watch.was_quick(last, [DOC])
    watch.remember(last, [DOC], watch.PAGED_FIRST_S / 2)
    assert watch.was_quick(last, [DOC]) and not watch.was_quick(last, [DOC, "other"])
    watch.remember(last, [DOC], watch.PAGED_FIRST_S * 3)
    assert not watch.was_quick(last, [DOC])

    monkeypatch.setattr(watch, "STAGE_REPORT_S", 0.0)  # every stage gets its line
    seconds = watch.rebuild(FIXTURES, [DOC], ["pdf", "epub", "html"], tmp_path / "out", BuildOptions(), silent(),
                            "01-volumes.md", paged_first=True)
    assert seconds is not None and seconds > 0
    # The paged stage's own time: the PDF's, not the web page's and the EPUB's after it.
    assert watch.paged_seconds(10.0, [(["pdf"], 10.8), (["html"], 10.9), (["epub"], 11.2)]) == pytest.approx(0.8)
    assert watch.paged_seconds(10.0, [(["html"], 10.1), (["epub"], 10.3), (["pdf", "booklet"], 12.0)]) \
        == pytest.approx(1.7)
    assert watch.paged_seconds(10.0, [(["html"], 10.25)]) == pytest.approx(0.25)
    lines = capsys.readouterr().out.splitlines()
    assert [re.sub(r"^\[\d\d:\d\d:\d\d\] | in \d+\.\d\d s", "", line) for line in lines] == [
        f"wrote {DOC} (pdf); epub, html to follow (01-volumes.md changed)",
        f"wrote {DOC} (html); epub to follow (01-volumes.md changed)",
        f"rebuilt {DOC} (pdf, epub, html) (01-volumes.md changed)",
    ]
    out = tmp_path / "out"
    assert (out / f"{DOC}.pdf").stat().st_mtime_ns <= (out / f"{DOC}.html").stat().st_mtime_ns \
        <= (out / f"{DOC}.epub").stat().st_mtime_ns
