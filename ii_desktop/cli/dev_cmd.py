"""``ii-desktop dev``: developer tools (the tiny offline model, screenshots)."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    dev = commands.add_parser("dev", help="developer tools")
    sub = dev.add_subparsers(dest="dev_command", metavar="TOOL", required=True)
    tiny = sub.add_parser(
        "tiny-model",
        help="build a tiny random-weight Qwen3 model folder, offline",
        description="Build a tiny random-weight Qwen3 model folder that mlx-lm loads, with a "
        "trained byte-level BPE tokenizer and a Qwen3-style chat template. For tests and "
        "benchmarks; it writes nonsense.",
    )
    tiny.add_argument("dir", help="folder to create (must be new or empty)")
    tiny.add_argument("--hidden", type=int, default=128, help="hidden size, a multiple of 64")
    tiny.add_argument("--layers", type=int, default=2, help="number of layers")
    tiny.add_argument("--seed", type=int, default=0, help="random seed for weights and tokenizer")
    tiny.set_defaults(handler=_tiny_model)
    shot = sub.add_parser(
        "screenshot",
        help="render the window offscreen to a PNG",
        description="Render the window offscreen after a scripted research run, on the "
        "first-run screen, or with the settings open, and save it as a PNG.",
    )
    shot.add_argument("out", help="PNG file to write")
    shot.add_argument(
        "--scenario",
        choices=["research", "streaming", "reader", "first-run", "settings", "check"],
        default="research",
    )
    shot.add_argument("--dark", action="store_true", help="the dark appearance")
    shot.set_defaults(handler=_screenshot)


def _tiny_model(args: argparse.Namespace) -> int:
    from ii_desktop.engine.tiny_model import TinyModelSpec, build_tiny_model

    spec = TinyModelSpec(hidden=args.hidden, layers=args.layers, seed=args.seed)
    out = build_tiny_model(args.dir, spec)
    print(f"Tiny model written to {out}")
    return 0


def _screenshot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ii_desktop.ui.screenshot import render

    out = render(Path(args.out), args.scenario, dark=args.dark)
    print(f"Screenshot written to {out}")
    return 0
