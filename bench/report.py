"""The ratios and targets of issues 7 and 20, and the table printed at the end of a run."""

from __future__ import annotations

from bench.measure import Measurement

REBUILT = "ours-rebuilt"  # our PDF command run again: it tries the pages its last build found
ROW_NAMES = {"ours": "ours", REBUILT: "rebuilt"}  # a tool's name in the ratios' keys (pdf_rebuilt_over_pandoc_wall)


def find(measurements: list[Measurement], workload: str, output: str, tool: str) -> Measurement | None:
    """The measurement of one tool on one workload, if it was taken."""
    return next((m for m in measurements if (m.workload, m.output, m.tool) == (workload, output, tool)), None)


def ratios(measurements: list[Measurement]) -> dict[str, dict[str, float]]:
    """Per workload: ours over the floor and over Pandoc, in wall time, CPU time and peak memory."""
    table: dict[str, dict[str, float]] = {}
    for workload in dict.fromkeys(m.workload for m in measurements):
        row: dict[str, float] = {}
        for output, tool, other in (("pdf", "ours", "floor"), ("pdf", "ours", "pandoc"), ("epub", "ours", "pandoc"),
                                    ("pdf", REBUILT, "pandoc"), ("pdf", "ours", "typst")):
            ours, theirs = find(measurements, workload, output, tool), find(measurements, workload, output, other)
            name = f"{output}_{ROW_NAMES[tool]}_over_{other}"
            if ours and theirs:
                row[f"{name}_wall"] = round(ours.median_s / theirs.median_s, 3)
                row[f"{name}_cpu"] = round(ours.median_cpu_s / theirs.median_cpu_s, 3)
                row[f"{name}_rss"] = round(ours.peak_rss_mb / theirs.peak_rss_mb, 3)
        table[workload] = row
    large, tenth = find(measurements, "large", "pdf", "ours"), find(measurements, "tenth", "pdf", "ours")
    if large and tenth and large.pages and tenth.pages:
        table["scaling"] = {
            "wall_per_page_large_over_tenth": round((large.median_s / large.pages) / (tenth.median_s / tenth.pages), 3),
            "cpu_per_page_large_over_tenth": round(
                (large.median_cpu_s / large.pages) / (tenth.median_cpu_s / tenth.pages), 3),
        }
    return table


def targets(result: dict[str, object], measurements: list[Measurement]) -> list[dict[str, object]]:
    """Each target of issue 7 with its measured value (wall-time ratios, as the issue states them)."""
    r = result["ratios"]
    assert isinstance(r, dict)
    micro = result["glossary_linking"]
    assert isinstance(micro, dict)
    noop = result["noop_make"]
    assert isinstance(noop, dict)
    linking = micro["full"]["median_s"] if "full" in micro else micro["estimate_full_s"]
    large, seed, scaling = r.get("large", {}), r.get("seed", {}), r.get("scaling", {})
    rows = [  # name, by wall time, by CPU time, limit
        ("PDF large: time ours/floor", large.get("pdf_ours_over_floor_wall"), large.get("pdf_ours_over_floor_cpu"), 1.05),
        ("PDF large: peak memory ours/floor", large.get("pdf_ours_over_floor_rss"), None, 1.2),
        ("PDF seed: time ours/Pandoc+WeasyPrint", seed.get("pdf_ours_over_pandoc_wall"),
         seed.get("pdf_ours_over_pandoc_cpu"), 1.0),
        ("EPUB large: time ours/Pandoc", large.get("epub_ours_over_pandoc_wall"), large.get("epub_ours_over_pandoc_cpu"), 1.0),
        ("EPUB seed: time ours/Pandoc", seed.get("epub_ours_over_pandoc_wall"), seed.get("epub_ours_over_pandoc_cpu"), 2.0),
        ("PDF scaling: time per page large/tenth", scaling.get("wall_per_page_large_over_tenth"),
         scaling.get("cpu_per_page_large_over_tenth"), 1.15),
        ("glossary linking 2,000 terms / 1 MB (s)" + ("" if "full" in micro else ", estimated"), linking, None, 0.5),
        ("no-op make all (s)", noop["median_s"], None, 0.2),
        ("passes linear: worst per-unit time 100x/smallest", worst_scaling(result), None, 2.0),
        ("make all from nothing / (seed PDF + seed EPUB)", _side_by_side(noop, measurements), None, 1.0),
        ("writer's loop, seed: save to new PDF, make watch (s)", _loop_figure(result), None, 0.5),
    ]
    for name in ("seed", "tenth", "large", "code", "ja"):  # issue 20: the full design at the plain price
        row = r.get(name, {})
        rows.append((f"PDF {name}: time ours/Pandoc+WeasyPrint (issue 20)", row.get("pdf_ours_over_pandoc_wall"),
                     row.get("pdf_ours_over_pandoc_cpu"), 1.2))
        rows.append((f"PDF {name}: memory ours/Pandoc+WeasyPrint (issue 20)", row.get("pdf_ours_over_pandoc_rss"),
                     None, 1.0))
        if "pdf_rebuilt_over_pandoc_wall" in row:
            rows.append((f"PDF {name}: a rebuild's time ours/Pandoc+WeasyPrint", row.get("pdf_rebuilt_over_pandoc_wall"),
                         row.get("pdf_rebuilt_over_pandoc_cpu"), 1.2))
    return [{"target": name, "value": value, "value_cpu": cpu, "limit": limit,
             "met": value is not None and value <= limit and (cpu is None or cpu <= limit)}
            for name, value, cpu, limit in rows]


