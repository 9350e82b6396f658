"""A mutation fuzzer over the seed briefing: whatever happens to its files, the tool answers properly.

Each round copies the seed's folder, mutates one or more of its files (bytes flipped, lines
cut, duplicated or swapped, Markdown and YAML punctuation and hostile snippets inserted) and
runs the real command line in this process. The invariants: the exit code is 0, 1 or 2, never
3; no traceback; an EPUB built with exit 0 is well-formed XML (and the first one passes
EPUBCheck); a refused build leaves the
previous outputs untouched. Seeded, so a failure can be replayed; bounded in time: about a
minute in `make test`, longer with FUZZ_SECONDS=600 (and another FUZZ_SEED).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import time
import zipfile
from pathlib import Path

from lxml import etree

from generator.cli import main
from tests.conftest import SEED, SOURCE
from tests.helpers import epubcheck_problems

SECONDS = float(os.environ.get("FUZZ_SECONDS", "45"))
SEED_NUMBER = int(os.environ.get("FUZZ_SEED", "20261202"))
SNIPPETS = [
    "[x](#nowhere)", "![a](../../etc/passwd)", "![b](http://example.com/p.png)", "<script>alert(1)</script>",
    "[^9]", "[^9]: note", "## ", "# Second title", "{#ch1-title}", "{#g-aws}", "[t](term:Nothing)", "*" * 300,
    "\x00", "\x1b[2J", "\ufffe", "&#0;", "<!DOCTYPE html>", "<?php ?>", "::: note", ":::", "|a|b|\n|-|-|\n|c|d|",
    "---\ntitle: x\n---", "\t", "\\", "`", "```", "<br>", "Option<T>", "[a](02-compute.md#nope)", "[b](tel:)",
    "key: [unclosed", "&a: b", "*a", "!!python/object:os.system x", "- term: ''", "definition:", "'\"", "\u202e",
]


def mutate(text: bytes, rng: random.Random) -> bytes:
    """One random change: flip a byte, cut, duplicate or swap lines, or insert a snippet."""
    lines = text.split(b"\n")
    kind = rng.randrange(5)
    if kind == 0 and text:
        position = rng.randrange(len(text))
        return text[:position] + bytes([rng.randrange(256)]) + text[position + 1 :]
    if kind == 1 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif kind == 2:
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
    elif kind == 3 and len(lines) > 1:
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
    else:
        index = rng.randrange(len(lines))
        line = lines[index]
        at = rng.randrange(len(line) + 1)
        lines[index] = line[:at] + rng.choice(SNIPPETS).encode("utf-8") + line[at:]
    return b"\n".join(lines)


def run(*args: str) -> tuple[int, str]:
    """The command line in this process: its exit code and what it printed on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse
            code = int(exit_.code or 0)
    return code, err.getvalue()


def test_mutated_seed_never_crashes_and_never_clobbers(tmp_path: Path) -> None:
    """Rounds of mutated seeds: exit 0, 1 or 2 only, no traceback, well-formed EPUBs, old outputs kept on refusal."""
    rng = random.Random(SEED_NUMBER)
    files = sorted(p.relative_to(SOURCE / SEED) for p in (SOURCE / SEED).rglob("*") if p.is_file())
    out = tmp_path / "out"
    out.mkdir()
    previous = out / f"{SEED}.epub"
    previous.write_bytes(b"previous good output\n")
    deadline = time.monotonic() + SECONDS
    rounds = codes = 0
    sampled = False
    seen: dict[int, int] = {}
    while time.monotonic() < deadline or rounds < 5:
        rounds += 1
        source = tmp_path / f"round{rounds}"
        shutil.copytree(SOURCE / SEED, source / SEED)
        for _ in range(rng.randrange(1, 4)):
            target = source / SEED / rng.choice(files)
            target.write_bytes(mutate(target.read_bytes(), rng))
        before = previous.read_bytes()
        code, stderr = run("epub", SEED, "--source", str(source), "--out", str(out), "--no-progress")
        seen[code] = seen.get(code, 0) + 1
        assert code in {0, 1, 2}, f"round {rounds} (FUZZ_SEED={SEED_NUMBER}): exit {code}\n{stderr}"
        assert "Traceback" not in stderr, f"round {rounds}: {stderr}"
        if code == 0:
            with zipfile.ZipFile(previous) as archive:
                for name in archive.namelist():
                    if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                        etree.fromstring(archive.read(name))
            if not sampled:  # EPUBCheck on a sample: the first mutated EPUB that built
                sampled = True
                assert epubcheck_problems(previous) == [], f"round {rounds} (FUZZ_SEED={SEED_NUMBER})"
        else:
            assert previous.read_bytes() == before, f"round {rounds}: a refused build changed the previous EPUB"
            assert stderr.strip(), f"round {rounds}: refused without saying why"
        shutil.rmtree(source)
        codes += 1
    print(f"{rounds} rounds, exit codes {seen}")
    assert seen.get(1, 0) > 0, f"no round was refused in {rounds} rounds: the mutations are too weak ({seen})"
