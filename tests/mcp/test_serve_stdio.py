"""``ii-desktop mcp serve`` over stdio, driven by the SDK's own client: a real server
subprocess, a replayed model, a local SearXNG-like search and a local page server."""

from __future__ import annotations

import json
import time

import anyio
import pytest

from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks.store import NotebookStore
from tests.helpers.research import page_and_search, tool_call
from tests.mcp.client import connect, error_text, structured

ARTICLE = b"""<!doctype html><html><head><title>The Seine - River Atlas</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>The Seine</h1>
<p>The Seine is a 777-kilometre river in northern France. It rises at Source-Seine on the
Langres plateau and flows through Paris into the English Channel at Le Havre.</p>
<p>More than thirty bridges cross the Seine within Paris, among them the Pont Neuf, the
oldest standing bridge across the river in the city.</p></article></body></html>"""

QUESTION = "How long is the Seine?"


def turn(reasoning: str, body: str) -> str:
    return f"<think>\n{reasoning}\n</think>\n\n{body}"


@pytest.fixture
def web():
    with page_and_search("/seine", ARTICLE) as both:
        yield both


def replay_file(tmp_path, turns):
    path = tmp_path / "replay.json"
    path.write_text(json.dumps({"turns": turns}))
    return str(path)


def engine_args(replay, search, pages, *extra):
    return (
        "--engine", "replay", "--replay", replay, "--searxng-url", search.url,
        "--provider", "searxng", "--allow-host", pages.host, *extra,
    )  # fmt: skip


