"""``python -m bench [--out build]``: run every workload, print the table, write bench.json.

Environment: ``BENCH_QUICK=1`` for a short development run (one run each, a smaller large
document); ``BENCH_RUNS=N`` to choose the number of runs; ``BENCH_BUDGET_S`` (default 540) the
time after which no further round of runs is started. The cost ledger (bench/ledger.py) runs on
the workloads ``BENCH_LEDGER`` names (default ``seed,tenth``; add ``large`` for the full
document, ``none`` skips it), within ``BENCH_LEDGER_BUDGET_S`` (default 150) of its own: a
round of its variants is not started past that, but each workload gets at least one.
``BENCH_BOOK=1`` adds issue 20's third corpus, a generated technical book of about 700 pages
with code in every section (bench/corpus.py, ``write_book``), one run of each command at the
end: about 8 minutes more, so it is not in the 10-minute default.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import corpus, ledger, loop, peer
from bench.measure import Measurement, measure, pdf_pages, run_once, size_kb
from bench.report import REBUILT, print_ledger, print_loop, print_scaling, print_table, ratios, targets
from generator.cache import cache_folder

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


@dataclass(frozen=True)
class Workload:
    """A document to build: its name in the table, its source folder and slug."""

    name: str
    source: Path
    slug: str

    @property
    def root(self) -> Path:
        """The document's own folder."""
        return self.source / self.slug


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    args = _args(argv)
    quick = os.environ.get("BENCH_QUICK", "") not in {"", "0"}
    runs = int(os.environ.get("BENCH_RUNS", "1" if quick else "3"))
    large_scale = 0.3 if quick else 1.0
    started = time.perf_counter()
    # The large workload goes last; micro-benchmark and no-op make take under half a minute.
    deadline = started + float(os.environ.get("BENCH_BUDGET_S", "540"))
    env = _environment()
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        workloads = [
            Workload("seed", ROOT / "source", _seed_slug()),
            Workload("tenth", work / "source", "tenth"),
            Workload("large", work / "source", "large"),
            # Issue 20's code-heavy and non-Latin corpora: fixtures nobody tuned for speed.
            Workload("code", ROOT / "tests" / "fixtures", "code-wide"),
            Workload("ja", ROOT / "tests" / "fixtures", "i18n-ja"),
        ]
        corpus.write_document(work / "source", "tenth", large_scale / 10)
        corpus.write_document(work / "source", "large", large_scale)
        measurements = []
        for workload in (*workloads[:2], *workloads[3:]):
            measurements += _timed_workload(workload, work, runs, env, started, deadline)
        # The ledger and the loop before the large workload, which takes what is left of the budget.
        ledger_result = cost_ledger(workloads, runs, env)
        _log("the writer's loop: save a chapter under `generator watch`, wait for the new PDF")
        loop_result = writers_loop(workloads[0], work / "loop", 3 if quick else 5, env)
        measurements += _timed_workload(workloads[2], work, runs, env, started, deadline)
        _log("glossary linking micro-benchmark")
        micro = glossary_micro(runs, env)
        _log("scaling of reading and every pass at 1x, 10x, 100x")
        scaling_result = pass_scaling(runs, env)
        _log("no-op make all")
        noop = noop_make(work / "make-build", runs, env)
        if os.environ.get("BENCH_BOOK", "") not in {"", "0"}:
            book = Workload("book", work / "source", "book")
            corpus.write_book(book.source, book.slug)
            measurements += _timed_workload(book, work, 1, env, started, deadline)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "weasyprint": _weasyprint_version(),
        "pandoc": peer.pandoc_version(),
        "quick": quick,
        "runs": runs,
        "large_scale": large_scale,
        "measurements": [m.as_json() for m in measurements],
        "ratios": ratios(measurements),
        "glossary_linking": micro,
        "pass_scaling": scaling_result,
        "noop_make": noop,
        "ledger": ledger_result,
        "writers_loop": loop_result,
    }
    result["targets"] = targets(result, measurements)
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print_table(result, measurements)
    print_scaling(scaling_result)
    print_ledger(ledger_result)
    print_loop(loop_result)
    print(f"\nwrote {args.out / 'bench.json'} ({result['bench_seconds']} s)")
    return 0


def _args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark the PDF and EPUB pipeline.")
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="where bench.json goes (default: build)")
    return parser.parse_args(argv)


def _timed_workload(w: Workload, work: Path, runs: int, env: dict[str, str], started: float,
                    deadline: float) -> list[Measurement]:
    """bench_workload with a line of progress; the floor without back-references on the tenth."""
    _log(f"{w.name}: {runs} run(s) of each command ({time.perf_counter() - started:.0f} s so far)")
    return bench_workload(w, work / "out" / w.name, runs, env, backrefs_variant=w.name == "tenth", deadline=deadline)


