"""What the agent tells the model, written for II-Search-4B.

Whose words these are matters, because the model was trained on some and not others:

- ``SHORT_SUFFIX`` is the model card's own instruction for short answers, verbatim.
- Everything else is ours. The card gives no system prompt and no wording for its
  harness's guards (re-ask when an answer comes with no search, stop when out of turns),
  so these texts are kept short and use the card's own vocabulary (research, search,
  visit, verify, final answer, report) rather than instructions the model never saw.
"""

from __future__ import annotations

from datetime import date

# ours: who the model is, which tools it has, and how the app shows citations
SYSTEM_PROMPT = (
    "You are a research assistant. Use web_search to find information and web_visit to "
    "read pages, verify facts before answering, and cite the URLs of the pages you "
    "visited. Today's date is {today}."
)

# the model card's: "For a query that you need to find a short and accurate answer"
SHORT_SUFFIX = "\n\nPlease reason step-by-step and put the final answer within \\boxed{}."

# ours: the card trains report generation but gives no instruction for it
REPORT_SUFFIX = (
    "\n\nWrite a comprehensive report in Markdown: a title, a short summary, sections "
    "with headings, and a numbered list of references with the URLs of the pages you "
    "visited."
)

# ours: the harness's re-ask after an answer given with no search
CHALLENGE = "Please verify your answer with web_search and web_visit before your final answer."

# ours: the round or context budget is spent
ANSWER_NOW = "Do not call any more tools. Give your final answer now, from the pages you visited."

# ours: the turn hit the token limit before any answer or tool call
CONCLUDE = (
    "Your reasoning was cut off. Call a tool if you still need one; otherwise give your "
    "final answer now."
)

# ours: appended to a tool result the app shortened to fit the context
SHORTENED_NOTE = "\n[Earlier tool result shortened to fit the context.]"


def system_prompt(today: date | None = None) -> str:
    return SYSTEM_PROMPT.format(today=(today or date.today()).isoformat())


def user_message(question: str, mode: str) -> str:
    if mode == "short":
        return question + SHORT_SUFFIX
    if mode == "report":
        return question + REPORT_SUFFIX
    return question
