"""Question-answering benchmarks (SimpleQA, FRAMES, Seal-0) on the app's own run layer.

Each question is a short-answer research run (the model card's ``\\boxed{}`` instruction),
recorded in a notebook like any other run; its grade, tool counts, time and tokens are
appended to ``evals/RUN_ID.jsonl`` in the data folder as it lands, so an interrupted
evaluation resumes where it stopped. Grading is ``exact`` (the boxed answer against the
gold answer after normalisation) or ``model`` (the engine grades with our own prompt:
CORRECT, INCORRECT or NOT_ATTEMPTED).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ii_desktop.agent.events import RunFinished, Stats
from ii_desktop.agent.run import RunOptions
from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import AppPaths
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.research.session import RunRequest

if TYPE_CHECKING:
    from ii_desktop.research.session import ResearchSession

TASKS = ("simpleqa", "frames", "seal0")
TASK_NAMES = {"simpleqa": "SimpleQA", "frames": "FRAMES", "seal0": "Seal-0"}
GRADES = ("CORRECT", "INCORRECT", "NOT_ATTEMPTED")
MAX_FILE_BYTES = 256 * 1024 * 1024

# ours: how the engine grades an answer
GRADER_PROMPT = (
    "You grade answers to factual questions. Compare the predicted answer with the gold "
    "answer. CORRECT: it gives the gold answer's meaning (other wording, extra detail or a "
    "more precise value that agrees is fine) and contradicts nothing in it. INCORRECT: it "
    "gives a different answer or contradicts the gold answer. NOT_ATTEMPTED: it gives no "
    "answer, only says it does not know, or hedges between several answers.\n\n"
    "Question: {question}\nGold answer: {gold}\nPredicted answer: {predicted}\n\n"
    "Reply with exactly one word: CORRECT, INCORRECT or NOT_ATTEMPTED."
)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answer: str


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{path} is larger than an evaluation file can be (256 MiB).")
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}.") from None


def _csv_rows(path: Path, pairs: list[tuple[str, str]]) -> list[Question]:
    csv.field_size_limit(16 * 1024 * 1024)
    reader = csv.DictReader(io.StringIO(_read(path)))
    names = reader.fieldnames or []
    for q_col, a_col in pairs:
        if q_col in names and a_col in names:
            break
    else:
        wanted = " or ".join(f"{q},{a}" for q, a in pairs)
        raise UsageError(f"{path} needs the columns {wanted}; it has {','.join(names)}.")
    out = []
    for n, row in enumerate(reader, 1):
        question, answer = (row.get(q_col) or "").strip(), (row.get(a_col) or "").strip()
        if question and answer:
            out.append(Question(str(n), question, answer))
    return out


def load_questions(task: str, path: Path) -> list[Question]:
    """The questions of a benchmark file, numbered from 1 in file order."""
    if task == "simpleqa":
        found = _csv_rows(path, [("problem", "answer"), ("question", "true_answer")])
    elif task == "frames":
        found = _csv_rows(path, [("Prompt", "Answer"), ("question", "true_answer")])
    elif task == "seal0":
        found = []
        for n, line in enumerate(_read(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise UsageError(f"{path.name} line {n} is not valid JSON.") from None
            if not isinstance(row, dict) or not row.get("question") or not row.get("answer"):
                raise UsageError(f"{path.name} line {n} needs a question and an answer.")
            found.append(Question(str(n), str(row["question"]), str(row["answer"])))
    else:
        raise UsageError(f"Unknown benchmark {task}; one of {', '.join(TASKS)}.")
    if not found:
        raise UsageError(f"{path} holds no questions.")
    return found


def choose(
    questions: list[Question],
    offset: int = 0,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[Question]:
    """``--offset``/``--limit`` in file order, or a ``--sample`` drawn with ``--seed``."""
    chosen = questions[offset:]
    if sample is not None:
        chosen = random.Random(seed).sample(chosen, min(sample, len(chosen)))
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


# --- grading --------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for m in names
}
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{3,4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{3,4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_NOT_ATTEMPTED = re.compile(
    r"\b(i don'?t know|i do not know|unknown|cannot (?:be )?determine|could not (?:find|determine)|"
    r"not (?:enough|sufficient) information|no (?:answer|information))\b"
)


def _dates(text: str) -> str:
    def iso(day: str, month: str, year: str) -> str | None:
        m = _MONTHS.get(month)
        return f"{int(year):04d}-{m:02d}-{int(day):02d}" if m and 1 <= int(day) <= 31 else None

    text = _DAY_MONTH_YEAR.sub(lambda g: iso(g[1], g[2], g[3]) or g[0], text)
    text = _MONTH_DAY_YEAR.sub(lambda g: iso(g[2], g[1], g[3]) or g[0], text)
    return _ISO.sub(lambda g: f"{int(g[1]):04d}-{int(g[2]):02d}-{int(g[3]):02d}", text)


def _numbers(text: str) -> str:
    def plain(g: re.Match[str]) -> str:
        whole = g[1].replace(",", "")
        fraction = (g[2] or "").rstrip("0")
        return f"{int(whole)}.{fraction}" if fraction else str(int(whole))

    return _NUMBER.sub(plain, text)


# A unit after a number, written out or short, US or British spelling: one form.
_UNITS = {
    "km": ("kilometres", "kilometers", "kilometre", "kilometer", "kms", "km"),
    "m": ("metres", "meters", "metre", "meter", "m"),
    "cm": ("centimetres", "centimeters", "centimetre", "centimeter", "cm"),
    "mm": ("millimetres", "millimeters", "millimetre", "millimeter", "mm"),
    "mi": ("miles", "mile", "mi"),
    "ft": ("feet", "foot", "ft"),
    "kg": ("kilograms", "kilogrammes", "kilogram", "kilogramme", "kgs", "kg"),
    "g": ("grams", "grammes", "gram", "gramme", "g"),
    "l": ("litres", "liters", "litre", "liter", "l"),
    "km2": ("square kilometres", "square kilometers", "sq km", "km2", "km²"),
    "percent": ("per cent", "percent", "%"),
    "c": ("degrees celsius", "degrees c", "°c"),
}
_UNIT_FORMS = {form: short for short, forms in _UNITS.items() for form in forms}
_UNIT = re.compile(
    r"(\d)\s*("
    + "|".join(re.escape(f) for f in sorted(_UNIT_FORMS, key=len, reverse=True))
    + r")(?![\w²])"
)


def _units(text: str) -> str:
    return _UNIT.sub(lambda g: f"{g[1]} {_UNIT_FORMS[g[2]]}", text)


def normalize(text: str) -> str:
    """An answer for comparison: case, accents, dates, number formats, units after a
    number, punctuation and articles made the same."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("\\boxed", " ").replace("$", " ")
    text = _dates(text)
    text = _numbers(text)
    text = _units(text)
    text = re.sub(r"(?<!\d)[.](?!\d)|[^\w\s.\-]", " ", text)
    text = text.replace("-", " ")
    words = [w for w in text.split() if w not in ("a", "an", "the")]
    return " ".join(words)


