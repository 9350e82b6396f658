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


def test_scaling_benchmark_reads_every_shape_without_a_refusal(tmp_path: Path) -> None:
    """Each input shape of bench/scaling.py builds (a refused document would time an error path)
    and is timed in reading and in every pass, at each size."""
    from bench.scaling import SHAPES, measure_shape
    from generator.build import PASSES

    for shape in SHAPES:
        result = measure_shape(shape, tmp_path, runs=1, sizes=(1, 2))
        assert list(result["per_unit_ms"]) == ["read", *(name for name, _ in PASSES)]
        assert all(len(figures) == 2 and min(figures) > 0 for figures in result["per_unit_ms"].values())


def test_scaling_ratio_shows_quadratic_work_and_ignores_stages_too_short_to_time() -> None:
    from bench.report import worst_scaling
    from bench.scaling import _ratio

    assert _ratio({1: 0.001, 10: 0.01, 100: 0.1}, (1, 10, 100)) == 100.0  # 100 times slower a unit: quadratic
    assert _ratio({1: 0.001, 10: 0.001, 100: 0.001}, (1, 10, 100)) == 1.0
    assert _ratio({1: 0.00001, 10: 0.0002, 100: 0.002}, (1, 10, 100)) == 10.0  # 1x too short: 10x is the base
    assert _ratio({1: 0.000001, 10: 0.000001, 100: 0.001}, (1, 10, 100)) is None
    shapes = {"a": {"ratio_largest_to_smallest": {"read": 1.1, "glossary": 3.5, "size": None}}}
    assert worst_scaling({"pass_scaling": shapes}) == 3.5


def test_glossary_micro_benchmark_runs_on_the_current_model() -> None:
    """bench/micro.py builds its document straight into the model; it must follow the model's changes."""
    from bench.micro import synthetic_document, time_linking

    result = time_linking(synthetic_document(terms=50, text_bytes=20_000), runs=1)
    assert result["terms"] == 50 and int(result["uses"]) > 0 and int(result["text_bytes"]) > 15_000
