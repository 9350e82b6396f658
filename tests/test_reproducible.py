"""Reproducible builds: the same sources give the same bytes, in separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from tests.conftest import ROOT, SEED, SOURCE
from tests.helpers import NS, epub_xml, opf_path


def build(out: Path, source: Path, slug: str, epoch: str | None) -> None:
    """Build PDF, EPUB and web page of one document in a fresh process, with SOURCE_DATE_EPOCH set or unset."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(ROOT)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    result = subprocess.run([sys.executable, "-m", "generator", "all", slug, "--source", str(source), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


def test_two_builds_without_source_date_epoch_are_byte_identical(seed_build: Path, tmp_path: Path) -> None:
    """Two builds of the seed briefing in separate processes (the session's and one here) give identical
    PDF, EPUB and web page bytes, dated by document.yaml."""
    assert "SOURCE_DATE_EPOCH" not in os.environ, "the session's seed build must be dated by document.yaml"
    build(tmp_path / "two", SOURCE, SEED, None)
    for suffix in (".pdf", ".epub", ".html"):
        assert (seed_build / f"{SEED}{suffix}").read_bytes() == (tmp_path / "two" / f"{SEED}{suffix}").read_bytes()
    info = PdfReader(str(seed_build / f"{SEED}.pdf")).metadata
    assert info["/ModDate"].startswith("D:20261125000000")


def small_document(source: Path) -> None:
    """A one-chapter document with a glossary term."""
    root = source / "small"
    root.mkdir(parents=True)
    (root / "document.yaml").write_text("title: Small\ndate: 2026-01-15\nchapters:\n  - 01-intro.md\n")
    (root / "01-intro.md").write_text("# Introduction\n\nThe AWS text.[^1]\n\n[^1]: A note.\n")
    (root / "glossary.yaml").write_text("- term: AWS\n  definition: Amazon's cloud.\n")


def test_source_date_epoch_fixes_the_timestamps_and_the_bytes(tmp_path: Path) -> None:
    """With SOURCE_DATE_EPOCH, two builds are identical and both PDF and EPUB carry that moment as modified."""
    small_document(tmp_path / "source")
    build(tmp_path / "one", tmp_path / "source", "small", "1700000000")
    build(tmp_path / "two", tmp_path / "source", "small", "1700000000")
    for name in ("small.pdf", "small.epub"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    info = PdfReader(str(tmp_path / "one" / "small.pdf")).metadata
    assert info["/ModDate"].startswith("D:20231114221320")
    epub = tmp_path / "one" / "small.epub"
    opf = epub_xml(epub, opf_path(epub))
    assert opf.xpath("string(//opf:meta[@property='dcterms:modified'])", namespaces=NS) == "2023-11-14T22:13:20Z"


def test_same_sources_in_another_folder_give_the_same_bytes(tmp_path: Path) -> None:
    """A document with pictures, copied to two folders at different paths, builds to identical PDF, EPUB and web page."""
    import shutil

    from tests.conftest import FIXTURES

    outputs = []
    for place in ("a", "somewhere/much/deeper"):
        source = tmp_path / place / "source"
        shutil.copytree(FIXTURES / "web-doc", source / "web-doc")
        out = tmp_path / place / "build"
        build(out, source, "web-doc", None)
        outputs.append({name: (out / name).read_bytes() for name in ("web-doc.pdf", "web-doc.epub", "web-doc.html")})
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name