def bench_workload(w: Workload, out: Path, runs: int, env: dict[str, str], backrefs_variant: bool,
                   deadline: float) -> list[Measurement]:
    """Every command on one workload, the runs interleaved so that machine noise hits all alike.

    A run after the first is skipped when the last one says it would end past the deadline,
    so that the whole benchmark keeps to its time budget; the table shows the runs made.
    """
    last_round = 0.0
    pandoc = peer.pandoc_binary()
    inputs, meta = peer.pandoc_inputs(w.root, out / "pandoc-input")
    ours_pdf = [PY, "-m", "generator", "pdf", w.slug, "--source", str(w.source), "--out", str(out / "ours")]
    table = [
        (Measurement(w.name, "pdf", "ours", ours_pdf), ours_pdf + ["--keep-html"]),
        # The same command again, trying the pages its last build found (generator/cache.py): a
        # rebuild's price. A document without cross-references makes one layout either way (its
        # glossary's pages are found in it), so the generated report and book have no such row.
        *([(Measurement(w.name, "pdf", REBUILT, ours_pdf), None)] if w.name not in {"tenth", "large", "book"} else []),
        (Measurement(w.name, "pdf", "floor", _floor_command(w, out)), None),
        (Measurement(w.name, "pdf", "pandoc", peer.pandoc_command(pandoc, inputs, meta, w.root, out / "pandoc.pdf")), None),
        # Typst as a reference point (issue 20): setting the Typst markup Pandoc writes from the same Markdown.
        (Measurement(w.name, "pdf", "typst", peer.typst_command(
            peer.typst_source(pandoc, inputs, meta, w.root, out / "typst" / f"{w.slug}.typ"), out / "typst.pdf")), None),
        (Measurement(w.name, "epub", "ours",
                     [PY, "-m", "generator", "epub", w.slug, "--source", str(w.source), "--out", str(out / "ours")]), None),
        (Measurement(w.name, "epub", "pandoc", peer.pandoc_command(pandoc, inputs, meta, w.root, out / "pandoc.epub")), None),
    ]
    out.mkdir(parents=True, exist_ok=True)
    for index in range(runs):
        round_start = time.perf_counter()
        if index and round_start + last_round > deadline:
            _log(f"  {w.name}: stopping after {index} run(s): another would pass BENCH_BUDGET_S")
            break
        for m, first in table:
            if m.tool == "floor" and index == 0:
                m.command[3] = str(_kept_html(out, w.slug))
            measure_one(m, first if index == 0 else None, w, env)
        if backrefs_variant and index == 0:
            table.append((_without_backrefs(w, out), None))
            measure_one(table[-1][0], None, w, env)
        last_round = time.perf_counter() - round_start
    _record_outputs(w, out, [m for m, _ in table])
    return [m for m, _ in table]


def measure_one(m: Measurement, first: list[str] | None, w: Workload, env: dict[str, str]) -> None:
    """One more run of a measurement, in the folder its tool expects."""
    cwd = w.root if m.tool == "pandoc" else ROOT
    if (m.output, m.tool) == ("pdf", "ours"):
        forget_pages(env)  # a first build: no pages of an earlier build to try
    measure(m, 1, cwd, env, first_command=first)
    _log(f"  {w.name:5} {m.output:4} {m.tool:15} {m.runs[-1].wall_s:7.2f} s  {m.runs[-1].peak_rss_mb:6.0f} MB")


def forget_pages(env: dict[str, str]) -> None:
    """Remove the pages earlier builds kept (generator/cache.py), in the cache the commands use."""
    folder = cache_folder("pages", env)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _floor_command(w: Workload, out: Path) -> list[str]:
    """WeasyPrint alone on the HTML our first PDF run keeps, with our fetcher's folders."""
    from generator.source import load_document
    from generator.templates import PROJECT_TEMPLATES, font_dirs

    identifier = load_document(w.root).meta.identifier
    allowed = [w.root, PROJECT_TEMPLATES, *font_dirs()]
    return [PY, "-m", "bench.floor", "<kept html>", str(w.root), str(out / "floor.pdf"),
            identifier, *map(str, allowed)]


def _kept_html(out: Path, slug: str) -> Path:
    """The HTML our --keep-html run wrote (``<slug>.print.html``; ``<slug>.html`` before the web writer)."""
    for name in (f"{slug}.print.html", f"{slug}.html"):
        if (out / "ours" / name).is_file():
            return out / "ours" / name
    raise SystemExit(f"bench: no HTML kept in {out / 'ours'}: does `generator pdf --keep-html` still exist?")


def _without_backrefs(w: Workload, out: Path) -> Measurement:
    """The floor on our HTML with the glossary's page back-references taken out: what they cost."""
    html = _kept_html(out, w.slug).read_text(encoding="utf-8")
    stripped, count = re.subn(r'<a class="page-ref"[^>]*>[^<]*</a>(?:, |–)?', "", html)
    variant = out / f"{w.slug}-no-backrefs.html"
    variant.write_text(stripped, encoding="utf-8")
    command = _floor_command(w, out)
    command[3], command[5] = str(variant), str(out / "floor-no-backrefs.pdf")
    return Measurement(w.name, "pdf", f"floor-{count}refs", command)


