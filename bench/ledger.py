"""The cost ledger: what each design feature of the PDF costs to lay out, found by switching it off alone.

``python -m bench.ledger SOURCE SLUG RUNS BUDGET_S`` prints, as JSON, the CPU time of our PDF
writer's work on one document with every feature on (the baseline) and with each feature
off in turn. The process imports the generator and WeasyPrint and reads and links the
document once; each run is then a forked child that renders once and dies, so every run
starts from the same cold state (no layout done yet, nothing cached by an earlier run) and
no run pays for the imports. The runs are interleaved (a round is every variant once) so
that noise on a shared machine hits all variants alike; a round is not started when the
last one says it would end past BUDGET_S.

A feature is switched off by the least intrusive means that removes its work and nothing
else, here and nowhere in the generator:

- CSS appended at the end of the print HTML's head, ``!important`` so that it wins over
  every rule of print.css (hyphenation, footnotes, running heads, page numbers, contents,
  link notes, tables);
- a textual rewrite of the print HTML (the OpenType faces' ``@font-face`` rules, the
  callouts' classes, the glossary's page numbers);
- a bench-only subclass of the PDF writer: no first layout (it exists only to find the
  pages of the glossary's uses and cross-references; a document without cross-references
  has none anyway, its pages are found in the layout kept: generator/writers/pdf_pages.py),
  no PDF/UA variant and no tagging post-pass (generator/writers/pdf_tags.py).

Some switches change the pagination (system fonts instead of the Source faces, footnotes
run into the text): each variant's page count is recorded beside its time.
"""

from __future__ import annotations

import io
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASELINE = "baseline"
ALL_OFF = "all-off"
# The stages of the baseline, timed directly; "second layout" is what is left of the writer's time.
STAGES = ("html", "first layout", "second layout", "write_pdf", "pdf_tags")
STAGE_ROWS = {"html": "stage: the print HTML's templates (twice)",
              "first layout": "stage: first layout (cross-references only)",
              "second layout": "stage: the layout kept",
              "write_pdf": "stage: write_pdf (font subsets, PDF/UA tags, objects)",
              "pdf_tags": "stage: pdf_tags repair (a finisher, inside write_pdf)"}


@dataclass(frozen=True)
class Variant:
    """One way to lay the document out: a feature switched off (or none, the baseline)."""

    key: str
    feature: str  # the ledger's row
    css: str = ""  # appended to the print HTML's <head>
    rewrites: tuple[tuple[str, str], ...] = ()  # (pattern, replacement) on the print HTML
    first_layout: bool = True  # False: no first layout, so no glossary page numbers either
    tagged: bool = True  # False: neither WeasyPrint's PDF/UA tags nor our post-pass
    hyphenation: bool = True  # False: the patterns are not even preloaded


VARIANTS: tuple[Variant, ...] = (
    Variant(BASELINE, "every feature on"),
    Variant("hyphenation", "hyphenation", css="* { hyphens: manual !important; }", hyphenation=False),
    Variant("footnotes", "footnotes at the page foot", css=".footnote:not(.link-note) { float: none !important; }"),
    Variant("running-heads", "running heads (string-set)",
            css="@page { @top-left { content: none !important; } @top-right { content: none !important; } }"
                " * { string-set: none !important; }"),
    Variant("page-of", "\"Page n of N\"",
            css="@page { @bottom-left { content: none !important; } @bottom-right { content: none !important; } }"),
    # The first layout finds the pages of the glossary's uses (and of cross-references, for their
    # "(page 5)"): without it, and without the numbers, the glossary lists no pages.
    Variant("glossary-pages", "glossary page references",
            rewrites=((r'<span class="used-on">.*?</span>(?=</dd>)', ""),), first_layout=False),
    Variant("contents-pages", "contents page numbers and leaders",
            css=".toc a::after, .caption-list a::after { content: none !important; }"),
    Variant("link-notes", "link notes", css=".link-note { display: none !important; }"),
    Variant("tagging", "PDF/UA tagging (WeasyPrint's tags + pdf_tags post-pass)", tagged=False),
    # Without the Source faces the text falls back to the system's fonts (still embedded, as subsets).
    Variant("fonts", "embedded OpenType fonts (system fonts instead)", rewrites=((r"@font-face \{[^}]*\}", ""),)),
    Variant("callouts", "callouts (as plain blocks)", rewrites=((r'class="callout ', 'class="plain-'),)),
    Variant("tables", "tables (as plain blocks)",
            css="table, thead, tbody, tfoot, tr, th, td, caption { display: block !important; }"),
)


