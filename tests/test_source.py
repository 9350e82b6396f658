"""Loading and validating document folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.errors import SourceError
from generator.source import find_documents, load_document
from tests.conftest import SEED, SOURCE, run_generator


def test_seed_document_loads_with_its_chapters_and_glossary() -> None:
    """The seed briefing loads: metadata, five chapters with titles, the glossary's terms."""
    document = load_document(SOURCE / SEED)
    assert document.meta.title == "Amazon and Anthropic"
    assert document.meta.language == "en"
    assert [c.title for c in document.chapters][:2] == ["The Partnership at a Glance", "The Race for Computing Power"]
    assert 3 <= len(document.meta.summary) <= 5
    terms = {e.term for e in document.glossary}
    assert {"AWS", "Trainium2", "Multi-cloud", "FTC"} <= terms


def test_seed_strategy_is_an_ordered_list_of_three_stages() -> None:
    """The three stages of the strategy are an ordered list."""
    chapter = next(c for c in load_document(SOURCE / SEED).chapters if "Strategy" in c.title)
    assert chapter.body.xhtml().count("<li>") == 3 and "<ol>" in chapter.body.xhtml()


def test_find_documents_lists_folders_with_document_yaml() -> None:
    """Every folder of source/ holding document.yaml is a document."""
    assert SEED in find_documents(SOURCE)


def test_identifier_is_derived_deterministically_from_the_slug() -> None:
    """Without an identifier the same slug always gives the same UUID URN."""
    first = load_document(SOURCE / SEED).meta.identifier
    assert first == load_document(SOURCE / SEED).meta.identifier
    assert first.startswith("urn:uuid:")


def copy_seed(tmp_path: Path) -> Path:
    """A writable copy of the seed document."""
    root = tmp_path / "source" / SEED
    shutil.copytree(SOURCE / SEED, root)
    return root


def test_missing_required_key_names_file_and_key(tmp_path: Path) -> None:
    """Dropping 'title' fails with document.yaml's path, a line, and the key's name; no traceback."""
    root = copy_seed(tmp_path)
    meta = root / "document.yaml"
    meta.write_text("\n".join(l for l in meta.read_text().splitlines() if not l.startswith("title:")) + "\n")
    result = run_generator("pdf", SEED, "--source", str(tmp_path / "source"), "--out", str(tmp_path / "build"))
    assert result.returncode == 1
    assert f"{SEED}/document.yaml:2:1: missing required key 'title'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "build").exists()


def test_load_error_carries_every_problem(tmp_path: Path) -> None:
    """Two mistakes in one file are reported together."""
    root = copy_seed(tmp_path)
    meta = root / "document.yaml"
    meta.write_text(meta.read_text().replace("date: 2026-11-25", "date: 25/11/2026").replace("title:", "titel:"))
    with pytest.raises(SourceError) as caught:
        load_document(root)
    messages = [p.message for p in caught.value.problems]
    assert "unknown key 'titel'; did you mean 'title'?" in messages
    assert "'date' must be a date written YYYY-MM-DD, not '25/11/2026'" in messages