def test_tools_research_progress_errors_and_notebooks(tmp_path, data_dir, web):
    pages, search = web
    url = pages.url("/seine")
    replay = replay_file(
        tmp_path,
        [
            turn("Find the river first.", tool_call("web_search", query="Seine length")),
            turn("Read the atlas page.", tool_call("web_visit", url=url)),
            turn("The page says 777 km.", f"The Seine is 777 km long [{url}].\n\\boxed{{777 km}}"),
        ],
    )
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async def scenario() -> tuple[str, str]:
        async with connect(data_dir, *engine_args(replay, search, pages)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {
                "research", "web_search", "web_visit", "notebook_search", "fact_check",
            }  # fmt: skip
            research = tools["research"].input_schema
            assert research["required"] == ["question"]
            assert set(research["properties"]) == {"question", "mode", "notebook"}
            assert research["properties"]["mode"]["enum"] == ["answer", "short", "report"]
            assert "numbered sources" in (tools["research"].description or "")
            assert tools["web_visit"].input_schema["properties"]["max_chars"]["maximum"] > 0
            for tool in tools.values():
                assert tool.description and len(tool.description) > 80

            result = await client.call_tool(
                "research",
                {"question": QUESTION, "mode": "short"},
                progress_callback=on_progress,
            )
            done = structured(result)
            assert done["answer"].startswith("The Seine is 777 km long")
            assert done["short_answer"] == "777 km"
            page = next(s for s in done["sources"] if s["url"] == url)
            # citations are the sources' numbers, the boxed answer plain bold
            assert f"[{page['n']}]" in done["answer"] and url not in done["answer"]
            assert "\\boxed" not in done["answer"] and "**777 km**" in done["answer"]
            assert page["read"] is True and page["title"].startswith("The Seine")
            assert page["n"] >= 1 and page["support"] in ("strong", "weak")
            assert any(not s["read"] for s in done["sources"])  # search results, unread
            assert done["notebook_id"]
            notebook_id, run_id = done["notebook_id"], done["run_id"]

            # a private address is refused by the guard
            refused = await client.call_tool("web_visit", {"url": "http://192.168.1.1/admin"})
            assert error_text(refused).startswith("192.168.1.1 is a private address")

            # bad arguments are tool errors, and the server keeps serving
            empty = await client.call_tool("research", {"question": "   "})
            assert "question is empty" in error_text(empty)
            bad_mode = await client.call_tool("research", {"question": "x", "mode": "poem"})
            assert error_text(bad_mode) == (
                "Bad arguments: mode: Input should be 'answer', 'short' or 'report'."
            )
            no_args = await client.call_tool("web_visit", {})
            assert error_text(no_args) == "Bad arguments: url is required."
            bad_url = await client.call_tool("fact_check", {"url": "file:///etc/passwd"})
            assert "web address" in error_text(bad_url)
            too_small = await client.call_tool("web_visit", {"url": url, "max_chars": 0})
            assert "max_chars" in error_text(too_small)
            unknown = await client.call_tool("web_crawl", {"url": url})
            assert unknown.is_error

            visited = structured(await client.call_tool("web_visit", {"url": url, "max_chars": 40}))
            assert visited["title"].startswith("The Seine")
            assert len(visited["text"]) == 40 and visited["truncated"] is True

            found = structured(await client.call_tool("web_search", {"query": "Seine"}))
            assert found["provider"] == "searxng" and found["results"][0]["url"] == url

            hits = structured(await client.call_tool("notebook_search", {"query": "Seine"}))
            assert any(
                h["notebook_id"] == notebook_id and h["run_id"] == run_id for h in hits["hits"]
            )
            assert {h["where"] for h in hits["hits"]} <= {"question_or_answer", "page"}
            assert any(h["where"] == "page" and h["url"] == url for h in hits["hits"])
            return notebook_id, run_id

    notebook_id, run_id = anyio.run(scenario)

    assert any(m.startswith("Searching: Seine length") for m in progress), progress
    assert any(m == f"Reading: {url}" for m in progress), progress
    with NotebookStore.open(app_paths(str(data_dir))) as store:
        [run] = store.runs(notebook_id)
        assert run.id == run_id and run.question == QUESTION
        assert "777 km" in run.answer


def test_cancelling_a_research_run_stops_it_and_keeps_serving(tmp_path, data_dir, web):
    pages, search = web
    # a long first turn, streamed slowly: it would take minutes to finish
    replay = replay_file(tmp_path, [turn("Thinking. " * 400, "The end.")])
    args = engine_args(replay, search, pages, "--replay-delay", "0.05")
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async def scenario() -> float:
        async with connect(data_dir, *args) as client:
            with anyio.move_on_after(3) as scope:
                await client.call_tool(
                    "research", {"question": QUESTION}, progress_callback=on_progress
                )
            assert scope.cancelled_caught  # the client gave up: the SDK sends the cancel
            cancelled_at = time.monotonic()
            # the server keeps serving, and the run stops and is saved
            while True:
                hits = structured(await client.call_tool("notebook_search", {"query": "Seine"}))
                runs = _runs(data_dir)
                if runs and runs[0].status != "running":
                    return time.monotonic() - cancelled_at
                assert time.monotonic() - cancelled_at < 15, (runs, hits)
                await anyio.sleep(0.2)

    stopped_after = anyio.run(scenario)
    assert stopped_after < 15
    assert progress[:1] == ["Research started"]
    [run] = _runs(data_dir)
    assert run.status == "cancelled", run


def _runs(data_dir):
    with NotebookStore.open(app_paths(str(data_dir))) as store:
        return [r for n in store.notebooks() for r in store.runs(n.id)]


def test_a_dead_model_server_and_a_dead_search_are_tool_errors(tmp_path, data_dir):
    dead = f"http://127.0.0.1:{_closed_port()}"
    args = (
        "--engine", "openai", "--base-url", f"{dead}/v1", "--model-name", "m",
        "--provider", "searxng", "--searxng-url", dead,
    )  # fmt: skip

    async def scenario() -> None:
        async with connect(data_dir, *args) as client:
            failed = await client.call_tool("research", {"question": QUESTION})
            assert "127.0.0.1" in error_text(failed)
            no_search = await client.call_tool("web_search", {"query": "Seine"})
            assert "SearXNG" in error_text(no_search)
            # still serving
            hits = structured(await client.call_tool("notebook_search", {"query": "Seine"}))
            assert hits == {"hits": []}  # the failed run left no empty notebook behind

    anyio.run(scenario)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fact_check_returns_the_check_report(data_dir):
    from tests.factcheck.scenario import LENGTH_CLAIM, extraction_turn, verification_turns
    from tests.factcheck.scenario import web as check_web

    with check_web() as w:
        turns = [extraction_turn(), *verification_turns(w, "/atlas", "supported", "777 kilometres")]
        replay = replay_file(data_dir.parent, turns)
        args = engine_args(replay, w.search, w.pages)
        progress: list[str] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        async def scenario() -> dict:
            async with connect(data_dir, *args) as client:
                result = await client.call_tool(
                    "fact_check", {"url": w.article, "max_claims": 1}, progress_callback=on_progress
                )
                return structured(result)

        report = anyio.run(scenario)
    assert report["type"] == "check_report" and report["url"] == w.article
    [claim] = report["claims"]
    assert claim["claim"] == LENGTH_CLAIM and claim["verdict"] == "supported"
    assert report["summary"]["supported"] == 1 and report["notebook_id"]
    assert f"Checking claim 1 of 1: {LENGTH_CLAIM}" in progress