def exact_grade(predicted: str | None, gold: str) -> str:
    """CORRECT when the normalised answer is the gold answer, or holds it as whole words
    ("Paris, France" for "Paris"); NOT_ATTEMPTED for no answer or "I don't know"."""
    if not predicted or not predicted.strip():
        return "NOT_ATTEMPTED"
    said, want = normalize(predicted), normalize(gold)
    if not said:
        return "NOT_ATTEMPTED"
    if said == want or (want and re.search(rf"(?<!\S){re.escape(want)}(?!\S)", said)):
        return "CORRECT"
    if _NOT_ATTEMPTED.search(predicted.casefold()):
        return "NOT_ATTEMPTED"
    return "INCORRECT"


def model_grade(session: ResearchSession, question: Question, predicted: str | None) -> str:
    """The engine's grade (our prompt, no tools, greedy); exact grading when the engine's
    reply names no grade."""
    if not predicted or not predicted.strip():
        return "NOT_ATTEMPTED"
    prompt = GRADER_PROMPT.format(
        question=question.question, gold=question.answer, predicted=predicted.strip()
    )
    request = GenerationRequest(
        f"eval-grade-{question.id}",
        [{"role": "user", "content": prompt}],
        sampling=Sampling.greedy(),
        max_tokens=512,
        enable_thinking=False,
        prewarm_history=False,
    )
    done = session.engine.generate(request).wait()
    reply = done.raw_text.rsplit("</think>", 1)[-1].upper() if done.raw_text else ""
    for grade in ("NOT_ATTEMPTED", "INCORRECT", "CORRECT"):  # "INCORRECT" holds "CORRECT"
        if grade in reply.replace(" ", "_"):
            return grade
    return exact_grade(predicted, question.answer)


