"""The benchmark of issue 7: our pipeline against WeasyPrint's own floor and against Pandoc.

Run it with ``make bench`` (``BENCH_QUICK=1`` for a short development run). It is a
benchmark, never a test: nothing here is imported by ``make test`` except the corpus
generator's determinism check.
"""
