"""``python -m bench.typeset FILE.typ OUT.pdf``: Typst (PyPI ``typst``) setting a file, issue 20's reference point.

The file is what Pandoc writes from the document's Markdown (``bench/peer.py``, ``-t typst``),
so Typst sets the same text that Pandoc hands WeasyPrint; only the setting is timed, as a user
of Typst would write it. Paths in it are absolute (Pandoc extracts the pictures), hence the root.
"""

from __future__ import annotations

import sys

import typst


def main(argv: list[str]) -> int:
    """Set ``argv[0]`` into the PDF ``argv[1]``."""
    source, out = argv
    typst.compile(source, output=out, root="/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
