"""A notebook as a document: Markdown, or self-contained HTML (also the source of the PDF).

Each run shows its question, the answer with numbered citations, the sources it read or
cited, then its reasoning and tool activity folded away in ``<details>``. Neither format
lets a notebook's text become markup: the Markdown escapes raw HTML everywhere (answers
included) and links only to http(s); the HTML loads nothing from anywhere (a CSP forbids
it), escapes every piece of text, and carries its own style. The printable variant, laid
out by Qt for the PDF, drops ``<details>`` (which Qt does not know), cuts each text to
what a page can hold, and ``printable_html`` refuses a notebook too long to lay out in
bounded time and memory.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ii_desktop.agent.answers import BOXED, cited_urls, extract_boxed
from ii_desktop.core.text import plural
from ii_desktop.notebooks.errors import NotebookError
from ii_desktop.notebooks.markup import (
    BLOCK_CHARS,
    LIST_ITEMS,
    Cite,
    fenced,
    html_link,
    is_web_url,
    markdown_to_html,
    markdown_url,
    pieces,
    safe_markdown,
)
from ii_desktop.notebooks.records import Notebook, RunRecord
from ii_desktop.notebooks.runlog import SourceInfo
from ii_desktop.research.citations import Numbered, SourceNumbers, number_citations

# Qt lays out about a million characters of text a second, in about 70 bytes of memory
# each; a list item or table cell costs about as much as ITEM_CHARS characters of text.
PDF_LAYOUT_MAX = 10_000_000
PDF_RUNS_MAX = 5_000
ITEM_CHARS = 200
# one answer or one run's reasoning in a PDF; and a question, title, URL or tool target
PDF_TEXT_CHARS = 200_000
PDF_FIELD_CHARS = 2_000

STATUS_WORDS = {
    "running": "still running",
    "answered": "answered",
    "cancelled": "cancelled",
    "error": "failed",
    "budget": "stopped at its research budget",
    "interrupted": "interrupted (the app stopped during this run)",
}


@dataclass(frozen=True)
class CitedSources:
    """The sources worth listing for a run, and how its answer's URLs map to them."""

    listed: list[tuple[SourceInfo, bool]]  # (source, cited)
    unlisted_results: int  # search results neither read nor cited
    unknown_citations: list[str]  # cited URLs the run never came across
    numbers: SourceNumbers

    @property
    def cite(self) -> Cite:
        return self.numbers.number


def run_numbers(run: RunRecord) -> SourceNumbers:
    """The run's numbered sources, as ``number_citations`` takes them."""
    sources = [Numbered(s.n, s.url, s.title) for s in run.log.source_list()]
    return SourceNumbers(sources, run.log.citation_numbers())


def cited_sources(run: RunRecord) -> CitedSources:
    log = run.log
    numbers = run_numbers(run)
    cited = {n for url in cited_urls(run.answer) if (n := numbers.number(url))}
    listed = [(s, s.n in cited) for s in log.source_list() if s.kind == "page" or s.n in cited]
    unknown = [url for url in cited_urls(run.answer) if numbers.number(url) is None]
    return CitedSources(listed, len(log.sources) - len(listed), unknown, numbers)


def short_answer(answer: str) -> tuple[str, str | None]:
    """The answer with its last ``\\boxed{...}`` (and the ``$`` or ``\\(`` around it)
    replaced by ``**what it holds**``, and that content (``extract_boxed``), or None."""
    boxed = extract_boxed(answer)
    if not boxed:
        return answer, None
    start = answer.rfind(BOXED)
    while start >= 0 and extract_boxed(answer[start:]) != boxed:
        start = answer.rfind(BOXED, 0, start)
    end, depth = start + len(BOXED), 1
    while depth and end < len(answer):
        depth += {"{": 1, "}": -1}.get(answer[end], 0)
        end += 1
    for before, after in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        inner_start = answer[:start].rstrip()
        if inner_start.endswith(before) and answer[end:].lstrip().startswith(after):
            start = len(inner_start) - len(before)
            end = len(answer) - len(answer[end:].lstrip()) + len(after)
            break
    return f"{answer[:start]}**{boxed}**{answer[end:]}", boxed


