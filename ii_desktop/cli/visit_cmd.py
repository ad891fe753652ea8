"""``ii-desktop visit URL``: what the model would see of a page."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ii_desktop.cli.common import add_page_guard_options, tool_settings
from ii_desktop.core.settings import app_paths


def register(commands: Any) -> None:
    visit = commands.add_parser(
        "visit",
        help="fetch a page and print what the model would see",
        description="Fetch a page through the same guarded client and reader as the "
        "web_visit tool and print the text the model would get (the title, then the "
        "clean text, cut at 10,000 characters). Pages on the local network are refused "
        "unless allowed.",
    )
    visit.add_argument("url", help="the http or https URL to visit")
    visit.add_argument("--json", action="store_true", help="print one JSON object")
    add_page_guard_options(visit)
    visit.set_defaults(handler=_visit)


def _visit(args: argparse.Namespace) -> int:
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
        print(json.dumps(report, ensure_ascii=False))
    elif output.ok:
        print(output.text)
    else:
        print(f"ii-desktop: {output.error} ({output.error_kind})", file=sys.stderr)
    return 0 if output.ok else 1
