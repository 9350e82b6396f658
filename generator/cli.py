"""Command-line parsing. A known error becomes one line per problem on stderr and an exit code."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from types import FrameType
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from generator.errors import Problem, SourceError, UsageError, display_path, printable, template_problem

if TYPE_CHECKING:
    from generator.progress import Progress

EXIT_OK, EXIT_SOURCE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C
REPORT_URL = "the project's issue tracker"


def parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m generator``."""
    p = argparse.ArgumentParser(prog=program_name(), description="Build briefings as PDF and EPUB from source/.")
    from generator.writers import WRITERS  # the registry of formats: one command each

    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = [(name, spec.help) for name, spec in WRITERS.items()]
    for name, help_text in (*commands, ("all", "build the PDF, the EPUB and the web page"), ("check", "validate the sources and write nothing")):
        cmd = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="document folders in source/ (default: all)")
        cmd.add_argument("--source", type=Path, default=Path("source"), help="folder holding the documents (default: source)")
        if name != "check":
            cmd.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
        if name == "all" or (name in WRITERS and WRITERS[name].paged):
            cmd.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size (default: a4)")
        if name in {"pdf", "all"}:
            cmd.add_argument("--marks", action="store_true", help="add crop marks and 3 mm bleed for a print shop")
            cmd.add_argument("--keep-html", action="store_true", help="also write the HTML handed to WeasyPrint")
        if name == "print":
            cmd.add_argument("--profile", type=Path, default=None, metavar="ICC",
                             help="the print shop's CMYK ICC profile (default: the FOGRA39 profile the set-up installs)")
        _add_progress_options(cmd)
    _add_watch_command(sub)
    add_handout_parser(sub)
    add_dist_parser(sub)
    add_new_parser(sub)
    return p


def _add_progress_options(cmd: argparse.ArgumentParser) -> None:
    """--progress / --no-progress: stage and page progress on stderr (default: only on a terminal)."""
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_const", const="on", default="auto",
                       help="print a line per build stage on stderr even when it is not a terminal")
    group.add_argument("--no-progress", dest="progress", action="store_const", const="off",
                       help="never show progress (by default a status line is shown on a terminal only)")


def _add_watch_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``watch`` command: rebuild when a source or template changes."""
    cmd = sub.add_parser("watch", help="rebuild the chosen outputs whenever a source or template changes",
                         description="Build once, then rebuild whenever a file of a document or a project template "
                                     "changes, printing one line per rebuild (or the errors, and keep watching). "
                                     "Stop with Ctrl-C.")
    cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="document folders in source/ (default: all)")
    cmd.add_argument("--source", type=Path, default=Path("source"), help="folder holding the documents (default: source)")
    cmd.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    cmd.add_argument("--formats", default="pdf,epub,html", type=_formats,
                     help="comma-separated outputs to rebuild: pdf, epub, html (default: pdf,epub,html)")
    cmd.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size of the PDF (default: a4)")
    cmd.add_argument("--marks", action="store_true", help="add crop marks and 3 mm bleed to the PDF")
    _add_progress_options(cmd)


def _formats(text: str) -> list[str]:
    """Parse --formats, refusing unknown names."""
    from generator.build import FORMATS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def add_handout_parser(sub: argparse._SubParsersAction) -> None:
    """``handout``: the PDF imposed two pages to a sheet side, as a folded booklet or plain two-up."""
    cmd = sub.add_parser(
        "handout", help="build a print-ready booklet (or two-up) PDF of each document",
        description="Build the PDF and impose it two pages to a landscape sheet side. 'booklet' puts the pages "
                    "in saddle-stitch order, padded with blanks to a multiple of four: print double-sided, "
                    "flip on the short edge, fold the stack in half. '2up' keeps reading order. Writes "
                    "<out>/<slug>-booklet.pdf or <out>/<slug>-2up.pdf.")
    cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="document folders in source/ (default: all)")
    cmd.add_argument("--source", type=Path, default=Path("source"), help="folder holding the documents (default: source)")
    cmd.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    cmd.add_argument("--layout", choices=("booklet", "2up"), default="booklet",
                     help="booklet: saddle-stitch order; 2up: reading order (default: booklet)")
    cmd.add_argument("--paper", choices=("a4", "letter"), default="a4",
                     help="sheet size: a4 (A5 pages) or letter (half-letter pages) (default: a4)")
    _add_progress_options(cmd)


def add_dist_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``dist``: every format of every document, assembled into <out>/dist/ with a catalogue, a feed and checksums."""
    cmd = sub.add_parser(
        "dist", help="build every format of each document and assemble <out>/dist/ to send or publish",
        description="Build the PDF, EPUB, web page, booklet and one-pager of each document, then assemble "
                    "<out>/dist/: index.html (a catalogue page), one folder and one zip per document, feed.xml "
                    "(Atom) and SHA256SUMS. Refuses to assemble while any document has a warning, unless "
                    "--allow-warnings accepts them. The same sources always give the same bytes.")
    cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="document folders in source/ (default: all)")
    cmd.add_argument("--source", type=Path, default=Path("source"), help="folder holding the documents (default: source)")
    cmd.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    cmd.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size (default: a4)")
    cmd.add_argument("--allow-warnings", action="store_true",
                     help="assemble even when documents have warnings (they are still printed)")
    cmd.add_argument("--qr", action="store_true",
                     help="QR codes are wanted: a document without 'url:' in document.yaml is a warning")
    cmd.add_argument("--email-budget", type=float, default=10.0, metavar="MB",
                     help="warn when a PDF or EPUB is larger than this many megabytes (default: 10)")
    _add_progress_options(cmd)