def all_off(variants: tuple[Variant, ...]) -> Variant:
    """Every feature of the ledger off at once: what the plain text alone costs."""
    switched = [v for v in variants if v.key != BASELINE]
    return Variant(ALL_OFF, "all of the above off together", css=" ".join(v.css for v in switched if v.css),
                   rewrites=tuple(r for v in switched for r in v.rewrites), first_layout=False, tagged=False,
                   hyphenation=False)


def variant_markup(variant: Variant, markup: str) -> str:
    """The print HTML with the variant's rewrites made and its CSS appended last in the head."""
    for pattern, replacement in variant.rewrites:
        markup = re.sub(pattern, replacement, markup, flags=re.DOTALL)
    if not variant.css:
        return markup
    head_end = markup.index("</head>")
    return f"{markup[:head_end]}<style>{variant.css}</style>\n{markup[head_end:]}"


@dataclass
class StageClock:
    """CPU seconds spent in each named stage."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the CPU time of the block to the stage ``name``."""
        start = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - start

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` with its CPU time added to the stage ``name``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return function(*args, **kwargs)

        return wrapper


def variant_writer(variant: Variant, clock: StageClock) -> Any:
    """A PDF writer that lays the document out as the variant says and times its stages."""
    from generator.writers.pdf import PdfWriter

    class LedgerWriter(PdfWriter):
        """The PDF writer with one feature off (bench only)."""

        def html(self, ctx: Any, pages: dict[str, int], **kwargs: Any) -> str:
            with clock.stage("html"):
                return variant_markup(variant, super().html(ctx, pages, **kwargs))

        def first_layout_in_halves(self, ctx: Any) -> dict[str, int] | None:
            return None  # the ledger counts CPU seconds in one process: the first layout made whole

        def pages_entry(self, ctx: Any) -> Path | None:
            return None  # a first build's cost: no pages of an earlier run to try

        def use_pages(self, ctx: Any, markup: str) -> dict[str, int]:
            if not variant.first_layout:
                return {}
            with clock.stage("first layout"):
                return super().use_pages(ctx, markup)

        def options(self, ctx: Any) -> dict[str, Any]:
            options = super().options(ctx)
            return options if variant.tagged else {k: v for k, v in options.items() if k != "pdf_variant"}

    return LedgerWriter()


def install_stage_timers(variant: Variant, clock: StageClock) -> None:
    """Time write_pdf and the tagging post-pass; leave out what the variant switches off.

    Only ever called in a forked child that renders once and exits, so nothing is restored.
    """
    from weasyprint.document import Document as Rendered

    import generator.writers.pdf as pdf_writer
    from generator.writers import pdf_tags

    Rendered.write_pdf = clock.timed("write_pdf", Rendered.write_pdf)
    if variant.tagged:  # the repair runs inside write_pdf (a finisher), so its time is also write_pdf's
        pdf_tags.repair_tags = clock.timed("pdf_tags", pdf_tags.repair_tags)
    else:
        pdf_writer.tag_repair = _untouched
    if not variant.hyphenation:
        pdf_writer.preload_hyphenation = lambda language: None


def _untouched(describe: Any = None, before: Any = None) -> Any:
    """No tagging post-pass: only the writer's own finisher, and the PDF as WeasyPrint writes it."""
    return before


def render_variant(variant: Variant, ctx: Any) -> dict[str, object]:
    """Lay the document out once as the variant says: CPU and wall time, stages, pages."""
    from pypdf import PdfReader

    clock = StageClock()
    install_stage_timers(variant, clock)
    writer = variant_writer(variant, clock)
    wall, cpu = time.perf_counter(), time.process_time()
    _, pdf = writer.laid_out(ctx)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    clock.seconds["second layout"] = cpu - sum(clock.seconds.values())
    return {"cpu_s": cpu, "wall_s": wall, "stages": clock.seconds, "pages": len(PdfReader(io.BytesIO(pdf)).pages)}


def in_child(work: Callable[[], dict[str, object]]) -> dict[str, object]:
    """Run ``work`` in a forked child and return what it returned."""
    from generator.writers.segments import forked

    return forked(work)()


def prepared_context(source: Path, slug: str) -> Any:
    """The writer's context for one document, read and linked, with WeasyPrint imported."""
    import weasyprint  # noqa: F401 - imported here so that no run pays for it

    from generator.build import check
    from generator.labels import document_labels
    from generator.templates import make_environment
    from generator.writers import BuildOptions, WriteContext

    document = check(source, [slug])[0]
    env = make_environment(document.root, document_labels(document))
    out_dir = Path(tempfile.gettempdir())  # laid_out writes nothing
    return WriteContext(document=document, env=env, options=BuildOptions(), out_dir=out_dir)


def measure_ledger(source: Path, slug: str, runs: int, budget_s: float,
                   variants: tuple[Variant, ...] = VARIANTS) -> dict[str, object]:
    """Rounds of every variant (and all off together), each run a fresh child; at least one round."""
    started = time.perf_counter()
    ctx = prepared_context(source, slug)
    prepare_cpu = time.process_time()  # interpreter, imports, reading and linking: what a build adds
    table = (*variants, all_off(variants))
    results: dict[str, list[dict[str, object]]] = {v.key: [] for v in table}
    last_round = 0.0
    for index in range(runs):
        round_start = time.perf_counter()
        if index and round_start - started + last_round > budget_s:
            break
        for variant in table:
            results[variant.key].append(in_child(lambda: render_variant(variant, ctx)))
        last_round = time.perf_counter() - round_start
    return {"slug": slug, "prepare_cpu_s": round(prepare_cpu, 3), "rounds": len(results[BASELINE]),
            "variants": {v.key: summary(v, results[v.key]) for v in table}}


def summary(variant: Variant, runs: list[dict[str, object]]) -> dict[str, object]:
    """A variant's runs: each CPU and wall time, their medians, its stages' medians, its pages."""
    cpu = [float(r["cpu_s"]) for r in runs]  # type: ignore[arg-type]
    stages = {name: round(statistics.median(float(r["stages"].get(name, 0.0)) for r in runs), 4)  # type: ignore[union-attr]
              for name in STAGES}
    return {"feature": variant.feature, "cpu_s": [round(c, 4) for c in cpu],
            "median_cpu_s": round(statistics.median(cpu), 4),
            "median_wall_s": round(statistics.median(float(r["wall_s"]) for r in runs), 4),  # type: ignore[arg-type]
            "stages": stages, "pages": runs[-1]["pages"]}


def ledger_rows(result: dict[str, Any]) -> list[dict[str, object]]:
    """The ledger: each feature's CPU seconds saved when it alone is off, and its share of the build.

    The build is one process doing all the work of ``generator pdf``: start-up, imports, reading
    and linking (``prepare_cpu_s``) plus the baseline's render. Then the baseline's own stages,
    timed directly, as rows of the same table.
    """
    variants = result["variants"]
    base = variants[BASELINE]
    build = result["prepare_cpu_s"] + base["median_cpu_s"]
    rows = [{"feature": v["feature"], "saved_s": round(base["median_cpu_s"] - v["median_cpu_s"], 3),
             "share": round((base["median_cpu_s"] - v["median_cpu_s"]) / build, 3), "pages": v["pages"]}
            for key, v in variants.items() if key != BASELINE]
    rows.append({"feature": "start-up, imports, reading and linking (one process)", "saved_s": result["prepare_cpu_s"],
                 "share": round(result["prepare_cpu_s"] / build, 3), "pages": None, "stage": True})
    rows += [{"feature": STAGE_ROWS[name], "saved_s": base["stages"][name], "share": round(base["stages"][name] / build, 3),
              "pages": None, "stage": True} for name in STAGES]
    return rows


def noise_s(result: dict[str, Any]) -> float:
    """Half the spread of the baseline's runs: a saving smaller than this is not told apart from noise."""
    cpu = result["variants"][BASELINE]["cpu_s"]
    return round((max(cpu) - min(cpu)) / 2, 3)


def main(argv: list[str]) -> int:
    """Measure the ledger of one document and print it as JSON on stdout."""
    source, slug, runs, budget = Path(argv[0]), argv[1], int(argv[2]), float(argv[3])
    print(json.dumps(measure_ledger(source, slug, runs, budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