# --- a run ----------------------------------------------------------------------------


def evals_dir(paths: AppPaths) -> Path:
    return paths.data_dir / "evals"


@dataclass
class EvalRun:
    """One evaluation: its id, task, file, judge and results so far (by question id)."""

    run_id: str
    task: str
    file: str
    judge: str
    notebook_id: str | None
    results: dict[str, dict[str, Any]]

    def meta(self) -> dict[str, Any]:
        return {
            "type": "eval_run",
            "run_id": self.run_id,
            "task": self.task,
            "file": self.file,
            "judge": self.judge,
            "notebook_id": self.notebook_id,
        }


def _path(paths: AppPaths, run_id: str) -> Path:
    if not run_id.isalnum():
        raise UsageError(f"No evaluation run with the id {run_id!r}.")
    return evals_dir(paths) / f"{run_id}.jsonl"


def new_run(paths: AppPaths, task: str, file: Path, judge: str) -> EvalRun:
    from ii_desktop.notebooks import NotebookStore
    from ii_desktop.notebooks.store import new_id

    notebook_id = None
    try:
        with NotebookStore.open(paths.ensure()) as store:
            notebook = store.create(f"Evaluation: {TASK_NAMES[task]} ({file.name})", distinct=True)
            store.tag(notebook.id, ["evaluation"])
            notebook_id = notebook.id
    except Exception:  # the evaluation runs unsaved in notebooks; its file still keeps it
        notebook_id = None
    run = EvalRun(new_id(), task, str(file), judge, notebook_id, {})
    folder = evals_dir(paths)
    folder.mkdir(parents=True, exist_ok=True)
    with _path(paths, run.run_id).open("x", encoding="utf-8") as out:
        out.write(json.dumps(run.meta(), ensure_ascii=False) + "\n")
    return run


def load_run(paths: AppPaths, run_id: str) -> EvalRun:
    """A run from its file; a last line cut off by a crash is ignored."""
    path = _path(paths, run_id)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UsageError(f"No evaluation run with the id {run_id}.") from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    if not rows or rows[0].get("type") != "eval_run":
        raise UsageError(f"{path} is not an evaluation run.")
    meta = rows[0]
    results = {str(r["id"]): r for r in rows[1:] if r.get("type") == "eval_question"}
    return EvalRun(
        str(meta["run_id"]),
        str(meta["task"]),
        str(meta["file"]),
        str(meta.get("judge") or "exact"),
        meta.get("notebook_id"),
        results,
    )


def summary(run: EvalRun, errors_too: bool = True) -> dict[str, Any]:
    rows = list(run.results.values())
    n = len(rows)
    count = n or 1

    def mean(key: str) -> float:
        return sum(float(r.get(key) or 0) for r in rows) / count

    correct = sum(r["grade"] == "CORRECT" for r in rows)
    return {
        "type": "eval_summary",
        "run_id": run.run_id,
        "task": run.task,
        "n": n,
        "correct": correct,
        "accuracy": correct / count if n else 0.0,
        "not_attempted": sum(r["grade"] == "NOT_ATTEMPTED" for r in rows) / count if n else 0.0,
        "avg_search": mean("searches"),
        "avg_visit": mean("visits"),
        "avg_tools": mean("tools"),
        "avg_seconds": mean("seconds"),
        "avg_tokens": mean("tokens"),
        "errors": sum(1 for r in rows if r.get("error")),
    }


