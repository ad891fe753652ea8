"""Score article extraction the way the public article-extraction benchmark does.

A set is a folder with ``html/<id>.html.gz`` and ``ground-truth.json`` mapping each id
to ``{"articleBody": ..., "url": ...}``. Each page's prediction is compared with its
ground truth as multisets of 4-word shingles (word tokens are runs of ``\\w``);
precision and recall are averaged over pages and F1 is computed from the two averages.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError

SHINGLE = 4
_TOKEN = re.compile(r"\w+")

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True)
class BenchPage:
    id: str
    html: bytes
    truth: str
    url: str


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


def load_set(folder: Path) -> list[BenchPage]:
    truth_file = folder / "ground-truth.json"
    try:
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read {truth_file}: {exc}") from None
    if not isinstance(truth, dict):
        raise UsageError(f"{truth_file} must map page ids to {{articleBody, url}}.")
    pages = []
    for page_id in sorted(truth):
        entry = truth[page_id]
        path = folder / "html" / f"{page_id}.html.gz"
        try:
            html = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise UsageError(f"Cannot read {path}: {exc}") from None
        pages.append(
            BenchPage(page_id, html, str(entry.get("articleBody") or ""), str(entry.get("url", "")))
        )
    if not pages:
        raise UsageError(f"{truth_file} lists no pages.")
    return pages


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(prediction: str, truth: str) -> tuple[float, float]:
    """Precision and recall of one page's prediction."""
    pred, true = shingles(prediction), shingles(truth)
    hits = sum((pred & true).values())
    n_pred, n_true = sum(pred.values()), sum(true.values())
    if n_pred == 0 and n_true == 0:
        return 1.0, 1.0
    precision = hits / n_pred if n_pred else 0.0
    recall = hits / n_true if n_true else 1.0
    return precision, recall


def score(pages: Iterable[BenchPage], extract: Extractor) -> tuple[Score, dict[str, str]]:
    """Run one extractor over the set: the averaged scores and each page's prediction."""
    predictions: dict[str, str] = {}
    precisions, recalls = [], []
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        try:
            text = extract(page.html, page.url)
        except Exception:  # a crash on one page scores it as empty, like a miss
            text = ""
        elapsed += time.perf_counter() - start
        predictions[page.id] = text
        p, r = page_scores(text, page.truth)
        precisions.append(p)
        recalls.append(r)
    n = len(precisions)
    precision = sum(precisions) / n if n else 0.0
    recall = sum(recalls) / n if n else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    speed = n / elapsed if elapsed > 0 else 0.0
    return Score(precision, recall, f1, speed, n), predictions


def extract_ours(html: bytes, url: str) -> str:
    from ii_desktop.tools.reader import read_html

    return read_html(html, url=url).text


def extract_readability(html: bytes, url: str) -> str:
    import lxml.html
    from readability import Document

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


def extract_trafilatura(html: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url or None) or ""


def available_extractors() -> dict[str, Extractor]:
    found: dict[str, Extractor] = {
        "ii_desktop": extract_ours,
        "readability": extract_readability,
    }
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        pass
    else:
        found["trafilatura"] = extract_trafilatura
    return found


def run_bench(folder: Path) -> tuple[dict[str, Score], dict[str, str]]:
    """Score every available extractor; also return our own predictions."""
    pages = load_set(folder)
    results: dict[str, Score] = {}
    ours: dict[str, str] = {}
    for name, extract in available_extractors().items():
        extract(pages[0].html, pages[0].url)  # warm imports and caches outside the timing
        results[name], predictions = score(pages, extract)
        if name == "ii_desktop":
            ours = predictions
    return results, ours
