"""A page to check, the pages that confirm or contradict it, and a scripted model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ii_desktop.core.settings import ToolSettings
from tests.helpers.fake_search_servers import FakeResult, FakeSearchServer
from tests.helpers.page_server import PageServer
from tests.helpers.research import tool_call

FILLER = (
    "<p>The river has been painted, sung about and written about for centuries, and "
    "every guide to the city gives it a chapter of its own.</p>"
)
ARTICLE = (
    "<html><head><title>Facts about the Seine</title></head><body><article>"
    "<h1>Facts about the Seine</h1>"
    "<p>The Seine is 777 kilometres long and flows through Paris.</p>"
    "<p>The river rises at Source-Seine, on the Langres plateau, in 1990 "
    "it was declared the longest river in Europe.</p>"
    "<p>In my opinion it is the most beautiful river in the world.</p>"
    f"{FILLER * 4}</article></body></html>"
).encode()
LENGTH_PAGE = (
    "<html><head><title>Seine - Atlas</title></head><body><article><h1>Seine</h1>"
    "<p>The Seine is a river in northern France. Its length is 777 kilometres, and it "
    "flows through Paris before it reaches the English Channel at Le Havre.</p>"
    f"{FILLER * 4}</article></body></html>"
).encode()
LONGEST_PAGE = (
    "<html><head><title>Rivers of Europe</title></head><body><article><h1>Rivers</h1>"
    "<p>The Volga is the longest river in Europe, at 3,530 kilometres. The Seine is far "
    "shorter.</p>"
    f"{FILLER * 4}</article></body></html>"
).encode()

LENGTH_CLAIM = "The Seine is 777 kilometres long and flows through Paris."
LONGEST_CLAIM = "In 1990 the Seine was declared the longest river in Europe."


@dataclass
class Web:
    pages: PageServer
    search: FakeSearchServer

    @property
    def article(self) -> str:
        return self.pages.url("/article")

    @property
    def settings(self) -> ToolSettings:
        return ToolSettings(
            search_providers=("searxng",),
            provider_urls={"searxng": self.search.url},
            allow_hosts=(self.pages.host,),
        )


@contextmanager
def web() -> Iterator[Web]:
    pages = PageServer()
    pages.page("/article", ARTICLE)
    pages.page("/atlas", LENGTH_PAGE)
    pages.page("/rivers", LONGEST_PAGE)
    found = [
        FakeResult(pages.url("/atlas"), "Seine - Atlas", "The Seine is 777 kilometres..."),
        FakeResult(pages.url("/rivers"), "Rivers of Europe", "The Volga is the longest..."),
        FakeResult(pages.url("/article"), "Facts about the Seine", "The Seine is..."),
    ]
    search = FakeSearchServer("searxng", results=found)
    try:
        yield Web(pages, search)
    finally:
        pages.close()
        search.close()


def extraction_turn() -> str:
    """The model's list of claims, fenced, with a made-up claim and a duplicate."""
    claims = [
        {
            "claim": LENGTH_CLAIM,
            "quote": "The Seine is 777 kilometres long and flows through Paris.",
        },
        {
            "claim": LONGEST_CLAIM,
            "quote": "in 1990\nit was declared the longest river in Europe",  # a line break
        },
        {
            "claim": "The Seine is 777 km long and flows through Paris.",
            "quote": "The Seine is 777 kilometres long",
        },
        {"claim": "The Seine freezes every winter.", "quote": "The Seine freezes every winter."},
    ]
    return (
        "<think>\nI list the checkable claims.\n</think>\n\n```json\n"
        + json.dumps(claims)
        + "\n```\nDone."
    )


def verification_turns(
    w: Web, path: str, verdict: str, quote: str, cite: str | None = None
) -> list[str]:
    """Search, read ``path``, answer ``verdict`` quoting ``quote`` from ``cite`` (that page
    by default)."""
    url = w.pages.url(path)
    return [
        "<think>\nSearch first.\n</think>\n\n" + tool_call("web_search", query="Seine length"),
        "<think>\nRead the page.\n</think>\n\n" + tool_call("web_visit", url=url),
        f"<think>\nI have what I need.\n</think>\n\n\\boxed{{{verdict}}}\n"
        f"Rationale: the page says so.\nEvidence:\n- “{quote}” ({cite or url})",
    ]
