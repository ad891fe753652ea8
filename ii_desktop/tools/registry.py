"""The tools a research run is offered, and the context they share."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.base import Tool, ToolContext
from ii_desktop.tools.http import make_guarded_client
from ii_desktop.tools.page_cache import PageCache
from ii_desktop.tools.search import WebSearchTool, make_search_client
from ii_desktop.tools.visit import WebVisitTool


@dataclass
class ToolSession:
    """``web_search`` and ``web_visit`` with their clients; close when done.

    Pages the model chooses go through the guarded client; searches go to providers the
    user configured (a SearXNG on localhost included) through a trusted one.
    """

    tools: list[Tool]
    context: ToolContext
    search_http: httpx.Client

    def close(self) -> None:
        self.search_http.close()
        self.context.http.close()


def open_tools(settings: ToolSettings, page_cache: PageCache | None = None) -> ToolSession:
    search_http = make_search_client(settings)
    context = ToolContext(
        http=make_guarded_client(settings),
        settings=settings,
        page_cache=page_cache if page_cache is not None else PageCache(),
    )
    return ToolSession([WebSearchTool(search_http), WebVisitTool()], context, search_http)
