"""Realistic research runs as the agent emits them, built from the real event classes."""

from __future__ import annotations

from typing import Any

from ii_desktop.agent.events import (
    Answer,
    Notice,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    Stats,
    ToolCall,
    ToolResult,
)
from ii_desktop.agent.history import PastRun, compact_answer
from ii_desktop.core.events import Event
from ii_desktop.tools.base import format_search_results, truncate_page_text

SYSTEM = "You are a research assistant."
QUESTION = "How tall is the Eiffel Tower?"
WIKI = "https://en.wikipedia.org/wiki/Eiffel_Tower"
TOUR = "https://www.toureiffel.paris/en/the-monument/key-figures"
BRIT = "https://www.britannica.com/topic/Eiffel-Tower-Paris-France"
PAGE_TEXT = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris. "
    "It is named after the engineer Gustave Eiffel, whose company designed and built it. "
    "The tower is 330 metres tall, about the same height as an 81-storey building, and "
    "was the tallest man-made structure in the world until the Chrysler Building in 1930. "
    "Puddled iron was used for its 18,038 pieces, joined by 2.5 million rivets."
)
ANSWER = (
    "The Eiffel Tower is **330 metres** (1,083 ft) tall including its antennas "
    f"({WIKI}). Without them it is about 300 metres ([official figures]({TOUR}))."
)
SEARCH_RESULTS = [
    {"url": WIKI, "title": "Eiffel Tower - Wikipedia", "snippet": "The tower is 330 metres tall"},
    {"url": TOUR, "title": "Key figures | Eiffel Tower", "snippet": "Height: 330 m with antennas"},
    {"url": BRIT, "title": "Eiffel Tower | Britannica", "snippet": "Eiffel Tower, Paris landmark"},
]


def stats(run_id: str, round_: int, prompt: int, reused: int, generated: int) -> Stats:
    return Stats(
        run_id, round_, prompt, reused, prompt - reused, generated, 850.0, 41.5, 0.4,
        prompt * round_, reused * round_, (prompt - reused) * round_, generated * round_,
    )  # fmt: skip


def search_call(run_id: str, call_id: str, query: str) -> list[Event]:
    raw = f'{{"name": "web_search", "arguments": {{"query": "{query}"}}}}'
    return [
        ToolCall(run_id, call_id, "web_search", {"query": query}, raw),
        ToolResult(
            run_id,
            call_id,
            "web_search",
            True,
            format_search_results(SEARCH_RESULTS),
            data={
                "query": query,
                "provider": "ddgs",
                "results": SEARCH_RESULTS,
                "attempts": [{"provider": "ddgs", "outcome": "ok"}],
            },
        ),
    ]


def visit_call(
    run_id: str, call_id: str, url: str, text: str = PAGE_TEXT, title: str = ""
) -> list[Event]:
    title = title or "Eiffel Tower - Wikipedia"
    raw = f'{{"name": "web_visit", "arguments": {{"url": "{url}"}}}}'
    return [
        ToolCall(run_id, call_id, "web_visit", {"url": url}, raw),
        ToolResult(
            run_id,
            call_id,
            "web_visit",
            True,
            truncate_page_text(f"{title}\n{text}")[0],
            data={
                "url": url,
                "final_url": url,
                "title": title,
                "byline": "Wikipedia contributors",
                "date": "2024-05-01",
                "content_type": "text/html",
                "markdown": f"# {title}\n\n{text}",
                "full_text": text,
                "truncated": False,
            },
        ),
    ]