def heading_levels(notebook: Notebook, runs: Sequence[RunRecord]) -> tuple[bool, int]:
    """Whether each run gets a heading of its own (a notebook of one run titled by its
    question does not), and the level of the headings inside a run."""
    own = not (len(runs) == 1 and _flat(runs[0].question) == _flat(notebook.title))
    return own, 3 if own else 2


def _flat(text: str) -> str:
    return " ".join(text.split())


def _h(value: object) -> str:
    """Any value as HTML text or attribute content: every quote and bracket escaped."""
    return escape(str(value), quote=True)


def _md_text(text: str) -> str:
    """Text for one Markdown line that can become neither raw HTML nor a link."""
    text = _flat(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    # "{" escaped too: some dialects read "{: onclick=...}" after a heading as attributes
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("{", "\\{")


def _md_code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    text = _flat(text)
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _kind_words(source: SourceInfo, cited: bool, check: dict[str, Any] | None = None) -> str:
    words = ["read" if source.kind == "page" else "search result"]
    if cited:
        words.append("cited")
    if cited and check and check.get("support") == "weak":
        words.append("may not support what cites it")
    return ", ".join(words)


def _passage(check: dict[str, Any] | None) -> str:
    """The passage of a cited page that best supports the answer ("" when none)."""
    return str(check.get("passage") or "") if check else ""


def _stamp(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


# --- Markdown ------------------------------------------------------------------------


def render_markdown(notebook: Notebook, runs: Sequence[RunRecord]) -> str:
    """Markdown of a notebook. The answers are Markdown already and keep their
    formatting, with raw HTML escaped and links kept only to http(s) (``safe_markdown``);
    every other text (titles, questions, tool targets, errors) is escaped whole, and the
    reasoning is fenced, so nothing a notebook holds can become raw HTML or a script link."""
    parts = [f"# {_md_text(notebook.title)}", ""]
    meta = [
        plural(len(runs), "run"),
        f"updated {_stamp(notebook.updated)}",
    ]
    if notebook.tags:
        meta.insert(0, "tags: " + ", ".join(_md_text(t) for t in notebook.tags))
    parts += ["_" + " · ".join(meta) + "_", ""]
    own, top = heading_levels(notebook, runs)
    for run in runs:
        parts += _run_markdown(run, own, top)
    return "\n".join(parts).rstrip() + "\n"


def _run_markdown(run: RunRecord, own: bool = True, top: int = 3) -> list[str]:
    sources = cited_sources(run)
    lines = [f"## {_md_text(run.question)}", ""] if own else []
    if run.status != "answered":
        lines += [f"**Status:** {_md_text(STATUS_WORDS.get(run.status, run.status))}", ""]
    if run.error:
        lines += [f"**Error:** {_md_text(run.error)}", ""]
    answer, boxed = short_answer(run.answer.strip())
    if boxed is not None:
        lines += [f"**Short answer:** {_md_text(boxed)}", ""]
    numbered = number_citations(answer, sources.numbers, "markdown")
    lines += [safe_markdown(numbered, top=top) or "_No answer._", ""]
    if sources.listed or sources.unknown_citations:
        lines += ["#" * top + " Sources", ""]
        checks = run.log.citation_checks()
        for source, cited in sources.listed:
            check = checks.get(source.n) if cited else None
            title = _md_text(source.title or source.url)
            if is_web_url(source.url):  # the address in view, as a link
                shown = f"{title} — [{_md_text(source.url)}]({markdown_url(source.url)})"
            else:  # not a web address: shown, never a link
                shown = (
                    title if title == _md_text(source.url) else f"{title} ({_md_text(source.url)})"
                )
            lines.append(f"- [{source.n}] {shown} ({_kind_words(source, cited, check)})")
            if _passage(check):
                lines.append(f"  “{_md_text(_passage(check))}”")
        for url in sources.unknown_citations:
            lines.append(f"- {_md_text(url)} — cited but never read (unverified)")
        if sources.unlisted_results:
            lines.append(f"- and {plural(sources.unlisted_results, 'other search result')}")
        lines.append("")
    reasoning = run.log.reasoning.strip()
    if reasoning:
        lines += ["<details>", "<summary>Reasoning</summary>", "", fenced(reasoning, "text")]
        lines += ["", "</details>", ""]
    tools = list(run.log.tools.values())
    if tools:
        lines += [
            "<details>",
            f"<summary>Tool activity ({plural(len(tools), 'call')})</summary>",
            "",
        ]
        for tool in tools:
            target = _flat(tool.target)
            if tool.name == "web_visit" and is_web_url(target):
                shown = f"<{markdown_url(target)}>"
            else:
                shown = f"“{_md_text(target)}”"
            lines.append(f"- {_md_code(tool.name)} {shown} — {_md_text(tool.summary())}")
        lines += ["", "</details>", ""]
    lines += ["---", ""]
    return lines


# --- HTML ----------------------------------------------------------------------------

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f;
  max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #d2d2d7; }
.meta, .status, .kind, .more { color: #6e6e73; font-size: 0.9em; }
.error { color: #b00020; }
.answer { margin: 0.8em 0; }
.cite { color: #0b57d0; }
a { color: #0b57d0; }
pre { white-space: pre-wrap; background: #f5f5f7; padding: 0.6em; font-size: 0.85em; }
code { font-family: Menlo, Consolas, monospace; font-size: 0.9em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d2d2d7; padding: 0.2em 0.5em; }
blockquote { border-left: 3px solid #d2d2d7; margin-left: 0; padding-left: 1em; color: #424245; }
.url { color: #6e6e73; font-size: 0.85em; word-break: break-all; }
details { margin: 0.5em 0; }
summary { cursor: pointer; color: #424245; }
.reasoning { color: #424245; }
"""
_SOURCES_LIST = '<ol class="sources" style="list-style-type: none"'
# for the PDF, laid out by Qt: fonts that exist on macOS first (CJK included), generic
# families last so that elsewhere it falls back cleanly; no shaded <pre> (Qt shades each
# line apart); Qt draws no border on a quote, so a quote is set in and in italics. Qt has
# no "keep with next" (page-break-after: avoid is ignored), so a heading can still end
# a page.
PRINT_STYLE = """
body { font-family: "Helvetica Neue", Helvetica, "PingFang SC", "Hiragino Sans",
  "Noto Sans CJK SC", Arial, sans-serif; margin: 0; padding: 0; }
h1, h2, h3, h4, h5, h6 { margin-left: 0; padding-left: 0; text-indent: 0; }
h1 { font-size: 1.7em; margin-top: 0; }
pre, code { font-family: Menlo, "SF Mono", "DejaVu Sans Mono", Consolas, "Courier New",
  monospace; }
pre { background: transparent; padding: 0; margin-left: 1em; }
table.quote { margin: 6px 0 6px 0; color: #424245; }
.reasoning { color: #424245; font-size: 0.9em; }
ol.sources { margin-left: 0; padding-left: 0; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"


class TooLongForPdf(NotebookError):
    """A notebook whose printable HTML Qt could not lay out in bounded time and memory."""


def too_long_for_pdf(why: str) -> TooLongForPdf:
    return TooLongForPdf(
        f"This notebook is too long for a PDF ({why}). "
        "Export it as HTML or Markdown instead: those have no such limit."
    )


def layout_cost(html: str) -> int:
    """What laying out ``html`` costs Qt, in characters of plain text."""
    items = html.count("<li") + html.count("<td") + html.count("<th>")
    return len(html) + ITEM_CHARS * items


def check_printable(html: str) -> None:
    """Raise TooLongForPdf when ``html`` is more than a PDF export lays out."""
    if layout_cost(html) > PDF_LAYOUT_MAX:
        raise too_long_for_pdf(_layout_words())


def _layout_words() -> str:
    return f"more than {PDF_LAYOUT_MAX // 1_000_000} million characters to lay out"


def _html_head(title: str, printable: bool = False) -> str:
    style = STYLE + PRINT_STYLE if printable else STYLE
    return (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="ii-desktop"><title>{title}</title>'
        f"<style>{style}</style>"
    )


def _html_start(notebook: Notebook, runs: int, printable: bool) -> list[str]:
    """The page up to its first run: head, title and the notebook's meta line."""
    title = _h(_flat(notebook.title))
    meta = [
        plural(runs, "run"),
        f"updated {_stamp(notebook.updated)}",
    ]
    if notebook.tags:
        meta.insert(0, "tags: " + ", ".join(notebook.tags))
    line = _cut(" · ".join(meta), PDF_FIELD_CHARS, printable)
    return [
        f'<!DOCTYPE html>\n<html lang="en"><head>{_html_head(title, printable)}</head>\n<body>',
        f"<h1>{title}</h1>",
        f'<p class="meta">{_h(line)}</p>',
    ]


_HTML_END = "</body></html>\n"


def render_html(notebook: Notebook, runs: Sequence[RunRecord], printable: bool = False) -> str:
    """Self-contained HTML: every interpolated value escaped, links only to http(s).

    ``printable`` is the variant Qt lays out for the PDF: nothing folded, and each text
    cut to what a page holds (PDF_TEXT_CHARS, PDF_FIELD_CHARS, BLOCK_CHARS a block)."""
    parts = _html_start(notebook, len(runs), printable)
    own, top = heading_levels(notebook, runs)
    parts += [_run_html(run, printable, own, top) for run in runs]
    return "\n".join(parts) + "\n" + _HTML_END


def printable_html(notebook: Notebook, runs: Sequence[RunRecord]) -> str:
    """The printable HTML of a notebook, or TooLongForPdf when Qt could not lay it out
    within PDF_LAYOUT_MAX: checked as it is built, so a refusal costs little."""
    if len(runs) > PDF_RUNS_MAX:
        raise too_long_for_pdf(f"{len(runs):,} runs; a PDF takes at most {PDF_RUNS_MAX:,}")
    parts = _html_start(notebook, len(runs), printable=True)
    cost = sum(layout_cost(p) for p in parts)
    own, top = heading_levels(notebook, runs)
    for run in runs:
        part = _run_html(run, True, own, top)
        cost += layout_cost(part)
        if cost > PDF_LAYOUT_MAX:
            raise too_long_for_pdf(_layout_words())
        parts.append(part)
    return "\n".join(parts) + "\n" + _HTML_END


def _cut(text: str, limit: int, printable: bool) -> str:
    """``text``, or for print its first ``limit`` characters and a word on what is left."""
    if not printable or len(text) <= limit:
        return text
    rest = len(text) - limit
    return f"{text[:limit]} … [{rest:,} more characters: see the HTML or Markdown export]"


def _field(text: str, printable: bool) -> str:
    """A one-line text (question, title, URL, tool target) as escaped HTML."""
    return _h(_cut(_flat(text), PDF_FIELD_CHARS, printable))


def _folded(summary: str, content: str, printable: bool, top: int = 3) -> str:
    """``summary`` is plain text; ``content`` is HTML already."""
    if printable:
        return f"<h{top}>{_h(summary)}</h{top}>\n{content}"
    return f"<details><summary>{_h(summary)}</summary>\n{content}\n</details>"


def _items(tag: str, items: list[str], printable: bool, start: int = 1) -> str:
    """``<li>`` items (HTML already) as a list; for print, in lists of LIST_ITEMS, as
    Qt's layout of one list slows with the square of its length."""
    step = LIST_ITEMS if printable else max(1, len(items))
    out = []
    for first in range(0, len(items), step):
        number = f' start="{start + first}"' if tag == "ol" and start + first != 1 else ""
        out.append(f"<{tag}{number}>{''.join(items[first : first + step])}</{tag}>")
    return "\n".join(out)


def _reasoning_html(reasoning: str, printable: bool) -> str:
    """Reasoning as written; for print, as plain paragraphs of at most BLOCK_CHARS (Qt
    paints each line of a shaded ``<pre>`` as a block of its own, a blank one as a bar)."""
    if not printable:
        return f'<pre class="reasoning">{_h(reasoning)}</pre>'
    out = []
    for paragraph in reasoning.split("\n\n"):
        lines = [p for line in paragraph.strip("\n").split("\n") for p in pieces(line, BLOCK_CHARS)]
        group: list[str] = []
        size = 0
        for line in [*lines, None]:
            if group and (line is None or size + len(line) > BLOCK_CHARS):
                out.append('<p class="reasoning">' + "<br>".join(_h(x) for x in group) + "</p>")
                group, size = [], 0
            if line is not None and line.strip():
                group.append(line)
                size += len(line)
    return "\n".join(out)


def _run_html(run: RunRecord, printable: bool, own: bool = True, top: int = 3) -> str:
    sources = cited_sources(run)
    out = [f'<section class="run" id="run-{_h(run.id)}">']
    if own:
        out.append(f"<h2>{_field(run.question, printable)}</h2>")
    if run.status != "answered":
        out.append(f'<p class="status">{_h(STATUS_WORDS.get(run.status, run.status))}</p>')
    if run.error:
        out.append(f'<p class="error">{_field(run.error, printable)}</p>')
    answer, boxed = short_answer(run.answer.strip())
    if boxed is not None:
        shown = _field(boxed, printable)
        out.append(f'<p class="short"><strong>Short answer:</strong> {shown}</p>')
    answer = _cut(answer, PDF_TEXT_CHARS, printable)
    rendered = (
        markdown_to_html(number_citations(answer, sources.numbers, "html"), None, printable, top)
        if answer
        else "<p><em>No answer.</em></p>"
    )
    out.append(f'<div class="answer">{rendered}</div>')
    if sources.listed or sources.unknown_citations:
        out.append(f"<h{top}>Sources</h{top}>")
        listed = []
        checks = run.log.citation_checks()
        for source, cited in sources.listed:
            check = checks.get(source.n) if cited else None
            passage = _passage(check)
            # the number also as text: a list skips the sources it leaves out, which
            # Qt's numbering (from the list's start, ignoring "value") would not
            label = html_link(source.url, _field(source.title or source.url, printable))
            listed.append(
                f'<li value="{_h(source.n)}">[{_h(source.n)}] {label} '
                f'<span class="kind">({_h(_kind_words(source, cited, check))})</span><br>'
                f'<span class="url">{html_link(source.url, _field(source.url, printable))}'
                "</span>"
                + (
                    f'<br><span class="kind">“{_field(passage, printable)}”</span>'
                    if passage
                    else ""
                )
                + "</li>"
            )
        if listed:
            out.append(_items("ol", listed, printable).replace("<ol", _SOURCES_LIST))
        if sources.unknown_citations:
            unknown = [f"<li>{_field(u, printable)}</li>" for u in sources.unknown_citations]
            out.append('<p class="more">Cited but never read (unverified):</p>')
            out.append(_items("ul", unknown, printable))
        if sources.unlisted_results:
            more = plural(sources.unlisted_results, "other search result")
            out.append(f'<p class="more">and {_h(more)}</p>')
    reasoning = _cut(run.log.reasoning.strip(), PDF_TEXT_CHARS, printable)
    if reasoning:
        out.append(_folded("Reasoning", _reasoning_html(reasoning, printable), printable, top))
    tools = list(run.log.tools.values())
    if tools:
        calls = [
            f"<li><code>{_field(tool.name, printable)}</code> {_field(tool.target, printable)}"
            f" — {_field(tool.summary(), printable)}</li>"
            for tool in tools
        ]
        out.append(
            _folded(
                f"Tool activity ({plural(len(tools), 'call')})",
                _items("ul", calls, printable),
                printable,
                top,
            )
        )
    out.append("</section>")
    return "\n".join(out)
