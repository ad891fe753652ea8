"""The MCP server: the ``Service`` tools with their schemas, progress and cancellation.

Each tool runs its blocking work on a thread of its own. Progress lines become MCP
progress notifications (against the request's progressToken, when the client sent one);
a client's cancel sets the work's cancel event, and the tool waits for the work to stop
(a research run saves what it has) before the request ends. Failures come back as tool
errors carrying the CLI's plain message; nothing a client sends stops the server.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError

from ii_desktop import __version__
from ii_desktop.core.errors import AppError
from ii_desktop.mcp_server.service import (
    DEFAULT_VISIT_CHARS,
    MAX_CHECK_CLAIMS,
    MAX_VISIT_CHARS,
    Progress,
    Service,
)

log = logging.getLogger(__name__)

Work = Callable[[threading.Event, Progress], dict[str, Any]]
STOP_WAIT_S = 30.0  # how long a cancelled tool waits for its work to stop and save

INSTRUCTIONS = (
    "A private research assistant running on this computer. `research` answers a question "
    "by searching the web and reading pages, and cites numbered sources; every run is saved "
    "in the app's notebooks, which `notebook_search` searches. `web_search` and `web_visit` "
    "are its search and page reader on their own; `web_visit` refuses pages on this "
    "computer and on private networks. `fact_check` checks each factual claim of a page."
)

RESEARCH_DOC = (
    "Research a question the way a careful person would: search the web, read the most "
    "relevant pages, and answer with numbered sources. Takes from a few seconds to several "
    "minutes; progress notifications report each search and page read. Returns `answer` "
    "(markdown citing sources as [n], the numbers of `sources`), `short_answer` (mode "
    "'short' only), `sources` "
    "(n, url, title, `read`: whether the page was actually read, and `support`: 'strong' "
    "when the cited page holds the sentence's key facts, else 'weak'), and the "
    "`notebook_id` the run was saved in. Prefer this over web_search for questions that "
    "need reading several pages."
)
SEARCH_DOC = (
    "Search the web with the app's configured providers. Returns `results` (url, title, "
    "snippet) and the `provider` that answered. Read a result with web_visit."
)
VISIT_DOC = (
    "Read one web page (HTML, PDF or text) and return its clean text and title, without "
    "navigation, ads or markup. Pages on this computer and on private networks are refused. "
    "Returns `title`, `final_url` (after redirects), `text` (cut at max_chars) and "
    "`truncated`."
)
NOTEBOOK_DOC = (
    "Full-text search over the notebooks the app has saved: past questions, answers and "
    "the pages runs read. Returns `hits` with the notebook_id, run_id, the notebook's "
    "title, a snippet, where it matched (question_or_answer or page) and the page url."
)
CHECK_DOC = (
    "Fact-check a web page: find its factual claims and check each one against other "
    "sources with a research run. Slow (a run per claim); progress notifications report "
    "each claim. Returns a report with `claims` (claim, quote, verdict: supported, "
    "refuted, mixed or not_enough_evidence, rationale, evidence quotes with URLs), a "
    "`summary` of the verdicts, `notes` and the notebook_id the check was saved in."
)


def tool_error(exc: BaseException) -> ToolError:
    """The error a client sees: the CLI's message for what the app knows about, a short
    line (and a log entry) for anything else."""
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, AppError):
        return ToolError(exc.message)
    log.error("tool failed", exc_info=exc)
    return ToolError(f"unexpected error: {exc or type(exc).__name__}")


async def run_blocking(ctx: Context | None, work: Work) -> dict[str, Any]:
    """Run ``work`` on its own thread; its progress lines go to the client as progress
    notifications, and a cancelled request cancels it and waits for it to stop."""
    cancel = threading.Event()
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work(cancel, lines.put)
        except BaseException as exc:  # raised again on the server's side below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="mcp-tool", daemon=True)
    thread.start()
    step = 0
    try:
        while thread.is_alive() or not lines.empty():
            while not lines.empty():
                step += 1
                message = lines.get()
                if ctx is not None:
                    await ctx.report_progress(step, None, message)
            if thread.is_alive():
                await anyio.sleep(0.05)
    except anyio.get_cancelled_exc_class():
        cancel.set()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(thread.join, STOP_WAIT_S)
        raise
    thread.join()
    if "error" in outcome:
        raise tool_error(outcome["error"])
    result: dict[str, Any] = outcome["result"]
    return result


def plain_message(exc: ToolError) -> str:
    """A tool error as the client reads it: the tool's own message, or what was wrong
    with the arguments in one line, without the SDK's wrapping and links."""
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        problems = []
        for error in cause.errors():
            field = ".".join(str(part) for part in error["loc"]) or "arguments"
            if error["type"] == "missing":
                problems.append(f"{field} is required")
            else:
                problems.append(f"{field}: {error['msg']}")
        return f"Bad arguments: {'; '.join(problems)}."
    if isinstance(cause, ToolError):
        return str(cause)
    return str(exc)


