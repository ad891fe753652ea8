"""``ii-desktop notebook ...``: list, show, search, export, import, rename, tag and delete."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ii_desktop.cli.common import paths_from
from ii_desktop.cli.visit_cmd import terminal_json
from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.text import printable

if TYPE_CHECKING:
    from ii_desktop.notebooks.store import NotebookStore

# The notebook modules are imported by the handlers: every other command starts faster.

FORMATS = ("md", "html", "pdf", "json")


def register(commands: Any) -> None:
    notebook = commands.add_parser(
        "notebook",
        help="research notebooks: list, show, search, export, import",
        description="Every research run is saved in a notebook as it streams. "
        "IDs may be shortened to any prefix that names only one notebook or run.",
    )
    sub = notebook.add_subparsers(dest="notebook_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help="list notebooks, the most recent first")
    ls.add_argument("--json", action="store_true", help="print a JSON list")
    ls.set_defaults(handler=_list)

    show = sub.add_parser("show", help="show a notebook's runs, answers and sources")
    show.add_argument("id", help="notebook id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(handler=_show)

    search = sub.add_parser("search", help="search questions, answers and the pages runs read")
    search.add_argument("query", help="words to find (all must appear)")
    search.add_argument("--limit", type=int, default=20, metavar="N")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    search.set_defaults(handler=_search)

    export = sub.add_parser("export", help="write a notebook as Markdown, HTML, PDF or JSON")
    export.add_argument("id", help="notebook id")
    export.add_argument(
        "--format", choices=FORMATS, help="by default from the file's extension (.md, .html, ...)"
    )
    export.add_argument(
        "-o", "--output", required=True, metavar="PATH", help="file to write ('-': stdout)"
    )
    export.set_defaults(handler=_export)

    imp = sub.add_parser("import", help="import a notebook exported as JSON")
    imp.add_argument("path", help="the JSON file")
    imp.set_defaults(handler=_import)

    rename = sub.add_parser("rename", help="give a notebook a new title")
    rename.add_argument("id", help="notebook id")
    rename.add_argument("title", help="the new title")
    rename.set_defaults(handler=_rename)

    tag = sub.add_parser("tag", help="add tags to a notebook (or remove them)")
    tag.add_argument("id", help="notebook id")
    tag.add_argument("tags", nargs="+", metavar="TAG")
    tag.add_argument("--remove", action="store_true", help="remove these tags instead")
    tag.set_defaults(handler=_tag)

    delete = sub.add_parser("delete", help="delete a notebook, its pages and its cache")
    delete.add_argument("id", help="notebook id")
    delete.set_defaults(handler=_delete)

    delete_run = sub.add_parser("delete-run", help="delete one run from its notebook")
    delete_run.add_argument("run_id", help="run id (see `notebook show`)")
    delete_run.set_defaults(handler=_delete_run)

    check = sub.add_parser(
        "check", help="check the notebook database for damage (reads the whole file)"
    )
    check.set_defaults(handler=_check)


def _open(args: argparse.Namespace) -> NotebookStore:
    from ii_desktop.notebooks.store import NotebookStore

    store = NotebookStore.open(paths_from(args))
    if store.notice:
        print(f"ii-desktop: warning: {store.notice}", file=sys.stderr)
    return store


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _print_json(value: Any) -> None:
    print(terminal_json(value, indent=2))


def _say(text: str) -> None:
    """Print text that holds what pages, models and imports wrote (titles, answers, URLs):
    a stored title can carry escape codes that retitle the window or write the clipboard."""
    print(printable(text))


def _list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        notebooks = store.notebooks()
    if args.json:
        _print_json([n.to_dict() for n in notebooks])
        return 0
    if not notebooks:
        print("No notebooks yet. `ii-desktop ask QUESTION` starts one.")
        return 0
    for n in notebooks:
        tags = f"  [{', '.join(n.tags)}]" if n.tags else ""
        runs = f"{n.runs} run{'s' if n.runs != 1 else ''}"
        _say(f"{n.id}  {_when(n.updated)}  {runs:>7}  {n.title}{tags}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from ii_desktop.core.text import plural
    from ii_desktop.notebooks.export import STATUS_WORDS, cited_sources, short_answer
    from ii_desktop.research.citations import number_citations

    with _open(args) as store:
        notebook = store.notebook(args.id)
        runs = store.runs(notebook.id)
    if args.json:
        _print_json(
            {"id": notebook.id, "title": notebook.title, "runs": [r.to_dict() for r in runs]}
        )
        return 0
    tags = f" · tags: {', '.join(notebook.tags)}" if notebook.tags else ""
    _say(f"{notebook.title}  ({notebook.id}){tags}")
    print(f"updated {_when(notebook.updated)}, {plural(len(runs), 'run')}")
    for run in runs:
        _say(f"\n── run {run.id} · {STATUS_WORDS.get(run.status, run.status)}")
        _say(f"Q: {run.question}")
        if run.error:
            _say(f"Error: {run.error}")
        sources = cited_sources(run)
        answer, boxed = short_answer(run.answer.strip())
        # the same numbers as every export: [n] is the n-th source listed below
        _say(f"A: {number_citations(answer, sources.numbers, 'text') or '(no answer)'}")
        if boxed is not None:
            _say(f"Short answer: {boxed}")
        if sources.listed:
            print("Sources:")
            for s, _cited in sources.listed:
                seen = "" if s.kind == "page" else " (seen in search results, never read)"
                _say(f"  [{s.n}] {s.title or s.url}{seen}\n      {s.url}")
        for url in sources.unknown_citations:
            _say(f"  cited but never read (unverified): {url}")
        if sources.unlisted_results:
            print(f"  (and {plural(sources.unlisted_results, 'other search result')})")
    return 0


def _search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    with _open(args) as store:
        hits = store.search(args.query, args.limit)
    if args.json:
        _print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("No matches.")
        return 0
    for h in hits:
        where = f"page {h.url}" if h.where == "page" else "question or answer"
        _say(f"{h.notebook_id}  {h.title}  (run {h.run_id}, {where})\n    {h.snippet}")
    return 0


def _write_text(output: str, text: str) -> None:
    from ii_desktop.core.files import write_atomically

    if output == "-":
        sys.stdout.write(text)
        return
    path = Path(output)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise AppError(f"Cannot write {path}: {exc.strerror or exc}") from None


_EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def _format_of(output: str) -> str:
    """The export format a file name asks for (``notes.md`` is Markdown)."""
    suffix = Path(output).suffix.lower() if output != "-" else ""
    found = _EXTENSIONS.get(suffix) or ("json" if suffix == ".json" else None)
    if found is None:
        raise UsageError(
            f"Which format? {output} has no extension this knows; add --format {'|'.join(FORMATS)}."
        )
    return found


def _export(args: argparse.Namespace) -> int:
    from ii_desktop.notebooks.export import printable_html, render_html, render_markdown
    from ii_desktop.notebooks.transfer import export_json

    args.format = args.format or _format_of(args.output)
    with _open(args) as store:
        notebook = store.notebook(args.id)
        if args.format == "json":
            _write_text(args.output, export_json(store, notebook.id))
            return 0
        runs = store.runs(notebook.id)
    if args.format == "md":
        _write_text(args.output, render_markdown(notebook, runs))
    elif args.format == "html":
        _write_text(args.output, render_html(notebook, runs))
    else:
        if args.output == "-":
            raise UsageError("A PDF cannot go to stdout; give a file with -o.")
        # a notebook too long for a PDF is refused here (TooLongForPdf), before any layout
        _write_pdf(printable_html(notebook, runs), Path(args.output), notebook.title)
    return 0


def _write_pdf(html: str, path: Path, title: str) -> None:
    try:
        from ii_desktop.ui.pdf_export import write_pdf
    except ImportError as exc:
        raise AppError(f"PDF export needs Qt (PySide6), which cannot load: {exc}") from None
    if not path.parent.is_dir():
        raise AppError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    try:
        write_pdf(html, path, title)
    except OSError as exc:
        raise AppError(f"Cannot write {path}: {exc.strerror or exc}") from None


def _import(args: argparse.Namespace) -> int:
    from ii_desktop.notebooks.transfer import import_file

    with _open(args) as store:
        notebook = import_file(store, Path(args.path))
    print(notebook.id)
    return 0


def _rename(args: argparse.Namespace) -> int:
    with _open(args) as store:
        notebook = store.rename(args.id, args.title)
    _say(f"Renamed {notebook.id} to “{notebook.title}”.")
    return 0


def _tag(args: argparse.Namespace) -> int:
    with _open(args) as store:
        notebook = store.tag(args.id, args.tags, remove=args.remove)
    _say(f"{notebook.id} tags: {', '.join(notebook.tags) or '(none)'}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with _open(args) as store:
        notebook = store.delete(args.id)
    _say(f"Deleted notebook {notebook.id} “{notebook.title}”.")
    return 0


def _delete_run(args: argparse.Namespace) -> int:
    with _open(args) as store:
        run = store.delete_run(args.run_id)
    print(f"Deleted run {run.id} from notebook {run.notebook_id}.")
    return 0


def _check(args: argparse.Namespace) -> int:
    with _open(args) as store:
        found = store.problems()
        path = store.db_path
    if not found:
        print(f"The notebook database {path} is sound.")
        return 0
    print(f"The notebook database {path} is damaged:", file=sys.stderr)
    for line in found[:20]:
        print(f"  {line}", file=sys.stderr)
    print(
        "Export the notebooks you need now (notebook export), then move the file aside; "
        "a new one is started on the next open.",
        file=sys.stderr,
    )
    return 1
