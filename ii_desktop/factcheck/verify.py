"""One claim checked by a research run: the question it is asked, and its answer read
into a verdict with evidence that holds up.

The run must find evidence other than the checked page: a quote from that page (the
same URL, or the same site when the claim is about that site itself) is no evidence.
Every quote is looked up in the text of the page it names, as the run read it; a quote
that is not there is dropped. A verdict of supported, refuted or mixed that is left with
no evidence becomes "not enough evidence", saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ii_desktop.agent.answers import extract_boxed
from ii_desktop.agent.sources import url_key
from ii_desktop.factcheck.claims import PageText

VERDICTS = ("supported", "refuted", "mixed", "not_enough_evidence")
MAX_EVIDENCE = 5
MAX_RATIONALE_CHARS = 1200

# ours: what each claim's research run is asked
VERIFY_PROMPT = (
    "Check this claim{origin}:\n\n“{claim}”\n\n"
    "Search for it and read pages that could confirm or contradict it.{not_evidence} "
    "Then answer in this form:\n\n"
    "\\boxed{{SUPPORTED}} or \\boxed{{REFUTED}} or \\boxed{{MIXED}} or "
    "\\boxed{{NOT ENOUGH EVIDENCE}}\n"
    "Rationale: one or two sentences.\n"
    "Evidence:\n"
    '- "the exact words from a page you read" (the URL of that page)'
)

_LABELS = (
    ("not enough evidence", "not_enough_evidence"),
    ("not_enough_evidence", "not_enough_evidence"),
    ("insufficient", "not_enough_evidence"),
    ("unverifiable", "not_enough_evidence"),
    ("partly", "mixed"),
    ("partially", "mixed"),
    ("mixed", "mixed"),
    ("refuted", "refuted"),
    ("refutes", "refuted"),
    ("false", "refuted"),
    ("incorrect", "refuted"),
    ("supported", "supported"),
    ("supports", "supported"),
    ("true", "supported"),
    ("correct", "supported"),
)
_VERDICT_LINE = re.compile(r"verdict\s*[:：]\s*\**\s*([a-z _]+)", re.I)
_RATIONALE = re.compile(
    r"rationale\s*[:：]\s*(.+?)(?:\n\s*\n|\n\s*evidence\s*[:：]|\Z)", re.I | re.S
)
_QUOTE = re.compile(
    r"[\"“”«]([^\"“”«»]{8,1000})[\"”“»]\s*[\(\[]?\s*(?:source\s*:?\s*)?<?(https?://[^\s)\]>]+)",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    url: str
    title: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        return {"url": self.url, "title": self.title, "quote": self.quote}


@dataclass
class Verdict:
    verdict: str
    rationale: str
    evidence: list[Evidence] = field(default_factory=list)
    note: str = ""  # why the verdict was changed, or what was dropped

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "rationale": self.rationale,
            "evidence": [e.to_dict() for e in self.evidence],
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class ReadPage:
    """A page the run read: its address (and where it ended up) and its full text."""

    url: str
    final_url: str
    title: str
    text: str


def verification_question(claim: str, url: str) -> str:
    if not url:
        return VERIFY_PROMPT.format(claim=claim, origin="", not_evidence="")
    return VERIFY_PROMPT.format(
        claim=claim,
        origin=f", taken from the page {url}",
        not_evidence=" That page itself is what is being checked, so it is not evidence: "
        "use other sources.",
    )


def verdict_label(text: str | None) -> str | None:
    """Our label for a verdict as the model wrote it; None when it names none."""
    if not text:
        return None
    words = " ".join(re.sub(r"[^a-z_ ]", " ", text.casefold()).split())
    for said, label in _LABELS:
        if said in words:
            return label
    return None


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _about_site(claim: str, site: str) -> bool:
    """A claim about the checked site itself ("example.com offers ..."): that site's
    other pages are no independent evidence for it."""
    if not site:
        return False
    name = site.split(".")[-2] if site.count(".") >= 1 else site
    text = claim.casefold()
    return site in text or (
        len(name) >= 4 and re.search(rf"\b{re.escape(name)}\b", text) is not None
    )


def is_checked_page(url: str, checked_url: str, claim: str) -> bool:
    """Whether ``url`` is the checked page (or its site, for a claim about that site)."""
    if not checked_url:
        return False
    if url_key(url) == url_key(checked_url):
        return True
    site = _site(checked_url)
    return bool(site) and _site(url) == site and _about_site(claim, site)


def read_verdict(answer: str, claim: str, checked_url: str, pages: Iterable[ReadPage]) -> Verdict:
    """The verdict in a verification run's final ``answer``, with only the evidence
    that holds up (see the module docstring)."""
    answer = answer or ""
    label = verdict_label(extract_boxed(answer))
    if label is None:
        line = _VERDICT_LINE.search(answer)
        label = verdict_label(line.group(1)) if line else None
    found = _RATIONALE.search(answer)
    rationale = " ".join((found.group(1) if found else "").split())
    if not rationale:  # the answer's words without the verdict and the evidence list
        body = re.sub(r"\\boxed\{[^}]*\}", "", answer.split("Evidence", 1)[0])
        rationale = " ".join(body.split())
    rationale = rationale[:MAX_RATIONALE_CHARS]
    if label is None:
        return Verdict(
            "not_enough_evidence",
            rationale,
            note="The check ended without a verdict.",
        )
    by_key: dict[str, ReadPage] = {}
    for read in pages:
        for key in (url_key(read.url), url_key(read.final_url)):
            by_key.setdefault(key, read)
    evidence: list[Evidence] = []
    dropped: list[str] = []
    texts: dict[str, PageText] = {}
    for quote, url in _QUOTE.findall(answer):
        url = url.rstrip(".,;:")
        page = by_key.get(url_key(url))
        if is_checked_page(url, checked_url, claim) or (
            page is not None and is_checked_page(page.final_url, checked_url, claim)
        ):
            dropped.append("a quote from the checked page itself")
            continue
        if page is None:
            dropped.append(f"a quote from a page the check never read ({url})")
            continue
        text = texts.setdefault(page.final_url, PageText(page.text))
        span = text.find(quote)
        if span is None:
            dropped.append(f"a quote not found on {page.final_url}")
            continue
        if any(
            e.url == page.final_url and e.quote == text.text[span[0] : span[1]] for e in evidence
        ):
            continue
        evidence.append(Evidence(page.final_url, page.title, text.text[span[0] : span[1]]))
        if len(evidence) >= MAX_EVIDENCE:
            break
    note = ""
    if dropped:
        note = "Left out: " + "; ".join(dict.fromkeys(dropped)) + "."
    if label != "not_enough_evidence" and not evidence:
        said = label.replace("_", " ")
        why = "No evidence from another source held up"
        note = f"{why} (the run said {said}). {note}".strip()
        label = "not_enough_evidence"
    return Verdict(label, rationale, evidence, note)
