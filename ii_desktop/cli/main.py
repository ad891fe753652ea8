"""Entry point: ``ii-desktop [--data-dir DIR] [COMMAND ...]``; no command opens the app."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime

from ii_desktop import __version__
from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import DATA_DIR_ENV, app_paths

GLOBAL_FLAGS = ("-v", "--verbose")
GLOBAL_OPTIONS = ("--data-dir",)


def opens_window(argv: Sequence[str]) -> bool:
    """True when the command line only opens the app (no command, or ``gui``): the window
    then starts without importing the other commands and what they need."""
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in GLOBAL_OPTIONS:
            i += 2
        elif arg in GLOBAL_FLAGS or arg.startswith(tuple(f"{o}=" for o in GLOBAL_OPTIONS)):
            i += 1
        else:
            return arg == "gui" and len(args) == i + 1
    return True


def build_parser(commands_too: bool = True) -> argparse.ArgumentParser:
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
    if commands_too:
        from ii_desktop.cli import (
            ask_cmd,
            bench_cmd,
            dev_cmd,
            model_cmd,
            notebook_cmd,
            search_cmd,
            visit_cmd,
        )

        for module in (
            ask_cmd,
            notebook_cmd,
            model_cmd,
            search_cmd,
            visit_cmd,
            bench_cmd,
            dev_cmd,
        ):
            module.register(commands)
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
        stamp = f"crash-{datetime.now():%Y%m%d-%H%M%S}"
        for n in range(1, 1000):  # two crashes in one second keep both logs
            path = log_dir / (f"{stamp}.log" if n == 1 else f"{stamp}-{n}.log")
            try:
                with path.open("x", encoding="utf-8") as out:
                    out.write(traceback.format_exc())
            except FileExistsError:
                continue
            return str(path)
        return None
    except Exception:
        return None


# Libraries the model stack loads must not phone home: the app contacts only what the
# user caused (the model server, the search provider, pages).
QUIET_ENVIRONMENT = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "DISABLE_TELEMETRY": "1",
}


def main(argv: Sequence[str] | None = None) -> int:
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(commands_too=not opens_window(argv))
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
