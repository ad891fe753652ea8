"""How well the verification step does on labelled claims: AVeriTeC's JSON and
Factcheck-GPT's JSONL, their labels mapped onto ours, scored by accuracy, macro-F1 and a
confusion matrix, with the tool calls each claim took."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.factcheck.claims import Claim
from ii_desktop.factcheck.verify import VERDICTS

# their labels, lower case, to ours
LABELS = {
    "supported": "supported",
    "true": "supported",
    "refuted": "refuted",
    "false": "refuted",
    "conflicting evidence/cherrypicking": "mixed",
    "conflicting evidence": "mixed",
    "cherrypicking": "mixed",
    "mixed": "mixed",
    "not enough evidence": "not_enough_evidence",
    "not_enough_evidence": "not_enough_evidence",
}
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class LabelledClaim:
    claim: str
    label: str  # ours


def _label(value: object, where: str) -> str:
    label = LABELS.get(str(value or "").strip().lower())
    if label is None:
        raise UsageError(f"{where}: the label {value!r} is not one this evaluation knows.")
    return label


def load_claims(path: Path) -> list[LabelledClaim]:
    """AVeriTeC (a JSON list of ``{claim, label, ...}``) or Factcheck-GPT (JSONL of
    ``{claim, label, ...}``), told apart by their first character."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{path} is larger than an evaluation file can be (64 MiB).")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}.") from None
    rows: list[tuple[str, Any]] = []
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path} is not valid JSON: {exc}.") from None
        rows = [(f"{path.name} item {i + 1}", item) for i, item in enumerate(data)]
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((f"{path.name} line {n}", json.loads(line)))
            except ValueError:
                raise UsageError(f"{path.name} line {n} is not valid JSON.") from None
    claims = []
    for where, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("claim"), str):
            raise UsageError(f"{where} has no claim.")
        claims.append(
            LabelledClaim(" ".join(row["claim"].split()), _label(row.get("label"), where))
        )
    if not claims:
        raise UsageError(f"{path} holds no claims.")
    return claims


def as_claims(labelled: list[LabelledClaim]) -> list[Claim]:
    """Claims for a check with no page: the claim is its own quote."""
    return [Claim(item.claim, item.claim, (0, 0)) for item in labelled]


def scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the labels that occur in either list, and the confusion
    matrix ``{gold: {predicted: count}}``."""
    n = len(gold)
    matrix = {g: {p: 0 for p in VERDICTS} for g in VERDICTS}
    for g, p in zip(gold, predicted, strict=True):
        matrix[g][p] += 1
    labels = [v for v in VERDICTS if v in gold or v in predicted]
    f1s = []
    for label in labels:
        tp = matrix[label][label]
        fp = sum(matrix[g][label] for g in VERDICTS) - tp
        fn = sum(matrix[label].values()) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    correct = sum(matrix[v][v] for v in VERDICTS)
    return {
        "n": n,
        "correct": correct,
        "accuracy": correct / n if n else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "confusion": matrix,
    }


def evaluation_summary(
    labelled: list[LabelledClaim], results: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    done = sorted(results)
    gold = [labelled[i].label for i in done]
    predicted = [str(results[i]["verdict"]) for i in done]
    found = scores(gold, predicted)
    count = len(done) or 1
    searches = sum(int(results[i].get("searches", 0)) for i in done)
    visits = sum(int(results[i].get("visits", 0)) for i in done)
    return {
        "type": "eval_summary",
        "task": "factcheck",
        **found,
        "avg_search": searches / count,
        "avg_visit": visits / count,
        "avg_tools": (searches + visits) / count,
    }


def confusion_table(matrix: dict[str, dict[str, int]], name: Callable[[str], str]) -> str:
    """The confusion matrix as aligned text: gold labels down, predictions across."""
    width = max(len(name(v)) for v in VERDICTS) + 2
    head = "gold \\ verdict".ljust(width) + "".join(name(v).rjust(width) for v in VERDICTS)
    lines = [head]
    for g in VERDICTS:
        lines.append(
            name(g).ljust(width) + "".join(str(matrix[g][p]).rjust(width) for p in VERDICTS)
        )
    return "\n".join(lines)