def _record_outputs(w: Workload, out: Path, measurements: list[Measurement]) -> None:
    """Page counts and sizes of what each tool produced."""
    ours = out / "ours" / f"{w.slug}.pdf"
    files = {("pdf", "ours"): ours, ("pdf", REBUILT): ours, ("pdf", "floor"): out / "floor.pdf",
             ("pdf", "pandoc"): out / "pandoc.pdf", ("pdf", "typst"): out / "typst.pdf",
             ("epub", "ours"): out / "ours" / f"{w.slug}.epub", ("epub", "pandoc"): out / "pandoc.epub"}
    for m in measurements:
        path = files.get((m.output, m.tool), out / "floor-no-backrefs.pdf")
        m.size_kb = size_kb(path)
        if m.output == "pdf":
            m.pages = pdf_pages(path)


def cost_ledger(workloads: list[Workload], runs: int, env: dict[str, str]) -> dict[str, object]:
    """bench/ledger.py on each workload BENCH_LEDGER names, in its own process, within its budget."""
    names = [n for n in os.environ.get("BENCH_LEDGER", "seed,tenth").split(",") if n and n != "none"]
    budget_end = time.perf_counter() + float(os.environ.get("BENCH_LEDGER_BUDGET_S", "150"))
    result: dict[str, object] = {}
    for w in (w for w in workloads if w.name in names):
        _log(f"cost ledger on {w.name}: up to {runs} round(s) of {len(ledger.VARIANTS) + 1} variants")
        remaining = max(0.0, budget_end - time.perf_counter())
        done = subprocess.run([PY, "-m", "bench.ledger", str(w.source), w.slug, str(runs), str(remaining)],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        measured = json.loads(done.stdout)
        result[w.name] = {**measured, "noise_s": ledger.noise_s(measured), "rows": ledger.ledger_rows(measured)}
    return result


def writers_loop(seed: Workload, work: Path, saves: int, env: dict[str, str]) -> list[dict[str, object]]:
    """bench/loop.py on the seed: save to new PDF under the watcher, as ``make watch`` runs it and for the PDF alone."""
    return [loop.measure_loop(seed.root, work / formats.replace(",", "-"), saves, formats, env)
            for formats in ("pdf,epub,html", "pdf")]


def glossary_micro(runs: int, env: dict[str, str]) -> dict[str, object]:
    """The linking micro-benchmark, in its own process, within a time budget."""
    done = subprocess.run([PY, "-m", "bench.micro", str(runs), "60"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def pass_scaling(runs: int, env: dict[str, str]) -> dict[str, object]:
    """bench/scaling.py in its own process: per-unit times of reading and each pass by input size."""
    done = subprocess.run([PY, "-m", "bench.scaling", str(runs)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def noop_make(build: Path, runs: int, env: dict[str, str]) -> dict[str, object]:
    """Time ``make all`` when everything is already built (into a scratch build folder)."""
    make_env = {k: v for k, v in env.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    command = ["make", "--no-print-directory", "-C", str(ROOT), "all", f"BUILD={build}"]
    first = run_once(command, ROOT, make_env).wall_s  # from nothing: the PDF and the EPUB side by side
    times = [run_once(command, ROOT, make_env).wall_s for _ in range(max(runs, 3))]
    again = subprocess.run(command, env=make_env, check=True, capture_output=True, text=True).stdout
    rebuilt = [line for line in again.splitlines() if "-m generator" in line]
    return {"runs_s": [round(t, 3) for t in times], "median_s": round(sorted(times)[len(times) // 2], 3),
            "rebuilt_anything": bool(rebuilt), "from_nothing_s": round(first, 3)}


def compile_sources() -> None:
    """Compile the package once, as an install does, so that no run pays for it (even where
    PYTHONDONTWRITEBYTECODE is set)."""
    subprocess.run([PY, "-m", "compileall", "-q", "generator", "bench"], cwd=ROOT, check=True, capture_output=True)


def _environment() -> dict[str, str]:
    """The environment of every command: the .venv first on PATH (Pandoc finds ``weasyprint`` there)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(PY).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _seed_slug() -> str:
    """The seed briefing: the first document in source/."""
    return os.environ.get("BENCH_SEED", sorted(p.parent.name for p in (ROOT / "source").glob("*/document.yaml"))[0])


def _weasyprint_version() -> str:
    """WeasyPrint's version, without importing it here."""
    from importlib.metadata import version

    return version("weasyprint")


def _log(message: str) -> None:
    """Progress on stderr, so that the table on stdout stays clean."""
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
