"""A notebook as a document: Markdown, or self-contained HTML (also the source of the PDF).

Each run shows its question, the answer with numbered citations, the sources it read or
cited, then its reasoning and tool activity folded away in ``<details>``. The HTML loads
nothing from anywhere (a CSP forbids it), escapes every piece of text, and carries its
own style; the printable variant drops ``<details>``, which Qt's renderer does not know.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ii_desktop.agent.answers import cited_urls
from ii_desktop.agent.sources import url_key
from ii_desktop.notebooks.markup import Cite, cite_markdown, html_link, is_web_url, markdown_to_html
from ii_desktop.notebooks.records import Notebook, RunRecord
from ii_desktop.notebooks.runlog import SourceInfo

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
    cite: Cite


def cited_sources(run: RunRecord) -> CitedSources:
    log = run.log
    by_key = {url_key(s.url): s.n for s in log.source_list()}
    numbers = log.citation_numbers()

    def cite(url: str) -> int | None:
        return numbers.get(url) or by_key.get(url_key(url))

    cited = {n for url in cited_urls(run.answer) if (n := cite(url))}
    listed = [(s, s.n in cited) for s in log.source_list() if s.kind == "page" or s.n in cited]
    unknown = [url for url in cited_urls(run.answer) if cite(url) is None]
    return CitedSources(listed, len(log.sources) - len(listed), unknown, cite)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _h(value: object) -> str:
    """Any value as HTML text or attribute content: every quote and bracket escaped."""
    return escape(str(value), quote=True)


def _md_text(text: str) -> str:
    """Text for one Markdown line that can become neither raw HTML nor a link."""
    text = _flat(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _md_url(url: str) -> str:
    """An http(s) URL as a Markdown link target: nothing in it can end the link."""
    return "".join(
        f"%{ord(ch):02X}" if ch in ' ()<>[]`"' or ch.isspace() else ch for ch in url.strip()
    )


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


def _fence(text: str, info: str = "") -> str:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _kind_words(source: SourceInfo, cited: bool) -> str:
    words = ["read" if source.kind == "page" else "search result"]
    if cited:
        words.append("cited")
    return ", ".join(words)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _stamp(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


# --- Markdown ------------------------------------------------------------------------


def render_markdown(notebook: Notebook, runs: Sequence[RunRecord]) -> str:
    """Markdown of a notebook. The answers are Markdown already and kept as written;
    every other text (titles, questions, tool targets, errors) is escaped so that it
    cannot become raw HTML, and only http(s) URLs become links."""
    parts = [f"# {_md_text(notebook.title)}", ""]
    meta = [
        plural(len(runs), "run"),
        f"updated {_stamp(notebook.updated)}",
    ]
    if notebook.tags:
        meta.insert(0, "tags: " + ", ".join(_md_text(t) for t in notebook.tags))
    parts += ["_" + " · ".join(meta) + "_", ""]
    for run in runs:
        parts += _run_markdown(run)
    return "\n".join(parts).rstrip() + "\n"


def _run_markdown(run: RunRecord) -> list[str]:
    sources = cited_sources(run)
    lines = [f"## {_md_text(run.question)}", ""]
    if run.status != "answered":
        lines += [f"**Status:** {_md_text(STATUS_WORDS.get(run.status, run.status))}", ""]
    if run.error:
        lines += [f"**Error:** {_md_text(run.error)}", ""]
    lines += [cite_markdown(run.answer.strip(), sources.cite) or "_No answer._", ""]
    if sources.listed or sources.unknown_citations:
        lines += ["### Sources", ""]
        for source, cited in sources.listed:
            title = _md_text(source.title or source.url)
            if is_web_url(source.url):
                shown = f"[{title}]({_md_url(source.url)})"
            else:  # not a web address: shown, never a link
                shown = (
                    title if title == _md_text(source.url) else f"{title} ({_md_text(source.url)})"
                )
            lines.append(f"- [{source.n}] {shown} — {_kind_words(source, cited)}")
        for url in sources.unknown_citations:
            lines.append(f"- {_md_text(url)} — cited but never read (unverified)")
        if sources.unlisted_results:
            lines.append(f"- and {plural(sources.unlisted_results, 'other search result')}")
        lines.append("")
    reasoning = run.log.reasoning.strip()
    if reasoning:
        lines += ["<details>", "<summary>Reasoning</summary>", "", _fence(reasoning, "text")]
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
                shown = f"<{_md_url(target)}>"
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
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def render_html(notebook: Notebook, runs: Sequence[RunRecord], printable: bool = False) -> str:
    """Self-contained HTML: every interpolated value escaped, links only to http(s)."""
    title = _h(_flat(notebook.title))
    meta = [
        plural(len(runs), "run"),
        f"updated {_stamp(notebook.updated)}",
    ]
    if notebook.tags:
        meta.insert(0, "tags: " + ", ".join(notebook.tags))
    body = [f"<h1>{title}</h1>", f'<p class="meta">{_h(" · ".join(meta))}</p>']
    for run in runs:
        body.append(_run_html(run, printable))
    head = (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="ii-desktop"><title>{title}</title>'
        f"<style>{STYLE}</style>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head>\n<body>\n'
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _folded(summary: str, content: str, printable: bool) -> str:
    """``summary`` is plain text; ``content`` is HTML already."""
    if printable:
        return f"<h3>{_h(summary)}</h3>\n{content}"
    return f"<details><summary>{_h(summary)}</summary>\n{content}\n</details>"


def _run_html(run: RunRecord, printable: bool) -> str:
    sources = cited_sources(run)
    out = [
        f'<section class="run" id="run-{_h(run.id)}">',
        f"<h2>{_h(_flat(run.question))}</h2>",
    ]
    if run.status != "answered":
        out.append(f'<p class="status">{_h(STATUS_WORDS.get(run.status, run.status))}</p>')
    if run.error:
        out.append(f'<p class="error">{_h(run.error)}</p>')
    answer = run.answer.strip()
    rendered = markdown_to_html(answer, sources.cite) if answer else "<p><em>No answer.</em></p>"
    out.append(f'<div class="answer">{rendered}</div>')
    if sources.listed or sources.unknown_citations:
        out.append("<h3>Sources</h3>\n<ol>")
        for source, cited in sources.listed:
            label = html_link(source.url, _h(_flat(source.title) or source.url))
            out.append(
                f'<li value="{_h(source.n)}">{label} '
                f'<span class="kind">({_h(_kind_words(source, cited))})</span><br>'
                f'<span class="url">{_h(source.url)}</span></li>'
            )
        out.append("</ol>")
        if sources.unknown_citations:
            items = "".join(f"<li>{_h(u)}</li>" for u in sources.unknown_citations)
            out.append(f'<p class="more">Cited but never read (unverified):</p><ul>{items}</ul>')
        if sources.unlisted_results:
            more = plural(sources.unlisted_results, "other search result")
            out.append(f'<p class="more">and {_h(more)}</p>')
    reasoning = run.log.reasoning.strip()
    if reasoning:
        out.append(_folded("Reasoning", f'<pre class="reasoning">{_h(reasoning)}</pre>', printable))
    tools = list(run.log.tools.values())
    if tools:
        calls = []
        for tool in tools:
            calls.append(
                f"<li><code>{_h(tool.name)}</code> {_h(_flat(tool.target))} — "
                f"{_h(tool.summary())}</li>"
            )
        out.append(
            _folded(
                f"Tool activity ({plural(len(tools), 'call')})",
                f"<ul>{''.join(calls)}</ul>",
                printable,
            )
        )
    out.append("</section>")
    return "\n".join(out)