def worst_scaling(result: dict[str, object]) -> float | None:
    """The largest ratio of per-unit time at 100x to 1x over every input shape and stage
    (bench/scaling.py): about 1 when every stage is linear, about 100 when one is quadratic; 2
    leaves room for noise and the collector's passes over a larger heap."""
    shapes = result.get("pass_scaling")
    if not isinstance(shapes, dict):
        return None
    ratios = [r for shape in shapes.values() for r in shape["ratio_largest_to_smallest"].values() if r is not None]
    return max(ratios, default=None)


def _side_by_side(noop: dict[str, object], measurements: list[Measurement]) -> float | None:
    """``make all`` from nothing over the seed's PDF and EPUB built one after the other: below 1
    when make builds the two at the same time."""
    pdf, epub = find(measurements, "seed", "pdf", "ours"), find(measurements, "seed", "epub", "ours")
    first = noop.get("from_nothing_s")
    if not (pdf and epub and isinstance(first, float)):
        return None
    return round(first / (pdf.median_s + epub.median_s), 3)


def _loop_figure(result: dict[str, object]) -> float | None:
    """The median time from a save to the new PDF under the watcher as ``make watch`` runs it (issue 20)."""
    rounds = result.get("writers_loop")
    if not isinstance(rounds, list) or not rounds:
        return None
    return float(rounds[0]["median_save_to_pdf_s"])


def print_table(result: dict[str, object], measurements: list[Measurement]) -> None:
    """The measurements, the ratios and the targets, as plain-text tables."""
    print(f"\nbenchmark {result['date']}, {result['nproc']} cores, WeasyPrint {result['weasyprint']}, "
          f"Pandoc {result['pandoc']}, {result['runs']} run(s), median wall time")
    header = (f"{'workload':8} {'output':6} {'tool':16} {'pages':>5} {'runs':>4} {'wall s':>8} {'cpu s':>8} "
              f"{'peak MB':>8} {'ours/this':>9}")
    print(header)
    print("-" * len(header))
    for m in measurements:
        ours = find(measurements, m.workload, m.output, "ours")
        ratio = f"{ours.median_s / m.median_s:9.2f}" if ours and m.tool != "ours" else f"{'':9}"
        pages = str(m.pages) if m.pages is not None else "-"
        print(f"{m.workload:8} {m.output:6} {m.tool:16} {pages:>5} {len(m.runs):>4} {m.median_s:8.2f} {m.median_cpu_s:8.2f} "
              f"{m.peak_rss_mb:8.0f} {ratio}")
    print(f"\n{'target (met only if met by wall and by CPU time)':50} {'wall':>9} {'cpu':>9} {'limit':>8}  met")
    for row in result["targets"]:  # type: ignore[union-attr]
        value, cpu = (("-" if v is None else f"{v:.3f}") for v in (row["value"], row["value_cpu"]))
        print(f"{row['target']:50} {value:>9} {cpu:>9} {row['limit']:>8}  {'yes' if row['met'] else 'NO'}")
    noop = result["noop_make"]
    if isinstance(noop, dict) and noop.get("rebuilt_anything"):
        print("warning: the no-op `make all` rebuilt something")


def print_scaling(result: dict[str, object]) -> None:
    """The table: per-unit milliseconds at each size and the ratio of the largest size's to the
    smallest timed one's (bench/scaling.py, _ratio), a row per shape and stage."""
    sizes = next(iter(result.values()))["sizes"]  # type: ignore[index]
    heads = " ".join(f"{f'{u}x':>9}" for u in sizes)
    print(f"\n{'scaling (ms per unit)':24} {'stage':11} {heads} {'ratio':>8}")
    for name, shape in result.items():
        assert isinstance(shape, dict)
        for stage, figures in shape["per_unit_ms"].items():
            ratio = shape["ratio_largest_to_smallest"][stage]
            cells = " ".join(f"{f:9.3f}" for f in figures)
            print(f"{name + ' (' + shape['unit'] + ')':24} {stage:11} {cells} {'-' if ratio is None else ratio:>8}")


def print_ledger(ledger: dict[str, object]) -> None:
    """The cost ledger of each workload (bench/ledger.py): CPU seconds saved by switching each feature
    off alone, their share of a one-process build, then the baseline's stages timed directly."""
    for name, result in ledger.items():
        assert isinstance(result, dict)
        base = result["variants"]["baseline"]
        build = result["prepare_cpu_s"] + base["median_cpu_s"]
        print(f"\ncost ledger, {name} ({base['pages']} pages): CPU s, median of {result['rounds']} run(s), each a fresh "
              f"fork; render {base['median_cpu_s']:.2f} s, build {build:.2f} s, noise ±{result['noise_s']:.2f} s")
        print(f"{'feature switched off alone':58} {'saved s':>8} {'share':>6} {'pages':>5}")
        for row in (r for r in result["rows"] if not r.get("stage")):
            print(f"{row['feature']:58} {row['saved_s']:8.3f} {row['share']:6.1%} {row['pages']:>5}")
        print(f"{'the build in parts, each timed directly':58} {'CPU s':>8} {'share':>6}")
        for row in (r for r in result["rows"] if r.get("stage")):
            print(f"{row['feature']:58} {row['saved_s']:8.3f} {row['share']:6.1%}")


def print_loop(rounds: list[dict[str, object]]) -> None:
    """The writer's loop (bench/loop.py): from a save to the new PDF under the watcher."""
    title = "writer's loop, seed (generator watch)"
    print(f"\n{title:40} {'saves':>5} {'save→PDF s':>10} {'rebuild s':>9} {'CPU s':>6}")
    for r in rounds:
        print(f"{'--formats ' + str(r['formats']):40} {r['saves']:>5} {r['median_save_to_pdf_s']:10.3f} "
              f"{r['median_rebuild_s']:9.3f} {r['median_cpu_s']:6.3f}")
