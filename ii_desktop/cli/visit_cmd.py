"""``ii-desktop visit URL``: what the model would see of a page."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from ii_desktop.cli.common import add_page_guard_options, tool_settings
from ii_desktop.core.settings import app_paths
from ii_desktop.core.text import printable

# json.dumps escapes C0 controls but leaves DEL and C1 (0x9b starts a CSI sequence) raw
_RAW_CONTROL = re.compile("[\x7f-\x9f]")


def escape_controls(json_text: str) -> str:
    """JSON text with DEL and C1 controls written as ``\\u`` escapes: the same JSON,
    safe to print. (Outside strings JSON has none, so only strings change.)"""
    return _RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def terminal_json(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON that is safe to print (see ``escape_controls``)."""
    return escape_controls(json.dumps(value, ensure_ascii=False, indent=indent))


def register(commands: Any) -> None:
    visit = commands.add_parser(
        "visit",
        help="fetch a page and print what the model would see",
        description="Fetch a page through the same guarded client and reader as the "
        "model's page visits and print the page's title, then the text the model would get "
        "(the clean text, cut at 10,000 characters). Pages on this computer and on "
        "private networks are refused unless allowed with --allow-host.",
    )
    visit.add_argument("url", help="the http or https URL to visit")
    visit.add_argument("--json", action="store_true", help="print one JSON object")
    add_page_guard_options(visit)
    visit.set_defaults(handler=_visit)


def _visit(args: argparse.Namespace) -> int:
    from ii_desktop.notebooks.privacy import scrub_text
    from ii_desktop.tools.base import ToolContext
    from ii_desktop.tools.http import make_guarded_client
    from ii_desktop.tools.visit import WebVisitTool

    settings = tool_settings(args, app_paths(args.data_dir))
    with make_guarded_client(settings) as client:
        output = WebVisitTool().run({"url": args.url}, ToolContext(http=client, settings=settings))
    data = output.data
    if args.json:
        report: dict[str, Any] = {
            "ok": output.ok,
            "url": data.get("url", args.url),
            "final_url": data.get("final_url", ""),
            "title": data.get("title", ""),
            "content_type": data.get("content_type", ""),
            "text": output.text,
            "markdown": data.get("markdown", ""),
            "truncated": bool(data.get("truncated", False)),
        }
        if not output.ok:
            report["error_kind"] = output.error_kind
            report["error"] = output.error
        print(terminal_json(report))
    elif output.ok:
        # a page's title and text may hold escape codes for the terminal
        print(printable(titled_text(str(data.get("title") or ""), output.text)))
    else:
        # the failure's kind is a field of --json, not words for the reader
        error = printable(scrub_text(output.error or ""))
        print(f"ii-desktop: {error}", file=sys.stderr)
    return 0 if output.ok else 1


def titled_text(title: str, text: str) -> str:
    """The page's title on a line of its own, a blank line, then the text the model
    reads. Only a first line of the text that is exactly the title is left out (the
    title is never dropped for a body that merely starts with the same words)."""
    title = " ".join(title.split())
    if not title:
        return text
    first, newline, rest = text.partition("\n")
    if first.strip() == title:
        text = rest if newline else ""
    return f"{title}\n\n{text}" if text else title
