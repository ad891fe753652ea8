"""PageCache: visits by URL, bounded in entries and bytes, shared between threads."""

from __future__ import annotations

import threading

from ii_desktop.tools.base import ToolOutput
from ii_desktop.tools.page_cache import PageCache, cache_key, output_size


def page(text: str = "body", size: int = 0) -> ToolOutput:
    return ToolOutput(ok=True, text=text, data={"full_text": "x" * size})


def test_hits_and_misses():
    cache = PageCache()
    first = page("one")
    assert cache.get("https://a.example/") is None
    cache.put(first, "https://a.example/", "https://a.example/final")
    assert cache.get("https://a.example/") is first
    assert cache.get("https://a.example/final#top") is first
    assert "https://a.example/final" in cache
    assert (cache.hits, cache.misses) == (2, 1)


def test_failures_are_never_kept():
    cache = PageCache()
    cache.put(ToolOutput.failure("timeout", "slow"), "https://a.example/")
    assert len(cache) == 0


def test_bounded_in_entries_least_recently_used_first():
    cache = PageCache(max_entries=2)
    cache.put(page("a"), "https://a.example/")
    cache.put(page("b"), "https://b.example/")
    assert cache.get("https://a.example/") is not None  # a is now the most recent
    cache.put(page("c"), "https://c.example/")
    assert "https://b.example/" not in cache
    assert "https://a.example/" in cache and "https://c.example/" in cache


def test_bounded_in_bytes():
    one = page(size=10_000)
    cache = PageCache(max_bytes=output_size(one) * 2 + 10)
    for name in "abc":
        cache.put(page(size=10_000), f"https://{name}.example/")
    assert len(cache) == 2
    cache.put(page(size=1_000_000), "https://huge.example/")  # larger than the whole cache
    assert "https://huge.example/" not in cache
    cache.clear()
    assert len(cache) == 0


def test_keys_drop_the_fragment_only():
    assert cache_key(" https://a.example/p?q=1#section ") == "https://a.example/p?q=1"


def test_threads_share_one_cache():
    cache = PageCache(max_entries=50)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                url = f"https://site{(n + i) % 80}.example/"
                if cache.get(url) is None:
                    cache.put(page(url), url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) == 50
