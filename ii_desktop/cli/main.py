"""Entry point: ``ii-desktop [--data-dir DIR] [COMMAND ...]``; no command opens the app."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime

from ii_desktop import __version__
from ii_desktop.cli import (
    ask_cmd,
    bench_cmd,
    dev_cmd,
    model_cmd,
    notebook_cmd,
    search_cmd,
    visit_cmd,
)
from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import DATA_DIR_ENV, app_paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ii-desktop",
        description="A private desktop research assistant around the II-Search-4B model. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"ii-desktop {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"where all app data lives (default: ${DATA_DIR_ENV}, else the user data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask_cmd.register(commands)
    notebook_cmd.register(commands)
    model_cmd.register(commands)
    search_cmd.register(commands)
    visit_cmd.register(commands)
    bench_cmd.register(commands)
    dev_cmd.register(commands)
    commands.add_parser("gui", help="open the app window (the default)").set_defaults(
        handler=_run_gui
    )
    return parser


def _run_gui(args: argparse.Namespace) -> int:
    from ii_desktop.ui.app import run_app

    return run_app(app_paths(args.data_dir))


def _log_crash(args: argparse.Namespace) -> str | None:
    try:
        paths = app_paths(getattr(args, "data_dir", None)).ensure()
        log_dir = paths.data_dir / "logs"
        log_dir.mkdir(exist_ok=True)
        path = log_dir / f"crash-{datetime.now():%Y%m%d-%H%M%S}.log"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        return str(path)
    except Exception:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None) or _run_gui
    try:
        return int(handler(args) or 0)
    except AppError as exc:
        print(f"ii-desktop: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ii-desktop: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        where = _log_crash(args)
        detail = f" Details were written to {where}." if where else ""
        print(
            f"ii-desktop: unexpected error: {exc or type(exc).__name__}.{detail}", file=sys.stderr
        )
        return 1
