"""``ii-desktop ask`` end to end: real tools against servers on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from ii_desktop.cli.main import main
from tests.helpers.research import page_and_search, tool_call
from tests.helpers.sse_server import ChatServer, Reply, delta_chunk

ARTICLE = b"""<!doctype html><html><head><title>The Seine - River Atlas</title></head><body>
<nav><a href="/">Home</a> <a href="/rivers">Rivers</a></nav>
<article><h1>The Seine</h1>
<p>The Seine is a 777-kilometre river in northern France. It rises at Source-Seine on the
Langres plateau and flows through Paris into the English Channel at Le Havre.</p>
<p>More than thirty bridges cross the Seine within Paris, among them the Pont Neuf, the
oldest standing bridge across the river in the city.</p></article>
<footer>Copyright River Atlas. <a href="/privacy">Privacy</a></footer></body></html>"""


def turn(reasoning: str, body: str) -> str:
    return f"<think>\n{reasoning}\n</think>\n\n{body}"


@pytest.fixture
def servers():
    with page_and_search("/seine", ARTICLE) as both:
        yield both


def write_replay(tmp_path, pages):
    url = pages.url("/seine")
    turns = [
        turn("Find the river first.", tool_call("web_search", query="Seine length")),
        turn("Read the atlas page.", tool_call("web_visit", url=url)),
        turn("The page says 777 km.", f"The Seine is 777 km long and flows through Paris [{url}]."),
    ]
    path = tmp_path / "replay.json"
    path.write_text(json.dumps({"turns": turns}))
    return path, url


def ask(*args):
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", "ask", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ask_seine(replay, search, *extra):
    """The Seine question, replayed, with search answered by the local SearXNG."""
    return ask(
        "How long is the Seine?",
        "--engine",
        "replay",
        "--replay",
        str(replay),
        "--searxng-url",
        search.url,
        *extra,
    )


def test_replayed_run_with_real_search_and_page_reading(tmp_path, servers):
    pages, search = servers
    replay, url = write_replay(tmp_path, pages)
    done = ask_seine(replay, search, "--allow-host", pages.host, "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    results = [e for e in events if e["type"] == "tool_result"]
    assert [r["name"] for r in results] == ["web_search", "web_visit"]
    assert all(r["ok"] for r in results)
    url = pages.url("/seine")
    assert results[0]["text"].startswith(f"Index: 0\nURL: {url}\n")
    assert results[1]["data"]["allowed_by"] == "search_result"  # the rule that let it through
    assert "777-kilometre river" in results[1]["text"]
    assert "Copyright River Atlas" not in results[1]["text"]  # boilerplate gone
    assert results[1]["data"]["title"] == "The Seine"
    finished = events[-1]
    assert finished["reason"] == "answered"
    (cited,) = finished["citations"]
    assert {k: cited[k] for k in ("url", "n", "verified")} == {"url": url, "n": 1, "verified": True}
    assert cited["support"] == "strong"  # the answer's 777 km is on the page it cites
    assert cited["passage"].startswith("The Seine is a 777-kilometre river in northern France.")
    assert search.hits == 1 and pages.hits["/seine"] == 1


def test_transcript_shows_tools_answer_and_sources(tmp_path, servers):
    pages, search = servers
    replay, url = write_replay(tmp_path, pages)
    done = ask_seine(replay, search, "--allow-host", pages.host)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "→ web_search Seine length … ok, 10 results from searxng\n" in out
    assert f"→ web_visit {url} … ok\n" in out
    assert out.count("The Seine is 777 km long") == 1  # streamed once, not repeated
    assert "Answer\nThe Seine is 777 km long" in out
    assert f"[1] The Seine (read) — {url}\n" in out
    assert "\033[" not in out  # no colour codes when not on a terminal


def test_pages_on_the_local_network_are_blocked_without_an_allowance(tmp_path, servers):
    pages, search = servers
    replay, _ = write_replay(tmp_path, pages)
    done = ask_seine(replay, search, "--json")
    assert done.returncode == 0, done.stderr
    visit = [json.loads(line) for line in done.stdout.splitlines() if '"tool_result"' in line][1]
    assert not visit["ok"] and visit["error_kind"] == "blocked"
    assert pages.hits["/seine"] == 0


def test_short_mode_prints_the_boxed_answer(tmp_path, servers, capsys):
    _, search = servers
    turns = [turn("x", tool_call("web_search", query="q")), turn("y", "It is \\boxed{777 km}.")]
    replay = tmp_path / "r.json"
    replay.write_text(json.dumps({"turns": turns}))
    code = main(
        [
            "ask",
            "Length?",
            "--short",
            "--engine",
            "replay",
            "--replay",
            str(replay),
            "--searxng-url",
            search.url,
        ]
    )
    assert code == 0
    assert "Short answer: 777 km" in capsys.readouterr().out


def test_errors_exit_1_and_usage_errors_exit_2(tmp_path, servers, capsys):
    _, search = servers
    replay = tmp_path / "r.json"
    replay.write_text(json.dumps({"turns": [turn("x", tool_call("web_search", query="q"))]}))
    assert (
        main(
            ["ask", "q", "--engine", "replay", "--replay", str(replay), "--searxng-url", search.url]
        )
        == 1
    )
    assert "no more turns" in capsys.readouterr().out
    assert main(["ask", "q", "--engine", "replay"]) == 2
    assert "--replay FILE" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"turns": "nope"}')
    assert main(["ask", "q", "--engine", "replay", "--replay", str(bad)]) == 2
    assert main(["ask", "q", "--engine", "openai"]) == 2
    assert main(["ask", "q", "--engine", "mlx"]) == 2  # no model chosen
    assert "No model chosen" in capsys.readouterr().err


def test_over_an_openai_compatible_server(servers, capsys):
    _, search = servers
    with ChatServer() as chat:
        chat.replies.extend(
            [
                Reply(
                    [
                        delta_chunk({"reasoning_content": "Search."}),
                        delta_chunk(
                            {
                                "tool_calls": [
                                    {
                                        "index": 0,
                                        "id": "a",
                                        "function": {
                                            "name": "web_search",
                                            "arguments": '{"query": "Seine"}',
                                        },
                                    }
                                ]
                            }
                        ),
                    ]
                ),
                Reply([delta_chunk({"content": "777 km."}, finish="stop")]),
            ]
        )
        code = main(
            [
                "ask",
                "Seine length?",
                "--engine",
                "openai",
                "--base-url",
                chat.base_url,
                "--model-name",
                "ii-search-4b",
                "--searxng-url",
                search.url,
                "--json",
            ]
        )
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["reason"] == "answered" and events[-1]["answer"] == "777 km."


def _answering(chat: ChatServer, text: str) -> None:
    # twice: an answer given without searching is challenged once, and stands
    for _ in range(2):
        chat.replies.append(Reply([delta_chunk({"content": text}, finish="stop")]))


def test_a_server_address_or_the_settings_server_needs_no_engine_option(servers, capsys):
    from ii_desktop.core.settings import ServerSettings, app_paths, load_settings, save_settings

    _, search = servers
    with ChatServer() as chat:
        _answering(chat, "777 km.")
        options = ["--searxng-url", search.url, "--json"]
        argv = ["ask", "Seine?", "--base-url", chat.base_url, "--model-name", "m", *options]
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out.splitlines()[-1])["answer"] == "777 km."

        # --base-url alone: the model name is what is missing, said in those words
        assert main(["ask", "Seine?", "--base-url", chat.base_url]) == 2
        err = capsys.readouterr().err
        assert "--model-name" in err and "--base-url" not in err.split("needs")[1]

        # the model server chosen in Settings is what ask uses by default
        paths = app_paths().ensure()
        server = ServerSettings(enabled=True, base_url=chat.base_url, model_name="ii-search")
        save_settings(paths, dataclasses.replace(load_settings(paths), server=server))
        _answering(chat, "Still 777 km.")
        assert main(["ask", "Seine again?", *options]) == 0
        assert json.loads(capsys.readouterr().out.splitlines()[-1])["answer"] == "Still 777 km."
        assert chat.requests[-1]["model"] == "ii-search"

        # --model (or --engine mlx) asks for the local model instead
        assert main(["ask", "Seine?", "--engine", "mlx"]) == 2
        assert "No model chosen" in capsys.readouterr().err


@pytest.mark.mlx
def test_on_the_tiny_local_model(tiny_model_dir, servers):
    _, search = servers
    done = ask(
        "What is the capital of France?",
        "--model",
        str(tiny_model_dir),
        "--max-rounds",
        "2",
        "--max-tokens",
        "24",
        "--seed",
        "1",
        "--searxng-url",
        search.url,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    finished = json.loads(done.stdout.splitlines()[-1])
    assert finished["type"] == "run_finished"
    assert finished["reason"] in ("answered", "budget")


def test_ctrl_c_cancels_the_run_and_keeps_the_transcript(tmp_path):
    import signal
    import time

    slow = turn("thinking " * 400, "never reached")
    replay = tmp_path / "slow.json"
    replay.write_text(json.dumps({"turns": [slow]}))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ii_desktop",
            "ask",
            "q",
            "--engine",
            "replay",
            "--replay",
            str(replay),
            "--replay-delay",
            "0.02",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "thinking" in out and "Run cancelled." in out
    assert "Traceback" not in err


def test_runs_are_saved_into_notebooks_and_continue_them(tmp_path, servers, data_dir):
    pages, search = servers
    replay, url = write_replay(tmp_path, pages)
    first = ask_seine(replay, search, "--allow-host", pages.host, "--notebook", "Rivers")
    assert first.returncode == 0, first.stderr
    follow = tmp_path / "follow.json"
    follow.write_text(
        json.dumps(
            {
                "turns": [
                    turn("Search my notes.", tool_call("web_search", query="bridges Seine Paris")),
                    turn("The saved page names the Pont Neuf.", "The Pont Neuf is the oldest one."),
                ]
            }
        )
    )
    # offline: answered from the notebook's saved page through --search local
    second = ask(
        "Which bridge is oldest?",
        "--engine",
        "replay",
        "--replay",
        str(follow),
        "--search",
        "local",
        "--notebook",
        "Rivers",
        "--json",
    )
    assert second.returncode == 0, second.stderr
    events = [json.loads(line) for line in second.stdout.splitlines()]
    local = next(e for e in events if e["type"] == "tool_result")
    assert local["ok"] and local["data"]["provider"] == "local"
    assert f"URL: {url}" in local["text"]

    listed = subprocess.run(
        [sys.executable, "-m", "ii_desktop", "notebook", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    (notebook,) = json.loads(listed.stdout)
    assert notebook["title"] == "Rivers" and notebook["runs"] == 2
    shown = subprocess.run(
        [sys.executable, "-m", "ii_desktop", "notebook", "show", notebook["id"], "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    runs = json.loads(shown.stdout)["runs"]
    assert [r["status"] for r in runs] == ["answered", "answered"]
    assert runs[1]["answer"] == "The Pont Neuf is the oldest one."


@pytest.mark.mlx
def test_a_continued_notebook_reuses_the_saved_kv_cache(tiny_model_dir, servers):
    _, search = servers
    common = [
        "--model",
        str(tiny_model_dir),
        "--max-rounds",
        "1",
        "--max-tokens",
        "16",
        "--seed",
        "3",
        "--searxng-url",
        search.url,
        "--notebook",
        "Cache",
        "--json",
    ]
    first = ask("What is the capital of France?", *common)
    assert first.returncode == 0, first.stderr
    second = ask("And of Spain?", *common)
    assert second.returncode == 0, second.stderr
    stats = [json.loads(line) for line in second.stdout.splitlines() if '"stats"' in line]
    first_prompt = stats[0]
    # the whole earlier conversation came from the cache file, not re-read
    assert first_prompt["reused_tokens"] > first_prompt["prefilled_tokens"]


def test_a_closed_pipe_ends_quietly(tmp_path, servers):
    pages, search = servers
    replay, _ = write_replay(tmp_path, pages)
    command = (
        f"{sys.executable} -m ii_desktop ask q --engine replay --replay {replay} "
        f"--searxng-url {search.url} --allow-host {pages.host} | head -1"
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_refused_options_leave_no_notebook_behind(tmp_path, capsys):
    replay = tmp_path / "r.json"
    replay.write_text(json.dumps({"turns": ["x"]}))
    assert (
        main(["ask", "q", "--engine", "replay", "--replay", str(replay), "--search", "bogus"]) == 1
    )
    assert main(["ask", "q", "--engine", "replay", "--replay", str(tmp_path / "none")]) == 2
    capsys.readouterr()
    assert main(["notebook", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_model_servers_key_comes_from_the_keychain(servers, capsys, monkeypatch):
    import io

    _, search = servers
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-from-keychain\n"))
    assert main(["search", "--set-key", "openai"]) == 0
    with ChatServer() as chat:
        # an answer without a search is challenged once, hence two replies
        chat.replies.extend([Reply([delta_chunk({"content": "ok"}, finish="stop")])] * 2)
        code = main(
            [
                "ask",
                "q",
                "--engine",
                "openai",
                "--base-url",
                chat.base_url,
                "--model-name",
                "m",
                "--searxng-url",
                search.url,
                "--json",
            ]
        )
    assert code == 0
    assert [h["authorization"] for h in chat.headers] == ["Bearer sk-from-keychain"] * 2
    assert "sk-from-keychain" not in capsys.readouterr().out