class Evaluation:
    """Runs the questions not yet in ``run`` (``run()`` blocks; ``cancel()`` from any
    thread keeps every result that landed)."""

    def __init__(
        self,
        session: ResearchSession,
        run: EvalRun,
        questions: list[Question],
        concurrency: int = 1,
        max_rounds: int = 50,
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise UsageError("--concurrency must be at least 1.")
        self.session = session
        self.run_state = run
        self.questions = questions
        self.concurrency = concurrency
        self.max_rounds = max_rounds
        self._on_result = on_result or (lambda row: None)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._active: list[Any] = []

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            active = list(self._active)
        for run in active:
            run.cancel()

    def run(self) -> dict[str, Any]:
        todo = [q for q in self.questions if q.id not in self.run_state.results]
        if self.concurrency == 1:
            for i, question in enumerate(todo):
                if self.cancelled:
                    break
                self._one(question, i)
        else:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="eval") as pool:
                list(pool.map(self._one, todo, range(len(todo))))
        return summary(self.run_state)

    def _one(self, question: Question, lane: int) -> None:
        if self.cancelled:
            return
        tokens = [0]

        def on_event(event: Any) -> None:
            if isinstance(event, Stats):
                tokens[0] = event.total_generated_tokens

        started = time.monotonic()
        request = RunRequest(
            question.question,
            RunOptions(mode="short", max_rounds=self.max_rounds),
            notebook_id=self.run_state.notebook_id,
            independent=True,
            conversation_id=f"eval-{self.run_state.run_id}-{lane % self.concurrency}",
        )
        active = self.session.start(request, on_event)
        with self._lock:
            self._active.append(active)
        try:
            finished: RunFinished | None = active.wait()
        finally:
            with self._lock:
                self._active.remove(active)
        if finished is None or finished.reason == "cancelled" or self.cancelled:
            return  # not kept: a resumed evaluation asks again
        answer = finished.boxed if finished.boxed is not None else None
        error = finished.error if finished.reason == "error" else None
        if error:
            grade = "NOT_ATTEMPTED"
        elif self.run_state.judge == "model":
            grade = model_grade(self.session, question, answer)
        else:
            grade = exact_grade(answer, question.answer)
        row = {
            "type": "eval_question",
            "id": question.id,
            "question": question.question,
            "gold": question.answer,
            "answer": answer,
            "grade": grade,
            "searches": finished.searches,
            "visits": finished.visits,
            "tools": finished.searches + finished.visits,
            "seconds": round(time.monotonic() - started, 3),
            "tokens": tokens[0],
            "error": error,
            "notebook_run": active.run_id,
        }
        with self._lock:
            self.run_state.results[question.id] = row
            with _path(self.session.paths, self.run_state.run_id).open(
                "a", encoding="utf-8"
            ) as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
        self._on_result(row)


def report(runs: list[EvalRun]) -> str:
    """Runs side by side in Markdown, in the layout of the model card's benchmark and
    tool-usage tables."""
    heads = [f"{TASK_NAMES.get(r.task, r.task)} `{r.run_id}`" for r in runs]
    sums = [summary(r) for r in runs]

    def row(name: str, cells: list[str]) -> str:
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = [
        row("", heads),
        "|---|" + "---|" * len(runs),
        row("Accuracy (%)", [f"{s['accuracy'] * 100:.1f}" for s in sums]),
        row("Not attempted (%)", [f"{s['not_attempted'] * 100:.1f}" for s in sums]),
        row("Questions", [str(s["n"]) for s in sums]),
        row("Judge", [r.judge for r in runs]),
        "",
        row("Tool use per question", heads),
        "|---|" + "---|" * len(runs),
        row("Search", [f"{s['avg_search']:.1f}" for s in sums]),
        row("Visit", [f"{s['avg_visit']:.1f}" for s in sums]),
        row("Total", [f"{s['avg_tools']:.1f}" for s in sums]),
        row("Seconds", [f"{s['avg_seconds']:.1f}" for s in sums]),
        row("Tokens", [f"{s['avg_tokens']:.0f}" for s in sums]),
        row("Errors", [str(s["errors"]) for s in sums]),
    ]
    return "\n".join(lines)
