"""The tools a research run is offered, and the context they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.base import Tool, ToolContext
from ii_desktop.tools.http import make_guarded_client
from ii_desktop.tools.page_cache import PageCache
from ii_desktop.tools.provenance import Consent, Provenance
from ii_desktop.tools.search import WebSearchTool, make_search_client
from ii_desktop.tools.search.local import SavedPageIndex
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


def open_tools(
    settings: ToolSettings,
    page_cache: PageCache | None = None,
    saved_pages: SavedPageIndex | None = None,
    consent: Consent | None = None,
    on_trust: Callable[[str], None] | None = None,
) -> ToolSession:
    """``page_cache`` and ``saved_pages`` come from the notebooks when a store is open, so
    pages read before are not fetched again and ``--search local`` can answer offline.
    ``consent`` asks the user about a URL the model did not see (see ``provenance``);
    without it such URLs are refused."""
    search_http = make_search_client(settings)
    context = ToolContext(
        http=make_guarded_client(settings),
        settings=settings,
        page_cache=page_cache if page_cache is not None else PageCache(),
        provenance=Provenance(
            settings.reference_hosts,
            settings.trusted_hosts,
            allow_unseen=settings.allow_unseen_urls,
            consent=consent,
            on_trust=on_trust,
        ),
    )
    search = WebSearchTool(search_http, local=saved_pages)
    return ToolSession([search, WebVisitTool()], context, search_http)
