"""Entry point: ``ii-desktop [--data-dir DIR] [COMMAND ...]``; no command opens the app."""

from __future__ import annotations

import argparse
import difflib
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


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Global options written after the command move in front of it, so ``ask -v`` and
    ``notebook list --data-dir X`` work; nothing after ``--`` moves."""
    front: list[str] = []
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_FLAGS or arg.startswith(tuple(f"{o}=" for o in GLOBAL_OPTIONS)):
            front.append(arg)
            i += 1
        elif arg in GLOBAL_OPTIONS and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 2
        else:
            rest.append(arg)
            i += 1
    return front + rest


def _command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the (sub)command the line chose, so its errors print its usage."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(args, action.dest, None)
            sub = action.choices.get(chosen) if chosen else None
            if isinstance(sub, argparse.ArgumentParser):
                return _command_parser(sub, args)
    return parser


def _unknown_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> None:
    """Report what the chosen command does not take, with its usage and a close match."""
    command = _command_parser(parser, args)
    known = [s for a in command._actions for s in a.option_strings if s.startswith("--")]
    hints = []
    for extra in extras:
        close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1)
        if extra.startswith("-") and close:
            hints.append(f"{extra} (did you mean {close[0]}?)")
        else:
            hints.append(extra)
    command.error(f"unrecognized arguments: {' '.join(hints)}")


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
            check_cmd,
            dev_cmd,
            eval_cmd,
            mcp_cmd,
            model_cmd,
            notebook_cmd,
            search_cmd,
            visit_cmd,
        )

        for module in (
            ask_cmd,
            check_cmd,
            notebook_cmd,
            model_cmd,
            search_cmd,
            visit_cmd,
            bench_cmd,
            eval_cmd,
            dev_cmd,
            mcp_cmd,
        ):
            module.register(commands)
    commands.add_parser("gui", help="open the app window (the default)").set_defaults(
        handler=_run_gui
    )
    return parser


def no_display_reason(environ: dict[str, str] | None = None) -> str | None:
    """Why the window cannot open here (Linux with no display), or None."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return None
    return (
        "No display is available, so the window cannot open; the commands work without "
        "one (ii-desktop --help lists them)."
    )


def _run_gui(args: argparse.Namespace) -> int:
    reason = no_display_reason()
    if reason:
        raise AppError(reason)
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's flush at exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    argv = hoist_global_options(sys.argv[1:] if argv is None else argv)
    parser = build_parser(commands_too=not opens_window(argv))
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unknown_options(parser, args, extras)
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
    except BrokenPipeError:
        # the reader went away (`notebook list | head`); nothing is wrong with the data
        _silence_stdout()
        return 0
    except Exception as exc:
        where = _log_crash(args)
        detail = f" Details were written to {where}." if where else ""
        print(
            f"ii-desktop: unexpected error: {exc or type(exc).__name__}.{detail}", file=sys.stderr
        )
        return 1
