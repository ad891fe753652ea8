"""Text from outside that is not valid Unicode: a lone surrogate (a JSON page's or a
search API's ``"\\ud800"``) is replaced where it enters the app, so nothing that stores,
prints or exports it later can fail."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ii_desktop.tools.base import SourceRef, ToolOutput
from ii_desktop.tools.search.provider import collect_hits
from tests.helpers.page_server import PageServer

REPO = Path(__file__).resolve().parents[2]
LONE = "\ud800"
# JSON escapes for lone surrogates, as a hostile server writes them
JSON_WITH_SURROGATES = b'{"title": "Broken \\ud800 title", "items": ["\\udc00", {"\\udfff": 1}]}'


def _encodes(value: object) -> bool:
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    return True


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", *args],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_tool_output_makes_its_text_and_data_valid_unicode():
    output = ToolOutput(
        ok=True,
        text=f"page {LONE} text",
        sources=(SourceRef(f"https://example.org/{LONE}", f"title {LONE}", "page"),),
        data={
            "markdown": f"# {LONE}",
            "nested": [{f"key{LONE}": (f"a{LONE}", 1, None)}],
            "count": 3,
        },
    )
    assert output.text == "page \ufffd text"
    assert output.sources == (SourceRef("https://example.org/\ufffd", "title \ufffd", "page"),)
    assert output.data == {
        "markdown": "# \ufffd",
        "nested": [{"key\ufffd": ("a\ufffd", 1, None)}],
        "count": 3,
    }
    assert _encodes([output.text, output.data, [s.url + s.title for s in output.sources]])
    failed = ToolOutput.failure("bad", f"no {LONE} here", url=f"https://x.example/{LONE}")
    assert failed.error == "no \ufffd here" and failed.text == "Error: no \ufffd here"
    assert failed.data == {"url": "https://x.example/\ufffd"}


def test_clean_tool_output_is_kept_as_it_is():
    from ii_desktop.tools.base import valid_unicode_value

    data = {"results": [{"url": "https://example.org/é", "title": "Café"}], "n": 1}
    sources = (SourceRef("https://example.org/", "Ünïcode"),)
    output = ToolOutput(ok=True, text="naïve text", sources=sources, data=data)
    assert output.data is data  # nothing copied when nothing changes
    assert output.sources == sources and output.text == "naïve text"
    assert valid_unicode_value(data) is data


def test_search_hits_are_valid_unicode():
    items = [{"url": f"https://example.org/{LONE}", "title": f"t{LONE}", "snippet": "\udfff s"}]
    (hit,) = collect_hits(items, "searxng", "SearXNG", 10)
    assert (hit.url, hit.title, hit.snippet) == (
        "https://example.org/\ufffd",
        "t\ufffd",
        "\ufffd s",
    )


def test_visit_json_of_a_page_with_a_lone_surrogate(server):
    server.page("/data.json", JSON_WITH_SURROGATES, "application/json")
    url = server.url("/data.json")
    result = _cli("visit", url, "--json", "--allow-host", server.host)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    report = json.loads(result.stdout.decode("utf-8"))
    assert report["ok"] is True
    assert "Broken \ufffd title" in report["markdown"]
    assert _encodes(report)
    plain = _cli("visit", url, "--allow-host", server.host)
    assert plain.returncode == 0, plain.stderr.decode("utf-8", "replace")
    assert b"Broken" in plain.stdout


def test_search_results_with_lone_surrogates(server):
    answer = {
        "results": [
            {"url": "https://example.org/a", "title": "A \\ud800 title", "content": "x \\udc00"}
        ]
    }
    body = json.dumps(answer).replace("\\\\u", "\\u").encode()  # the escapes, not the text
    assert b'"A \\ud800 title"' in body
    server.page("/search", body, "application/json")
    searxng = ["--provider", "searxng", "--searxng-url", server.url("/")]
    result = _cli("search", "anything", *searxng, "--json")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    report = json.loads(result.stdout.decode("utf-8"))
    assert report["results"][0]["title"] == "A \ufffd title"
    assert report["results"][0]["snippet"] == "x \ufffd"
    plain = _cli("search", "anything", *searxng)
    assert plain.returncode == 0, plain.stderr.decode("utf-8", "replace")
    assert "Title: A \ufffd title" in plain.stdout.decode("utf-8")