def add_new_parser(sub: argparse._SubParsersAction) -> None:
    """``new``: a new document folder from the starter files."""
    cmd = sub.add_parser(
        "new", help="create a new document folder that builds at once",
        description="Create <source>/<SLUG>/ with a commented document.yaml, one chapter and a glossary. "
                    "NAME is the document's title ('Heat pumps in rented housing'), its folder name derived "
                    "from it (heat-pumps-in-rented-housing) unless --slug gives one; a NAME that is already a "
                    "folder name (water-policy-2027) is taken as the slug. An existing folder is never overwritten.")
    cmd.add_argument("name", metavar="NAME", help="the new document's title, or its folder name, e.g. water-policy-2027")
    cmd.add_argument("--slug", help="the folder name: lower-case letters, digits and single hyphens (default: from NAME)")
    cmd.add_argument("--source", type=Path, default=Path("source"), help="folder holding the documents (default: source)")


def program_name() -> str:
    """How the user called us: ``briefing`` when installed as a command, else ``python -m generator``."""
    called = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return called if called == "briefing" else "python -m generator"


def main(argv: list[str] | None = None) -> int:
    """Run a command; return the process exit code."""
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so that a killed build still removes its temporary file
    try:
        return run(args)
    except SourceError as error:
        return _report(error.problems)
    except UsageError as error:
        print(printable(f"error: {error}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except jinja2.TemplateError as error:
        return _report_template_error(error)
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
        return _report_internal(error)
    except BaseException as error:  # WeasyPrint's fatal fetch error derives from BaseException
        if not _is_refused_resource(error):
            raise
        print(printable(f"error: {error}"), file=sys.stderr)
        print("build failed: a resource was refused; nothing was written", file=sys.stderr)
        return EXIT_SOURCE


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """Treat SIGTERM like Ctrl-C."""
    raise KeyboardInterrupt


def _report(problems: list[Problem]) -> int:
    """Print every problem, then a one-line summary; the exit code for source errors."""
    for problem in problems:
        print(problem, file=sys.stderr)
    count = sum(1 for p in problems if not p.warning)
    print(f"build failed: {count} error{'s' if count != 1 else ''}; nothing was written", file=sys.stderr)
    return EXIT_SOURCE


def _report_template_error(error: jinja2.TemplateError) -> int:
    """A template mistake, named by template file and line, as a source error."""
    problem = template_problem(error)
    if problem is None:
        print(printable(f"error: template: {error}"), file=sys.stderr)
        print("build failed: 1 error; nothing was written", file=sys.stderr)
        return EXIT_SOURCE
    return _report([problem])


def _report_internal(error: BaseException) -> int:
    """A bug: say so, say how to report it, and show the traceback only when asked."""
    print(printable(f"internal error: {type(error).__name__}: {error}"), file=sys.stderr)
    print(f"This is a bug in the generator. Please report it on {REPORT_URL} with the command you ran "
          "and the sources; set GENERATOR_DEBUG=1 to see the traceback.", file=sys.stderr)
    if _debug():
        raise error
    return EXIT_INTERNAL


def _is_refused_resource(error: BaseException) -> bool:
    """Whether WeasyPrint stopped because our fetcher refused or could not read a resource."""
    urls = sys.modules.get("weasyprint.urls")
    return urls is not None and isinstance(error, urls.FatalURLFetchingError)


def run(args: argparse.Namespace) -> int:
    """Carry out one parsed command."""
    from generator import build  # imported late so that --help stays fast
    from generator.progress import make_progress

    progress = make_progress(getattr(args, "progress", "auto"))
    if getattr(args, "out", None) is not None:
        from generator.writers import check_output_folder

        check_output_folder(args.out)

    if args.command == "new":
        return run_new(args)
    if args.command == "handout":
        return run_handout(args, progress)
    if args.command == "dist":
        return run_dist(args, progress)
    if args.command == "check":
        documents = build.check(args.source, args.slugs, progress)
        for document in documents:
            _print_warnings(document.warnings)
            print(f"{document.slug}: ok ({len(document.chapters)} chapters, {len(document.glossary)} glossary terms)")
        return EXIT_OK
    from generator.writers import BuildOptions

    options = BuildOptions(paper=getattr(args, "paper", "a4"), marks=getattr(args, "marks", False),
                           keep_html=getattr(args, "keep_html", False), profile=getattr(args, "profile", None))
    if args.command == "watch":
        from generator.watch import watch

        return watch(args.source, args.slugs, args.formats, args.out, options, progress)
    formats = ["pdf", "epub", "html"] if args.command == "all" else [args.command]
    result = build.build(args.source, args.slugs, formats, args.out, options, progress)
    for document in result.documents:
        _print_warnings(document.warnings)
    for path in result.written:
        print(printable(f"wrote {display_path(path)}"))
    return EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    """Create a new document folder and say how to build it."""
    from generator.scaffold import name_and_title, new_document

    slug, title = name_and_title(args.name, args.slug)
    root = new_document(args.source, slug, title)
    print(printable(f"created {display_path(root)}; build it with: {build_command(slug, args.source)}"))
    return EXIT_OK


def build_command(slug: str, source: Path) -> str:
    """How the user who ran ``new`` builds the document: the installed command, or make in the project."""
    source_option = "" if source == Path("source") else f" --source {shlex.quote(str(source))}"
    direct = f"{program_name()} all {slug}{source_option}"
    if program_name() == "briefing" or source_option:
        return direct  # make knows only the project's source/ folder
    return f"make DOC={slug} (or: {direct})"


def run_handout(args: argparse.Namespace, progress: Progress) -> int:
    """Build the imposed handouts: the booklet or 2up writer."""
    from generator import build
    from generator.writers import BuildOptions

    result = build.build(args.source, args.slugs, [args.layout], args.out, BuildOptions(paper=args.paper), progress)
    for document in result.documents:
        _print_warnings(document.warnings)
    for path in result.written:
        print(printable(f"wrote {display_path(path)}"))
    return EXIT_OK


def run_dist(args: argparse.Namespace, progress: Progress) -> int:
    """Build and assemble <out>/dist/; refused (exit 1) while warnings are not accepted."""
    from generator import dist

    options = dist.DistOptions(paper=args.paper, allow_warnings=args.allow_warnings, qr=args.qr,
                               email_budget_mb=args.email_budget)
    try:
        result = dist.dist(args.source, args.slugs, args.out, options, progress)
    except dist.WarningsNotAccepted as refused:
        for warning in refused.warnings:
            print(warning, file=sys.stderr)
        count = len(refused.warnings)
        print(f"dist refused: {count} warning{'s' if count != 1 else ''} not accepted; nothing was written "
              "(fix each as shown, or accept them all with --allow-warnings)", file=sys.stderr)
        return EXIT_SOURCE
    for document in result.documents:
        _print_warnings(document.warnings)
    for line in dist.size_report(result):
        print(line)
    for warning in result.size_warnings:
        print(warning, file=sys.stderr)
    print(f"assembled {display_path(result.folder)}/: {len(result.documents)} document"
          f"{'s' if len(result.documents) != 1 else ''}, {len(result.files)} files")
    return EXIT_OK


def _print_warnings(warnings: tuple[str, ...]) -> None:
    """Print each warning once."""
    for warning in dict.fromkeys(warnings):
        print(warning, file=sys.stderr)


def _debug() -> bool:
    """Whether GENERATOR_DEBUG asks for tracebacks."""
    import os

    return os.environ.get("GENERATOR_DEBUG", "") not in {"", "0"}
