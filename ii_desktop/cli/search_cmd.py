"""``ii-desktop search``: run ``web_search`` headless, and store or delete provider keys."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ii_desktop.cli.common import tool_settings, web_url
from ii_desktop.cli.visit_cmd import terminal_json
from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import SEARCH_PROVIDERS, AppPaths, ToolSettings, app_paths
from ii_desktop.core.text import printable
from ii_desktop.tools.secrets import KEYED_PROVIDERS

if TYPE_CHECKING:
    from ii_desktop.tools.search.local import SavedPageIndex

KEYED = tuple(KEYED_PROVIDERS)  # the providers whose API key the keychain keeps


def register(commands: Any) -> None:
    search = commands.add_parser(
        "search",
        help="search the web the way the model does",
        description="Run one web_search through the configured provider chain and print the "
        "results exactly as the model sees them. Keys for Serper, Tavily, Brave Search and an "
        "OpenAI-compatible model server (`ask --engine openai`) are "
        "kept in the system keychain: store one with --set-key (read from standard input, "
        "hidden when typed) or set II_DESKTOP_SERPER_KEY, II_DESKTOP_TAVILY_KEY or "
        "II_DESKTOP_BRAVE_KEY (II_DESKTOP_OPENAI_KEY for the model server).",
    )
    search.add_argument("query", nargs="?", help="what to search for")
    search.add_argument(
        "--provider",
        dest="providers",
        action="append",
        choices=SEARCH_PROVIDERS,
        metavar="NAME",
        help="provider to use; repeat to give a fallback chain in order "
        f"({', '.join(SEARCH_PROVIDERS)}; default: the chain in Settings)",
    )
    search.add_argument(
        "--searxng-url",
        metavar="URL",
        type=web_url,
        help="your SearXNG instance; it goes first in the chain unless --provider is given",
    )
    search.add_argument("--json", action="store_true", help="print one JSON object")
    keys = search.add_mutually_exclusive_group()
    keys.add_argument(
        "--set-key",
        choices=KEYED,
        metavar="PROVIDER",
        help=f"store an API key in the keychain ({', '.join(KEYED)})",
    )
    keys.add_argument(
        "--delete-key", choices=KEYED, metavar="PROVIDER", help="delete a stored API key"
    )
    search.set_defaults(handler=_search)


def _read_key(label: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{label} API key (not shown): ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


def _manage_key(args: argparse.Namespace) -> int:
    from ii_desktop.tools import secrets

    if args.query:
        raise UsageError("Give either a search query or --set-key/--delete-key, not both.")
    provider = args.set_key or args.delete_key
    label = secrets.KEYED_PROVIDERS[provider]
    env_note = ""
    if os.environ.get(secrets.env_var(provider)):
        env_note = f" Note: {secrets.env_var(provider)} is set and takes precedence over it."
    if args.set_key:
        secrets.set_api_key(provider, _read_key(label))
        print(f"Stored the {label} API key in the system keychain.{env_note}")
    elif secrets.delete_api_key(provider):
        print(f"Deleted the {label} API key from the system keychain.{env_note}")
    else:
        print(f"No {label} API key was stored in the system keychain.{env_note}")
    return 0


def _search(args: argparse.Namespace) -> int:
    if args.set_key or args.delete_key:
        return _manage_key(args)
    if not args.query or not args.query.strip():
        raise UsageError("Give a search query, or --set-key/--delete-key PROVIDER.")

    from ii_desktop.notebooks.privacy import scrub_text
    from ii_desktop.tools.base import ToolContext
    from ii_desktop.tools.search import WebSearchTool, make_search_client

    paths = app_paths(args.data_dir)
    settings = tool_settings(args, paths)
    with _saved_pages(paths, settings) as local, make_search_client(settings) as client:
        tool = WebSearchTool(client, local=local)
        output = tool.run({"query": args.query}, ToolContext(http=client, settings=settings))
    data = output.data
    if args.json:
        report: dict[str, Any] = {
            "ok": output.ok,
            "provider": data.get("provider"),
            "results": [
                {"url": r["url"], "title": r["title"], "snippet": r["snippet"]}
                for r in data.get("results", [])
            ],
            "text": output.text,
        }
        if not output.ok:
            report["error"] = output.error
        print(terminal_json(report))
        return 0 if output.ok else 1
    # titles, snippets and provider errors come from outside: no escape codes, no keys
    notes = [
        f"  {a['provider']}: {printable(scrub_text(a['error'] or a['outcome']))}"
        for a in data.get("attempts", [])
        if a["outcome"] != "ok"
    ]
    if output.ok:
        print(printable(output.text))
        if notes:
            print(f"[answered by {data['provider']} after:]", *notes, sep="\n", file=sys.stderr)
        return 0
    from ii_desktop.tools.search.tool import search_failure_message

    # what each provider's trouble was and what to do, in one line
    message = search_failure_message(data.get("attempts", []))
    print(f"ii-desktop: {printable(scrub_text(message))}", file=sys.stderr)
    return 1


class _NoSavedPages:
    """The notebooks' index where no notebook exists yet: nothing matches."""

    def search(self, query: str, limit: int = 10) -> list[dict[str, str]]:
        return []


@contextlib.contextmanager
def _saved_pages(paths: AppPaths, settings: ToolSettings) -> Iterator[SavedPageIndex | None]:
    """The pages the notebooks saved, for the ``local`` provider (as ``ask`` has them);
    no database is created by a search."""
    if "local" not in settings.search_providers:
        yield None
        return
    from ii_desktop.notebooks import LocalPageSearch, NotebookStore
    from ii_desktop.notebooks.schema import DB_NAME

    if not (paths.data_dir / DB_NAME).exists():
        yield _NoSavedPages()
        return
    with NotebookStore.open(paths) as store:
        yield LocalPageSearch(store)
