"""``ii-desktop mcp serve``: the research agent as an MCP server (stdio or local HTTP)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ii_desktop.cli.ask_cmd import add_run_engine_options, add_tool_options, make_engine
from ii_desktop.cli.common import paths_from, tool_settings
from ii_desktop.core.errors import UsageError


def register(commands: Any) -> None:
    mcp = commands.add_parser(
        "mcp",
        help="serve the research agent and its tools to MCP clients",
        description="Model Context Protocol: let MCP clients (Claude Desktop, LM Studio, "
        "Jan, editors) use the research agent and its guarded web tools.",
    )
    actions = mcp.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="run the MCP server (stdio by default)",
        description="Run the MCP server with the tools research, web_search, web_visit, "
        "notebook_search and fact_check. It speaks on stdin and stdout unless --http is "
        "given; every research run is saved in the notebooks like any other.",
    )
    serve.add_argument(
        "--http",
        type=_port,
        metavar="PORT",
        help="serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio, with a "
        "bearer token made at start (printed to stderr and saved as mcp-token in the data "
        "folder)",
    )
    add_run_engine_options(serve)
    add_tool_options(serve)
    serve.set_defaults(handler=_serve)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return port


def _serve(args: argparse.Namespace) -> int:
    try:
        import anyio

        from ii_desktop.mcp_server.server import build_server
    except ImportError:
        raise UsageError(
            "The MCP server needs the mcp package: pip install 'mcp>=2.3,<3'."
        ) from None
    from ii_desktop.mcp_server.service import Service
    from ii_desktop.research import ResearchSession

    paths = paths_from(args)
    settings = tool_settings(args, paths)
    engine = make_engine(args, paths)
    service = Service(paths, settings, ResearchSession(paths, settings, engine))
    try:
        server = build_server(service)
        if args.http is None:
            anyio.run(server.run_stdio_async)
        else:
            from ii_desktop.mcp_server.http_transport import HOST, PATH, new_token, serve_http

            token = new_token(paths)
            print(
                f"ii-desktop: serving MCP at http://{HOST}:{args.http}{PATH}\n"
                f"ii-desktop: token (also in {paths.data_dir / 'mcp-token'}): {token}",
                file=sys.stderr,
                flush=True,
            )
            anyio.run(serve_http, server, args.http, token)
    finally:
        service.close()
    return 0
