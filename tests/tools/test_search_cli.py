"""``ii-desktop search`` in-process: results, --json, the chain flags and key storage."""

from __future__ import annotations

import io
import json
import logging
import socket

from keyring.backends import fail

from ii_desktop.cli.main import main
from ii_desktop.core.settings import Settings, ToolSettings, app_paths, save_settings
from tests.helpers.fake_search_servers import KEYS, FakeProviders
from tests.helpers.keyring_backend import use_keyring

JSON_KEYS = {"ok", "provider", "results", "text"}


def configure(fakes: FakeProviders, *chain: str) -> None:
    """settings.json in the test's data dir, pointing every provider at its fake."""
    tools = ToolSettings(search_providers=chain, provider_urls=fakes.urls, read_timeout=2.0)
    save_settings(app_paths(), Settings(tools=tools))


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_plain_output_is_the_model_text(capsys, fakes):
    configure(fakes, "ddgs")
    code, out, err = run(capsys, "search", "blue whales")
    assert code == 0
    assert out.startswith("Index: 0\nURL: https://example.org/ddgs/blue-whales/0\n")
    assert out.count("Index: ") == 10
    assert err == ""


def test_json_shape_when_ok(capsys, fakes):
    configure(fakes, "ddgs")
    code, out, _ = run(capsys, "search", "blue whales", "--json")
    assert code == 0
    report = json.loads(out)
    assert set(report) == JSON_KEYS
    assert report["ok"] is True and report["provider"] == "ddgs"
    assert report["results"][0] == {
        "url": "https://example.org/ddgs/blue-whales/0",
        "title": "ddgs result 0 for blue whales",
        "snippet": "Snippet 0 about blue whales...",
    }
    assert report["text"].startswith("Index: 0\n")


def test_json_shape_when_every_provider_fails(capsys, fakes):
    configure(fakes, "searxng")
    fakes["searxng"].default = "server_error"
    code, out, _ = run(capsys, "search", "q", "--json")
    assert code == 1
    report = json.loads(out)
    assert set(report) == {*JSON_KEYS, "error"}
    assert report["ok"] is False and report["provider"] is None and report["results"] == []
    assert report["error"].startswith("Search failed")
    assert report["text"] == f"Error: {report['error']}"


def test_failure_in_plain_mode_goes_to_stderr(capsys, fakes):
    configure(fakes, "searxng")
    fakes["searxng"].default = "server_error"
    code, out, err = run(capsys, "search", "q")
    assert code == 1 and out == ""
    assert err.startswith("ii-desktop: Search failed")
    assert "searxng: SearXNG had a server error (HTTP 503)" in err
    assert "Traceback" not in err


def test_provider_flags_replace_the_chain(capsys, fakes, keychain):
    keychain.set_password("ii-desktop", "brave", KEYS["brave"])
    configure(fakes, "ddgs")
    fakes["tavily"].default = "rate_limit"  # tavily has no key stored either
    code, out, err = run(capsys, "search", "q", "--provider", "tavily", "--provider", "brave")
    assert code == 0
    assert "URL: https://example.org/brave/q/0" in out
    assert "answered by brave" in err and "Tavily needs an API key" in err
    assert fakes["ddgs"].hits == 0


def test_searxng_url_flag_puts_searxng_first(capsys, fakes):
    configure(fakes, "ddgs")
    code, out, _ = run(capsys, "search", "q", "--searxng-url", fakes["searxng"].url, "--json")
    assert code == 0
    assert json.loads(out)["provider"] == "searxng"
    assert fakes["ddgs"].hits == 0


def test_an_unknown_provider_is_refused(capsys):
    code, _, err = run(capsys, "search", "q", "--provider", "google")
    assert code == 2
    assert "invalid choice" in err


def test_a_query_is_required(capsys):
    code, _, err = run(capsys, "search")
    assert code == 2
    assert err.strip() == "ii-desktop: Give a search query, or --set-key/--delete-key PROVIDER."


def test_set_and_delete_a_key_without_it_ever_showing(
    capsys, fakes, keychain, monkeypatch, data_dir, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = KEYS["serper"]
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    code, out, err = run(capsys, "search", "--set-key", "serper")
    assert code == 0
    assert out.strip() == "Stored the Serper API key in the system keychain."
    assert keychain.store == {("ii-desktop", "serper"): secret}
    seen = out + err

    configure(fakes, "serper")
    for extra in ((), ("--json",)):
        code, out, err = run(capsys, "search", "q", *extra)
        assert code == 0
        seen += out + err
    assert fakes["serper"].requests[0].headers["x-api-key"] == secret

    fakes["serper"].key = "another-key"  # now the stored key is refused
    code, out, err = run(capsys, "search", "q")
    assert code == 1
    assert "Serper refused the request (HTTP 403); check the key" in err
    seen += out + err

    code, out, err = run(capsys, "search", "--delete-key", "serper")
    assert code == 0
    assert out.strip() == "Deleted the Serper API key from the system keychain."
    assert keychain.store == {}
    seen += out + err
    code, out, err = run(capsys, "search", "--delete-key", "serper")
    assert out.strip() == "No Serper API key was stored in the system keychain."
    seen += out + err

    assert secret not in seen
    assert secret not in caplog.text
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_set_key_mentions_an_overriding_environment_variable(capsys, monkeypatch):
    monkeypatch.setenv("II_DESKTOP_TAVILY_KEY", "from-env")
    monkeypatch.setattr("sys.stdin", io.StringIO("tvly-new\n"))
    code, out, _ = run(capsys, "search", "--set-key", "tavily")
    assert code == 0
    assert "II_DESKTOP_TAVILY_KEY is set and takes precedence" in out


def test_an_empty_key_is_refused(capsys, monkeypatch, keychain):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    code, _, err = run(capsys, "search", "--set-key", "brave")
    assert code == 2
    assert "No Brave Search API key was given" in err
    assert keychain.store == {}


def test_key_commands_take_no_query(capsys):
    code, _, err = run(capsys, "search", "q", "--delete-key", "serper")
    assert code == 2
    assert "not both" in err


def test_without_a_keychain_the_cli_says_so(capsys, monkeypatch, fakes):
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-nowhere\n"))
    configure(fakes, "serper")
    with use_keyring(fail.Keyring()):
        code, _, err = run(capsys, "search", "--set-key", "serper")
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("ii-desktop: No system keychain is available")
        assert "II_DESKTOP_SERPER_KEY" in lines[0]

        code, out, _ = run(capsys, "search", "q", "--json")
        assert code == 1
        assert (
            json.loads(out)["error"] == "Search failed (serper: no API key). Try a different query."
        )
        code, _, err = run(capsys, "search", "q")
    assert code == 1
    assert "serper: Serper needs an API key. No system keychain is available" in err
    assert fakes["serper"].hits == 0


def test_an_unreachable_provider_says_the_network_is_the_problem(capsys):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    code, out, err = run(capsys, "search", "q", "--provider", "searxng", "--searxng-url", url)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1, "one line"
    assert f"SearXNG cannot be reached at 127.0.0.1:{port}: nothing answers" in err
    assert "The network is the problem" in err
    assert "Try a different query" not in err and "ConnectError" not in err


def test_a_missing_key_says_the_key_is_the_problem(capsys, keychain):
    code, _, err = run(capsys, "search", "q", "--provider", "serper")
    assert code == 1
    assert "Serper needs an API key" in err and "The API key is the problem" in err
