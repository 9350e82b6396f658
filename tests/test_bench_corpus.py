"""The benchmark's generated document: deterministic, and a valid source for our pipeline."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import BOOK_TERMS, write_book, write_document
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


def test_generated_book_is_the_same_each_time_loads_and_has_code_in_every_section(tmp_path: Path) -> None:
    """The technical book: deterministic, accepted by the loader, a highlighted block in every
    section (Python, JSON, shell in turn) and 16 terms, each used."""
    first = _files(write_book(tmp_path / "a", "book", chapters=3))
    assert first == _files(write_book(tmp_path / "b", "book", chapters=3))
    document = link_glossary(load_document(tmp_path / "a" / "book"))
    assert len(document.chapters) == 3 and len(document.glossary) == BOOK_TERMS
    html = "".join(c.body.xhtml() for c in document.chapters)
    assert html.count('<pre class="code"') == 3 * 6
    assert all(f'data-lang="{language}"' in html for language in ("python", "json", "shell"))
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


def test_a_ledger_variant_appends_its_css_last_in_the_head_and_makes_its_rewrites() -> None:
    """The switch-off CSS comes after every stylesheet (so it wins) and the rewrites touch only their pattern."""
    from bench.ledger import Variant, variant_markup

    markup = '<html><head><style>p{}</style></head><body><div class="callout note">x</div></body></html>'
    variant = Variant("v", "v", css="p { hyphens: manual !important; }", rewrites=((r'class="callout ', 'class="plain-'),))
    assert variant_markup(variant, markup) == ('<html><head><style>p{}</style><style>p { hyphens: manual !important; }'
                                               '</style>\n</head><body><div class="plain-note">x</div></body></html>')


def test_the_ledger_runs_each_variant_in_a_fresh_child_and_reports_rows_of_the_right_shape(tmp_path: Path) -> None:
    """bench/ledger.py on a one-chapter document, the baseline and everything off: every row has a
    saving and a share, each variant its pages, and the baseline its stages."""
    from bench.ledger import BASELINE, STAGE_ROWS, STAGES, VARIANTS, ledger_rows, measure_ledger, noise_s
    from bench.report import print_ledger

    write_document(tmp_path, "doc", scale=0.025)
    result = measure_ledger(tmp_path, "doc", runs=1, budget_s=0, variants=VARIANTS[:1])
    assert result["rounds"] == 1 and list(result["variants"]) == [BASELINE, "all-off"]
    base, off = result["variants"][BASELINE], result["variants"]["all-off"]
    assert base["median_cpu_s"] > 0 and base["pages"] > 1 and list(base["stages"]) == list(STAGES)
    # No cross-reference: the glossary's pages are found in the layout kept, with no first layout.
    assert base["stages"]["first layout"] == 0 and base["stages"]["second layout"] > 0 and base["stages"]["pdf_tags"] > 0
    assert off["stages"]["first layout"] == off["stages"]["pdf_tags"] == 0
    rows = ledger_rows(result)
    assert rows[0]["feature"] == "all of the above off together" and rows[-1]["feature"] == STAGE_ROWS["pdf_tags"]
    assert all(isinstance(r["saved_s"], float) and isinstance(r["share"], float) for r in rows)
    print_ledger({"doc": {**result, "noise_s": noise_s(result), "rows": rows}})


def test_the_writers_loop_times_a_save_to_the_new_pdf(tmp_path: Path) -> None:
    """bench/loop.py: a real watcher on a copy of a small document, one save, one new PDF timed."""
    import os

    from bench.loop import measure_loop

    document = write_document(tmp_path / "source", "doc", scale=0.025)
    result = measure_loop(document, tmp_path / "loop", saves=1, formats="pdf", env=dict(os.environ))
    assert result["saves"] == 1 and result["formats"] == "pdf"
    assert 0 < result["median_rebuild_s"] <= result["median_save_to_pdf_s"] and result["median_cpu_s"] > 0
