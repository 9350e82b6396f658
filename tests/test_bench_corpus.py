"""The benchmark's generated document: deterministic, and a valid source for our pipeline."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import write_document
from generator.glossary import link_glossary
from generator.source import load_document


def _files(root: Path) -> dict[str, bytes]:
    """Every file of a document folder by name."""
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def test_same_seed_and_scale_give_the_same_bytes(tmp_path: Path) -> None:
    """Two generations with the same seed and scale write identical files; another seed differs."""
    first = _files(write_document(tmp_path / "a", "doc", scale=0.05, seed=3))
    second = _files(write_document(tmp_path / "b", "doc", scale=0.05, seed=3))
    other = _files(write_document(tmp_path / "c", "doc", scale=0.05, seed=4))
    assert first == second
    assert first.keys() == other.keys() and first != other


def test_generated_document_loads_and_uses_every_term(tmp_path: Path) -> None:
    """The loader accepts the document; it has tables, footnotes and definition lists, and uses every term."""
    document = link_glossary(load_document(write_document(tmp_path, "doc", scale=0.05)))
    assert len(document.chapters) == 2
    assert len(document.glossary) == 15
    html = "".join(c.body.xhtml() for c in document.chapters)
    assert "<table>" in html and "<dl>" in html and 'class="noteref"' in html
    assert all(c.footnotes for c in document.chapters)
    assert [e.term for e in document.glossary if not e.uses] == []