class _Server(MCPServer[Any]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            raise ToolError(plain_message(exc)) from None


def build_server(service: Service) -> MCPServer[Any]:
    """The MCP server for ``service``, its tools registered."""
    server = _Server(
        name="ii-desktop",
        title="ii-desktop research assistant",
        instructions=INSTRUCTIONS,
        version=__version__,
    )
    one_model = anyio.Lock()  # one engine: runs take turns

    @server.tool(name="research", description=RESEARCH_DOC)
    async def research(
        question: Annotated[str, Field(description="The question to research, in full.")],
        ctx: Context,
        mode: Annotated[
            Literal["answer", "short", "report"],
            Field(
                description="'answer' (default): an answer of a few paragraphs; 'short': "
                "also a short answer (a name, number or date) in `short_answer`; 'report': "
                "a structured long-form report."
            ),
        ] = "answer",
        notebook: Annotated[
            str | None,
            Field(
                description="Save the run into the notebook with this title or id, "
                "continuing its conversation (made when no notebook has this title). "
                "Leave out for a new notebook titled from the question."
            ),
        ] = None,
    ) -> dict[str, Any]:
        async with one_model:
            return await run_blocking(
                ctx,
                lambda cancel, progress: service.research(
                    question, mode, notebook, cancel=cancel, progress=progress
                ),
            )

    @server.tool(name="web_search", description=SEARCH_DOC)
    async def web_search(
        query: Annotated[str, Field(description="What to search for.")],
    ) -> dict[str, Any]:
        return await run_blocking(None, lambda cancel, _: service.web_search(query, cancel))

    @server.tool(name="web_visit", description=VISIT_DOC)
    async def web_visit(
        url: Annotated[str, Field(description="The http or https URL to read.")],
        max_chars: Annotated[
            int,
            Field(
                ge=1,
                le=MAX_VISIT_CHARS,
                description="Cut the text at this many characters (default 10,000).",
            ),
        ] = DEFAULT_VISIT_CHARS,
    ) -> dict[str, Any]:
        return await run_blocking(None, lambda cancel, _: service.web_visit(url, max_chars, cancel))

    @server.tool(name="notebook_search", description=NOTEBOOK_DOC)
    async def notebook_search(
        query: Annotated[str, Field(description="Words to find in the saved notebooks.")],
    ) -> dict[str, Any]:
        return await run_blocking(None, lambda cancel, _: service.notebook_search(query))

    @server.tool(name="fact_check", description=CHECK_DOC)
    async def fact_check(
        url: Annotated[str, Field(description="The http or https URL of the page to check.")],
        ctx: Context,
        max_claims: Annotated[
            int,
            Field(
                ge=1,
                le=MAX_CHECK_CLAIMS,
                description="Check at most this many claims (default 10).",
            ),
        ] = 10,
    ) -> dict[str, Any]:
        async with one_model:
            return await run_blocking(
                ctx,
                lambda cancel, progress: service.fact_check(
                    url, max_claims, cancel=cancel, progress=progress
                ),
            )

    return server
