"""``ii-desktop bench reader DIR``: article extraction quality and speed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError

_EXTRACTORS = ("ii_desktop", "readability", "trafilatura")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def register(bench_commands: Any) -> None:
    reader = bench_commands.add_parser(
        "reader",
        help="score the page reader against readability and trafilatura",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score article extraction for this app's reader, readability-lxml alone "
        "and trafilatura (when installed): F1, precision, recall and pages per second.\n\n"
        "DIR is one set folder or a folder of them. A set holds html/<id>.html.gz and "
        "either\n"
        "  ground-truth.json  {id: {articleBody, url}}: 4-word shingles, precision and "
        "recall\n"
        "                     averaged over pages (the article-extraction benchmark's rule)\n"
        "  snippets.json      {id: {url, with: [..], without: [..]}}: a 'with' snippet in "
        "the\n"
        "                     output is a hit, a 'without' one a false positive, pooled "
        "over\n"
        "                     all snippets (trafilatura's evaluation rule)\n\n"
        "Pages are split by a hash of their id into a tune part (about 70%) and a "
        "held-out\npart (30%), the same on every run; the table shows both and all.",
    )
    reader.add_argument("dir", help="a set folder, or a folder whose subfolders are sets")
    reader.add_argument(
        "--split",
        choices=("tune", "held-out", "all"),
        default="all",
        help="score only this part of each set (default: all, shown as tune, held-out and all)",
    )
    reader.add_argument(
        "--limit", type=_positive, metavar="N", help="the first N pages of each set (by id)"
    )
    reader.add_argument(
        "--only",
        action="append",
        choices=_EXTRACTORS,
        metavar="NAME",
        help="run only this extractor (repeat for more): " + ", ".join(_EXTRACTORS),
    )
    reader.add_argument("--json", action="store_true", help="print one JSON object")
    reader.add_argument(
        "--out",
        metavar="FILE",
        help="write our predictions as {id: {articleBody: text}}; when DIR holds several "
        "sets, each id is prefixed with its set's folder name and a slash (cleaneval/dev-1)",
    )
    reader.set_defaults(handler=_bench_reader)


def _bench_reader(args: argparse.Namespace) -> int:
    from ii_desktop.tools.reader_bench import run_sets

    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder.")

    def progress(name: str) -> None:
        if not args.json:
            print(f"scoring {name}...", file=sys.stderr, flush=True)

    results = run_sets(folder, args.split, args.limit, args.only, progress)
    if args.out:
        several = len(results) > 1
        out = {
            (f"{r.name}/{page_id}" if several else page_id): {"articleBody": text}
            for r in results
            for page_id, text in r.predictions.items()
        }
        try:
            Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")
        except OSError as exc:
            raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}") from None
    if args.json:
        report = {
            r.name: {
                "kind": r.kind,
                "parts": {
                    part: {"pages": next(iter(scores.values())).pages if scores else 0}
                    | {name: score.as_dict() for name, score in scores.items()}
                    for part, scores in r.parts.items()
                },
            }
            for r in results
        }
        print(json.dumps(report))
        return 0
    for index, r in enumerate(results):
        if index:
            print()
        sizes = ", ".join(
            f"{next(iter(s.values())).pages if s else 0} {part}" for part, s in r.parts.items()
        )
        print(f"{r.name} ({r.kind}): {sizes} pages")
        print(
            f"{'part':9} {'extractor':12} {'F1':>6} {'precision':>10} {'recall':>7} {'pages/s':>8}"
        )
        for part, scores in r.parts.items():
            label = part
            for name, score in scores.items():
                print(
                    f"{label:9} {name:12} {score.f1:6.3f} {score.precision:10.3f} "
                    f"{score.recall:7.3f} {score.pages_per_s:8.1f}"
                )
                label = ""
    return 0
