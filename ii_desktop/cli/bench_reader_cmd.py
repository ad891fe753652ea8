"""``ii-desktop bench reader DIR``: article extraction quality and speed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError


def register(bench_commands: Any) -> None:
    reader = bench_commands.add_parser(
        "reader",
        help="score the page reader against readability and trafilatura",
        description="Score article extraction on a set in the public article-extraction "
        "benchmark layout (html/<id>.html.gz and ground-truth.json): precision, recall "
        "and F1 over 4-word shingles, averaged over pages, and pages per second, for this "
        "app's reader, readability-lxml alone and trafilatura (when installed).",
    )
    reader.add_argument("dir", help="folder with html/ and ground-truth.json")
    reader.add_argument("--json", action="store_true", help="print one JSON object")
    reader.add_argument(
        "--out", metavar="FILE", help="write our predictions as {id: {articleBody}}"
    )
    reader.set_defaults(handler=_bench_reader)


def _bench_reader(args: argparse.Namespace) -> int:
    from ii_desktop.tools.reader_bench import run_bench

    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")
    results, predictions = run_bench(folder)
    if args.out:
        out = {page_id: {"articleBody": text} for page_id, text in predictions.items()}
        try:
            Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")
        except OSError as exc:
            raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps({name: score.as_dict() for name, score in results.items()}))
        return 0
    pages = next(iter(results.values())).pages
    print(f"{pages} pages from {folder}")
    print(f"{'extractor':14} {'F1':>7} {'precision':>10} {'recall':>8} {'pages/s':>9}")
    for name, score in results.items():
        print(
            f"{name:14} {score.f1:7.3f} {score.precision:10.3f} {score.recall:8.3f} "
            f"{score.pages_per_s:9.1f}"
        )
    return 0
