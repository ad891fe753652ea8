"""``web_search``: a chain of search providers behind the trained result format.

One module per provider (``duckduckgo``, ``searxng``, ``serper``, ``tavily``,
``brave``), their shared failures and HTTP helpers in ``provider``, the retry and
fallback logic in ``chain``, and the tool itself in ``tool``.
"""

from __future__ import annotations

from ii_desktop.tools.search.chain import Cooldowns, RetryPolicy
from ii_desktop.tools.search.provider import SearchHit
from ii_desktop.tools.search.tool import WebSearchTool, make_search_client

__all__ = ["Cooldowns", "RetryPolicy", "SearchHit", "WebSearchTool", "make_search_client"]