def eiffel_run(run_id: str = "run-eiffel-1", question: str = QUESTION) -> list[Event]:
    """Search, read one page, answer citing it: the events in the order a run emits them."""
    events: list[Event] = [RunStarted(run_id, question, "normal")]
    events += [Reasoning(run_id, t) for t in ("The user asks ", "for the height; ", "search.")]
    events.append(stats(run_id, 1, 900, 0, 60))
    events += search_call(run_id, "call_1_0", "Eiffel Tower height")
    events += [Source(run_id, i + 1, r["url"], r["title"], "search_result")
               for i, r in enumerate(SEARCH_RESULTS)]  # fmt: skip
    events += [Reasoning(run_id, t) for t in ("Wikipedia ", "looks reliable; ", "read it.")]
    events.append(stats(run_id, 2, 1400, 900, 40))
    events += visit_call(run_id, "call_2_0", WIKI)
    events.append(Source(run_id, 1, WIKI, "Eiffel Tower - Wikipedia", "page"))
    events += [Reasoning(run_id, "The page says 330 metres.")]
    # the answer streams in small deltas
    events += [Answer(run_id, ANSWER[i : i + 7]) for i in range(0, len(ANSWER), 7)]
    events.append(stats(run_id, 3, 2600, 1400, 90))
    events.append(
        RunFinished(
            run_id,
            "answered",
            ANSWER,
            citations=[
                {"url": WIKI, "n": 1, "verified": True},
                {"url": TOUR, "n": 2, "verified": False},
            ],
            rounds=3,
            searches=1,
            visits=1,
        )
    )
    return events


def eiffel_messages(
    question: str = QUESTION, history: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The conversation a run leaves behind (``ResearchRun.messages``)."""
    messages = list(history or [{"role": "system", "content": "You are a research assistant."}])
    messages += [
        {"role": "user", "content": question},
        {
            "role": "assistant",
            "content": '<think>search.</think>\n<tool_call>\n{"name": "web_search", '
            '"arguments": {"query": "Eiffel Tower height"}}\n</tool_call>',
        },
        {
            "role": "tool",
            "content": format_search_results(SEARCH_RESULTS),
            "tool_call_id": "call_1_0",
            "name": "web_search",
        },
        {"role": "assistant", "content": f"<think>The page says 330 metres.</think>\n{ANSWER}"},
    ]
    return messages


def budget_run(run_id: str = "run-budget-1") -> list[Event]:
    """A run that hit its round limit after failing to read a page."""
    url = "https://example.org/paywalled"
    return [
        RunStarted(run_id, "What did the 1889 visitors' book say?", "report"),
        Reasoning(run_id, "Need the archive."),
        ToolCall(run_id, "call_1_0", "web_visit", {"url": url}, "{}"),
        ToolResult(
            run_id,
            "call_1_0",
            "web_visit",
            False,
            "Error: HTTP 403",
            error="HTTP 403",
            error_kind="http_error",
            data={"url": url},
        ),
        Notice(run_id, "round_limit", "Reached the limit of 1 rounds."),
        Answer(run_id, "I could not read the archive."),
        RunFinished(run_id, "budget", "I could not read the archive.", rounds=1, visits=1),
    ]


def past_run(events: list[Event]) -> PastRun:
    """The run as later questions see it (``ResearchRun.history_entry`` for these events)."""
    first = events[0]
    assert isinstance(first, RunStarted)
    finished = next(e for e in events if isinstance(e, RunFinished))
    pages = [(e.title, e.url) for e in events if isinstance(e, Source) and e.kind == "page"]
    return PastRun(first.question, first.mode, compact_answer(finished.answer, pages))


def record(
    store: Any,
    notebook_id: str,
    events: list[Event],
    joins: object = None,
    system_prompt: str = SYSTEM,
) -> Any:
    """Record a whole run through a real ``RunRecorder`` and close it. ``joins`` (any true
    value) keeps the run for the notebook's later questions, as a run with an answer is."""
    from ii_desktop.notebooks import RunRecorder

    first = events[0]
    assert isinstance(first, RunStarted)
    recorder = RunRecorder(store, notebook_id, first.question, first.mode, run_id=first.run_id)
    for event in events:
        recorder(event)
    recorder.close(past_run(events) if joins else None, system_prompt)
    return recorder
