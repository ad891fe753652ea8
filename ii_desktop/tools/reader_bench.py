"""Score article extraction on public labelled pages, the way their own benchmarks do.

Two layouts of a set folder are read:

- full text: ``html/<id>.html.gz`` and ``ground-truth.json`` mapping each id to
  ``{"articleBody": ..., "url": ...}`` (the public article-extraction benchmark's layout).
  Each page's prediction and ground truth are compared as multisets of 4-word shingles
  (word tokens are runs of ``\\w``); the page's true positives, false positives and false
  negatives are normalised to sum to 1, precision is averaged over the pages with any
  output, recall over the pages with any ground truth, and F1 is taken from the averages.
- snippets: ``html/<id>.html.gz`` and ``snippets.json`` mapping each id to
  ``{"url": ..., "with": [str], "without": [str]}`` (trafilatura's evaluation set). A
  "with" snippet found in the output is a true positive, one not found a false negative;
  a "without" snippet found is a false positive. Counts are pooled over all snippets of the
  set, then precision, recall and F1. Whitespace is collapsed on both sides first, so a
  snippet across a line break still matches.

Every page is decoded once with the app's own charset code (``reader_charset``) and all
extractors get the same text. Pages are split for tuning by a hash of their id: about 70%
"tune", 30% "held-out", the same split on every run and machine.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError

SHINGLE = 4
TRUTH_FILE = "ground-truth.json"
SNIPPET_FILE = "snippets.json"
PARTS = ("tune", "held-out", "all")
HELD_OUT_PERCENT = 30
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

Extractor = Callable[[str, str], str]  # (decoded page, url) -> text


@dataclass(frozen=True)
class BenchPage:
    id: str
    html: bytes
    truth: str = ""  # full-text sets
    url: str = ""
    wanted: tuple[str, ...] = ()  # snippet sets: "with"
    unwanted: tuple[str, ...] = ()  # snippet sets: "without"

    @property
    def part(self) -> str:
        return split_part(self.id)


@dataclass(frozen=True)
class BenchSet:
    name: str
    kind: str  # "full-text" or "snippets"
    pages: tuple[BenchPage, ...]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    pages_per_s: float
    pages: int

    def as_dict(self) -> dict[str, float]:
        return {
            "f1": round(self.f1, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "pages_per_s": round(self.pages_per_s, 1),
        }


@dataclass
class SetResult:
    name: str
    kind: str
    parts: dict[str, dict[str, Score]] = field(default_factory=dict)  # part -> extractor -> score
    predictions: dict[str, str] = field(default_factory=dict)  # our text per page id


def split_part(page_id: str) -> str:
    """``"held-out"`` for about 30% of page ids, ``"tune"`` for the rest; fixed by the id."""
    digest = hashlib.sha1(page_id.encode("utf-8")).digest()
    return "held-out" if int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT else "tune"


# --- loading -------------------------------------------------------------------------------


def is_set_folder(folder: Path) -> bool:
    return (folder / TRUTH_FILE).is_file() or (folder / SNIPPET_FILE).is_file()


def find_sets(folder: Path) -> list[Path]:
    """``folder`` itself when it is a set, else each subfolder that is one, by name."""
    if is_set_folder(folder):
        return [folder]
    try:
        found = sorted(p for p in folder.iterdir() if p.is_dir() and is_set_folder(p))
    except OSError as exc:
        raise UsageError(f"Cannot read {folder}: {exc.strerror or exc}") from None
    if not found:
        raise UsageError(
            f"{folder} holds no set: a set folder has html/ and {TRUTH_FILE} or {SNIPPET_FILE}."
        )
    return found


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} must map page ids to their labels.")
    return data


def _read_page(folder: Path, page_id: str) -> bytes:
    path = folder / "html" / f"{page_id}.html.gz"
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise UsageError(f"Cannot read {path}: {exc}") from None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _url(value: Any) -> str:
    # some snippet entries are keyed by a label ("hard::file.html"), not a URL
    url = str(value or "")
    return url if url.startswith(("http://", "https://")) else ""


def load_set(
    folder: Path, split: str = "all", limit: int | None = None, name: str | None = None
) -> BenchSet:
    """The pages of one set folder, in id order; ``split`` and ``limit`` choose which."""
    snippets = not (folder / TRUTH_FILE).is_file() and (folder / SNIPPET_FILE).is_file()
    labels = _read_json(folder / (SNIPPET_FILE if snippets else TRUTH_FILE))
    ids = [i for i in sorted(labels) if split == "all" or split_part(i) == split]
    if limit is not None:
        ids = ids[:limit]
    pages = []
    for page_id in ids:
        entry = labels[page_id]
        if not isinstance(entry, dict):
            raise UsageError(f"The entry for {page_id} in {folder} is not an object.")
        html = _read_page(folder, page_id)
        if snippets:
            page = BenchPage(
                page_id,
                html,
                url=_url(entry.get("url")),
                wanted=_strings(entry.get("with")),
                unwanted=_strings(entry.get("without")),
            )
        else:
            page = BenchPage(
                page_id, html, str(entry.get("articleBody") or ""), _url(entry.get("url"))
            )
        pages.append(page)
    if not labels:
        raise UsageError(f"{folder} lists no pages.")
    kind = "snippets" if snippets else "full-text"
    return BenchSet(name or folder.name, kind, tuple(pages))


# --- scoring -------------------------------------------------------------------------------


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_counts(prediction: str, truth: str) -> tuple[float, float, float]:
    """One page's shingle TP, FP and FN, normalised to sum to 1 (all 0 when both are empty)."""
    pred, true = shingles(prediction), shingles(truth)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def page_scores(prediction: str, truth: str) -> tuple[float, float]:
    """Precision and recall of one page's prediction."""
    counts = page_counts(prediction, truth)
    return _precision(*counts), _recall(*counts)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def full_text_score(counts: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall and F1 over pages: precision averaged over the pages with output,
    recall over the pages with ground truth (an empty ground truth adds nothing to it)."""
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    return precision, recall, _f1(precision, recall)


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def snippet_counts(prediction: str, page: BenchPage) -> tuple[int, int, int]:
    """TP, FP and FN of one page's snippets in the prediction."""
    text = _squash(prediction)
    found = [_squash(s) in text for s in page.wanted]
    tp = sum(found)
    fp = sum(_squash(s) in text for s in page.unwanted)
    return tp, fp, len(found) - tp


def snippet_score(counts: Iterable[tuple[int, int, int]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of snippet counts pooled over pages."""
    tp = fp = fn = 0
    for a, b, c in counts:
        tp, fp, fn = tp + a, fp + b, fn + c
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, _f1(precision, recall)


@dataclass(frozen=True)
class _PageRun:
    page: BenchPage
    text: str
    seconds: float


def _run(pages: Iterable[tuple[BenchPage, str]], extract: Extractor) -> list[_PageRun]:
    runs = []
    for page, html in pages:
        start = time.perf_counter()
        try:
            text = extract(html, page.url)
        except Exception:  # a crash on one page scores it as empty, like a miss
            text = ""
        runs.append(_PageRun(page, text, time.perf_counter() - start))
    return runs


def _summarise(runs: Sequence[_PageRun], kind: str) -> Score:
    if kind == "snippets":
        precision, recall, f1 = snippet_score(snippet_counts(r.text, r.page) for r in runs)
    else:
        precision, recall, f1 = full_text_score([page_counts(r.text, r.page.truth) for r in runs])
    elapsed = sum(r.seconds for r in runs)
    speed = len(runs) / elapsed if elapsed > 0 else 0.0
    return Score(precision, recall, f1, speed, len(runs))


def decode(html: bytes) -> str:
    from ii_desktop.tools.reader_charset import decode_body

    return decode_body(html)


def score(
    pages: Iterable[BenchPage], extract: Extractor, kind: str = "full-text"
) -> tuple[Score, dict[str, str]]:
    """Run one extractor over pages: the scores and each page's prediction."""
    runs = _run(((p, decode(p.html)) for p in pages), extract)
    return _summarise(runs, kind), {r.page.id: r.text for r in runs}


# --- the extractors ------------------------------------------------------------------------


def extract_ours(html: str, url: str) -> str:
    from ii_desktop.tools.reader import read_html

    return read_html(html, url=url).text


def extract_readability(html: str, url: str) -> str:
    import lxml.html
    from readability import Document

    # readability logs each page it cannot read with a traceback; the bench scores it
    logging.getLogger("readability").setLevel(logging.CRITICAL)

    summary = Document(html, url=url or None).summary(html_partial=True)
    root = lxml.html.fragment_fromstring(summary, create_parent="div")
    return _block_text(root)


def _block_text(root: Any) -> str:
    # one line per block element, so shingles do not run across paragraphs
    blocks = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "br"}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in blocks:
            el.tail = "\n" + (el.tail or "")
    return "\n".join(" ".join(line.split()) for line in root.text_content().splitlines()).strip()


def extract_trafilatura(html: str, url: str) -> str:
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # one line per empty page

    return trafilatura.extract(html, url=url or None) or ""


OURS = "ii_desktop"


def available_extractors(only: Iterable[str] | None = None) -> dict[str, Extractor]:
    found: dict[str, Extractor] = {OURS: extract_ours, "readability": extract_readability}
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        pass
    else:
        found["trafilatura"] = extract_trafilatura
    if only is not None:
        wanted = set(only)
        found = {k: v for k, v in found.items() if k in wanted}
    return found


def bench_set(bench: BenchSet, split: str = "all", only: Iterable[str] | None = None) -> SetResult:
    """Score every available extractor on one loaded set, per part of the split."""
    result = SetResult(bench.name, bench.kind)
    parts = PARTS if split == "all" else (split,)
    decoded = [(p, decode(p.html)) for p in bench.pages]
    for name, extract in available_extractors(only).items():
        if decoded:
            extract(decoded[0][1], decoded[0][0].url)  # warm imports and caches outside timing
        runs = _run(decoded, extract)
        for part in parts:
            chosen = [r for r in runs if part == "all" or r.page.part == part]
            if not chosen:
                continue  # a --limit run may hold no page of a part
            result.parts.setdefault(part, {})[name] = _summarise(chosen, bench.kind)
        if name == OURS:
            result.predictions = {r.page.id: r.text for r in runs}
    return result


def run_sets(
    folder: Path,
    split: str = "all",
    limit: int | None = None,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SetResult]:
    """Score every set found under ``folder`` (see ``find_sets``)."""
    results = []
    for path in find_sets(folder):
        if progress:
            progress(path.name)
        results.append(bench_set(load_set(path, split, limit), split, only))
    return results


def run_bench(folder: Path) -> tuple[dict[str, Score], dict[str, str]]:
    """One set, all pages: each extractor's score and our own predictions."""
    result = bench_set(load_set(folder))
    return result.parts["all"], result.predictions
