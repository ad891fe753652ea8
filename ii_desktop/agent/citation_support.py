"""Does the cited page say it? Each cited sentence of an answer against the page it cites.

Lexical and quick (no model call): the answer is split into sentences, each sentence
that cites a URL gives its key facts (numbers and dates, names, quoted words) and its
content words, and the text of the cited page, as the model read it, is cut into
passages of up to three sentences. The passage that shares most with the sentence is
kept with the citation (numbers and dates weigh most, then names, then other words).
The citation is ``strong`` when that passage holds every number and date of the
sentence and most of its names (a sentence with neither: a fair share of its words);
otherwise it is ``weak``.

A lexical check cannot tell a paraphrase from a misreading, nor a page that holds the
right number for another reason: ``weak`` means "worth a look", ``strong`` means "the
page holds these facts near each other", neither is proof.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ii_desktop.agent.answers import _trim

STRONG = "strong"
WEAK = "weak"
PASSAGE_CHARS = 400
WINDOW = 3  # sentences per passage, at most
LONG_SENTENCE_CHARS = 300  # a page "sentence" longer than this is cut into pieces
CANDIDATES = 5  # best-ranked passages that are scored and judged on every term
RARE_SHARE = 4  # a term in more than a quarter of a page's sentences does not rank
NUMBER_WEIGHT = 3.0
NAME_WEIGHT = 2.0
WORD_WEIGHT = 1.0
MIN_WORD_SHARE = 0.3  # of a sentence's content words, in a strong passage

_URL = r"https?://[^\s<>\"'\]\[]+"
_URL_RE = re.compile(_URL, re.I)
_MARK = "\ue000"  # stands for one citation while the answer is split
_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
# one pass over a line, leftmost first: a Markdown link, URLs in brackets or parentheses,
# an autolink, the answer's own "[2]" or "[1, 3]", a bare URL
_CITE = re.compile(
    r"\[(?P<label>[^\[\]\n]+)\]\(\s*(?P<href>" + _URL + r")\s*\)"
    r"|[\[(]\s*(?P<group>" + _URL + r"(?:\s*[,;]\s*" + _URL + r")*)\s*[\])]"
    r"|<(?P<auto>" + _URL + r")>"
    r"|\[(?P<nums>\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\](?![(:\[])"
    r"|(?P<bare>" + _URL + r")",
    re.I,
)
_NUMS = re.compile(r"\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\](?![(:\[])")
_SEP = re.compile(r"\s*[,;]\s*")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ENTRY = re.compile(r"^\s{0,3}(?:[-*+]\s+)?(?:(\d{1,4})[.)]\s+|\[(\d{1,4})\]:?\s*)(.*)$")
_REFERENCES = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+)?[*_]{0,2}\s*(references|sources|citations|bibliography|"
    r"works cited|links)[\s:*_#]*$",
    re.I,
)
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
_BLOCK_START = re.compile(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s|\d{1,4}[.)]\s|\||>)")
_LINE_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s*|[-*+]\s+|\d{1,4}[.)]\s+)+")
_ABBREVIATIONS = (
    "mr mrs ms dr prof st jr sr inc ltd co corp no nos vs etc fig figs approx ca cf al ed "
    "eds vol vols pp gen col lt sgt rev hon est dept univ mt ft jan feb mar apr jun jul "
    "aug sep sept oct nov dec"
).split()
# the end of a sentence: not after an initial or an abbreviation ("J.", "U.S.", "e.g.",
# "Dr."), nor inside a number ("3.5"); a citation right after the full stop stays with
# the sentence; the next one starts with a capital, a digit, a quote or a link
_END = re.compile(
    r"[.!?…](?<!\b[A-Za-z]\.)"
    + "".join(f"(?<!\\b(?i:{a})\\.)" for a in _ABBREVIATIONS)
    + r"[.!?…]*[\"'”’)\]*_]*(?:\s*"
    + _MARK
    + r"|\s*[\[(]https?://[^\s\])]*[\])])*(?=\s+(?:[\"'“‘(\[*_]*[A-Z0-9À-Þ]|[\[(<]?https?://|"
    + _MARK
    + r")|\s*$)"
)
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    r"(?:\s*(thousand|million|billion|trillion|bn)\b)?",
    re.I,
)
_SCALES = {
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}
_MONTHS = {
    name: i + 1
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
        ]
    )
    for name in names
}
# months count as dates only when capitalised ("May", not "may")
_MONTH = re.compile(
    r"\b(" + "|".join(m.capitalize() for m in sorted(_MONTHS, key=len, reverse=True)) + r")\b"
)
_ISO_DATE = re.compile(r"\b\d{4}-(\d{1,2})-\d{1,2}\b")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{3,200})[\"”]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_CAPITAL_RUN = re.compile(
    r"[A-ZÀ-Þ][\w'’-]*(?:\s+(?:(?:of\s+the|of|de|du|des|la|le|van|von|der|da|del|di|y)\s+)?"
    r"[A-ZÀ-Þ][\w'’-]*)*"
)
_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves according see also however thus therefore
    since although though yet may might must shall one many much well like including
    per among around based new used using within without""".split()
)


_SKIPPED = _STOPWORDS | set(_MONTHS) | set(_ABBREVIATIONS) | set(_SCALES)


@dataclass(frozen=True)
class Facts:
    """What a sentence claims, normalised for comparison.

    ``numbers``: numbers and dates ("1,000" and "1000" alike, "3.50" as "3.5", "1.2
    million" as 1200000, a month as ``month:7``); ``names``: proper names of one or more
    capitalised words and quoted strings, lower-case; ``words``: the other content
    words, lower-case, stopwords out."""

    numbers: frozenset[str]
    names: frozenset[str]
    words: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.numbers or self.names or self.words)


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer and the URLs it cites, in order."""

    text: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Support:
    """How well one page supports one citation; ``sentence`` is the sentence judged."""

    verified: bool
    support: str  # strong | weak
    passage: str
    sentence: str = ""
    score: float = 0.0


# --- numbers, names, words ----------------------------------------------------------


def _number(whole: str, fraction: str | None, scale: str | None) -> tuple[str, str | None]:
    """The number as written (canonical) and, with a scale word, its value."""
    digits = whole.replace(",", "").lstrip("0") or "0"
    raw = digits
    if fraction:
        fraction = fraction.rstrip("0")
        raw = f"{digits}.{fraction}" if fraction else digits
    scaled = None
    if scale:
        try:
            value = Decimal(raw) * _SCALES[scale.lower()]
        except (InvalidOperation, KeyError):
            value = None
        if value is not None:
            scaled = format(value.normalize(), "f")
            scaled = scaled.rstrip("0").rstrip(".") if "." in scaled else scaled
    return raw, scaled


def _numbers(text: str) -> set[str]:
    """Numbers and dates of ``text``; "1.2 million" counts as 1200000 (a page may write
    it either way, see ``_number_patterns``)."""
    found: set[str] = set()
    for m in _NUMBER.finditer(text):
        raw, scaled = _number(m.group(1), m.group(2), m.group(3))
        if scaled is None:
            found.add(raw)
        if scaled is not None:
            found.add(scaled)
    for m in _MONTH.finditer(text):
        found.add(f"month:{_MONTHS[m.group(1).lower()]}")
    for m in _ISO_DATE.finditer(text):
        found.add(f"month:{int(m.group(1))}")
    return found


def _stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text) if len(w) > 1 and w.lower() not in _SKIPPED]


def _phrase_text(text: str) -> str:
    """Lower-case words separated by single spaces, padded: for phrase lookups."""
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    return " " + " ".join(_stem(w) for w in _WORD.findall(text)) + " "


def _names(text: str) -> set[str]:
    names: set[str] = set()
    plain = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    for m in _CAPITAL_RUN.finditer(plain):
        words = m.group(0).split()
        while words and (words[0].lower() in _STOPWORDS or words[0].lower() in _MONTHS):
            words = words[1:]
        while words and (words[-1].lower() in _STOPWORDS or words[-1].lower() in _MONTHS):
            words = words[:-1]
        phrase = _phrase_text(" ".join(words)).strip()
        if len(phrase) > 1 and phrase not in _ABBREVIATIONS and phrase != "ie":
            names.add(phrase)
    for m in _QUOTED.finditer(text):
        phrase = _phrase_text(m.group(1)).strip()
        if phrase:
            names.add(phrase)
    return names


def key_facts(sentence: str) -> Facts:
    """The key facts of one sentence; citation markers and URLs are no part of them."""
    text = _URL_RE.sub(" ", sentence.replace(_MARK, " "))
    text = _NUMS.sub(" ", text)
    numbers = _numbers(text)
    names = _names(text)
    name_words = {w for name in names for w in name.split()}
    words = {w for w in _words(text) if w not in name_words}
    return Facts(frozenset(numbers), frozenset(names), frozenset(words))


# --- sentences ----------------------------------------------------------------------


def _split_block(block: str) -> list[str]:
    ends = [m.end() for m in _END.finditer(block)]
    pieces = (block[a:b].strip() for a, b in zip([0, *ends], [*ends, len(block)], strict=True))
    return [piece for piece in pieces if piece]


def _blocks(lines: Sequence[str]) -> list[str]:
    """Paragraphs of plain lines joined; headings, list items, table rows and quotes each
    start a block of their own; fenced code is left out."""
    blocks: list[str] = []
    current: list[str] = []
    fence = ""

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for line in lines:
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            close()
            fence = opened.group(1)
            continue
        if not line.strip():
            close()
            continue
        if _BLOCK_START.match(line):
            close()
            line = _LINE_MARKUP.sub("", line)
            if line.lstrip().startswith("|"):
                if _TABLE_RULE.match(line):
                    continue
                line = line.strip().strip("|").replace("|", ";")
        current.append(line.strip())
    close()
    return blocks


def split_sentences(text: str) -> list[str]:
    """The sentences of Markdown or plain text, robust to "U.S.", "e.g.", "3.5", initials,
    lists, headings and tables (a list item or table row is at least one sentence)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [s for block in _blocks(lines) for s in _split_block(block)]


def _reference_numbers(lines: list[str]) -> tuple[dict[int, str], set[int]]:
    """The answer's own numbered reference list: ``k -> URL``, and which lines are its
    entries (they cite nothing; they say what ``[k]`` means)."""
    numbers: dict[int, str] = {}
    entries: set[int] = set()
    in_refs = False
    for i, line in enumerate(lines):
        if _REFERENCES.match(line):
            in_refs = True
            continue
        if line.lstrip().startswith("#"):
            in_refs = False
            continue
        m = _ENTRY.match(line)
        if m and (in_refs or m.group(2)):
            urls = {_trim(u) for u in _URL_RE.findall(m.group(3))}
            if len(urls) == 1:
                numbers[int(m.group(1) or m.group(2))] = urls.pop()
                entries.add(i)
                continue
        if in_refs and _URL_RE.search(line):
            entries.add(i)  # a reference list's entry, numbered or not
    return numbers, entries


def cited_sentences(answer: str) -> list[Claim]:
    """Each sentence of the answer that cites, with the URLs it cites. A citation after
    the full stop ("... in 1889. [URL] Next ...") belongs to the sentence before it. The
    answer's own "[k]", when a reference list says which URL ``k`` is, cites that URL."""
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbers, entries = _reference_numbers(lines)
    cites: list[tuple[str, ...]] = []

    def mark(m: re.Match[str]) -> str:
        if m.group("href"):
            cites.append((_trim(m.group("href")),))
            return f"{m.group('label')} {_MARK}"
        if m.group("nums"):
            found = [numbers.get(int(k)) for k in _SEP.split(m.group("nums"))]
            if not all(found):
                return " "
            cites.append(tuple(u for u in found if u))
            return f" {_MARK}"
        if m.group("bare"):
            url = m.group("bare")
            cites.append((_trim(url),))
            return f" {_MARK}{url[len(_trim(url)) :]}"  # a full stop after it stays
        urls = m.group("group") or m.group("auto")
        cites.append(tuple(_trim(u) for u in _SEP.split(urls.strip())))
        return f" {_MARK}"

    masked = [
        "" if i in entries else _CITE.sub(mark, _IMAGE.sub(" ", line))
        for i, line in enumerate(lines)
    ]
    claims: list[Claim] = []
    at = 0
    for block in _blocks(masked):
        for sentence in _split_block(block):
            count = sentence.count(_MARK)
            urls = dict.fromkeys(u for c in cites[at : at + count] for u in c if u)
            at += count
            if urls:
                text = " ".join(sentence.replace(_MARK, " ").split())
                claims.append(Claim(_clean(text), tuple(urls)))
    return claims


def _clean(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


# --- pages and passages -------------------------------------------------------------
# A page is searched for the terms of the sentences that cite it, not tokenised whole:
# one regular expression per term over the page's text keeps a long page cheap.

_SCALE_WORDS = {
    1_000: "thousand",
    1_000_000: "million",
    1_000_000_000: "(?:billion|bn)",
    1_000_000_000_000: "trillion",
}
_MONTH_NAMES = {k: [n.capitalize() for n, i in _MONTHS.items() if i == k] for k in range(1, 13)}


def _digits(integer: str) -> str:
    """An integer's digits, with the thousands separators a page may write."""
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    return "[,\u202f\u00a0 ]?".join(groups)


def _clean_start(literal: str, word: bool = True) -> str:
    """``literal`` (a pattern of fixed width) where no letter or digit comes before it,
    written so that the pattern still starts with a literal: the search then skips
    quickly through a long page."""
    if word:
        return f"{literal}(?<!\\w{literal})"
    return f"{literal}(?<!\\d{literal})(?<!\\d[.,]{literal})"  # not inside "1.5" or "1,5"


def _plain_number(value: str, scale: str = "") -> str:
    integer, _, fraction = value.partition(".")
    head, sep, rest = _digits(integer).partition("[")
    tail = f"\\.{fraction}0*" if fraction else "(?:\\.0+)?"
    end = f"\\s*{scale}\\b" if scale else "(?!\\d|[.,]\\d)"
    return _clean_start(head, word=False) + sep + rest + tail + end


Pattern = tuple[str, bool]  # the pattern, and whether it reads the page as written


def _number_patterns(value: str) -> list[Pattern]:
    """How a page may write a number ("1,000", "1000", "1 thousand") or a month."""
    if value.startswith("month:"):
        k = int(value[6:])
        names = sorted(_MONTH_NAMES[k], key=len)
        short = names[0]
        longer = "|".join(n[len(short) :] for n in names[1:] if n.startswith(short))
        suffix = f"(?:{longer})?" if longer else ""
        return [
            (_clean_start(short) + suffix + "\\b", True),
            (f"-(?<=\\d{{4}}-)0?{k}-\\d{{1,2}}(?!\\d)", True),  # 1789-07-14
        ]
    patterns: list[Pattern] = [(_plain_number(value), False)]
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(0)
    for scale, word in _SCALE_WORDS.items():
        if number >= scale:
            scaled = format((number / scale).normalize(), "f")
            if len(scaled.partition(".")[2]) <= 3:
                patterns.append((_plain_number(scaled, word), False))
    return patterns


def _word_pattern(word: str, first: bool) -> str:
    start = _clean_start if first else re.escape
    if len(word) <= 3 and word.isalpha():
        core = start(word[0]) + "".join(f"\\.?{c}" for c in word[1:]) + "\\.?"  # "U.S."
    elif word.endswith("y") and len(word) > 3:
        core = start(re.escape(word[:-1])) + "(?:y|ies)"
    else:
        core = start(re.escape(word)) + "(?:e?s)?"
    return core + "(?:['’]s)?"


def _term_patterns(term: str) -> list[Pattern]:
    kind, value = term[0], term[1:]
    if kind == "#":
        return _number_patterns(value)
    parts = [_word_pattern(w, i == 0) for i, w in enumerate(value.split())]
    return [("[\\W_]+".join(parts) + "(?!\\w)", False)]


class PageIndex:
    """A page's text cut into sentences; the sentences where each term occurs are found
    when first asked for, and kept."""

    def __init__(self, text: str) -> None:
        self.text = " ".join(text.split())
        self.lower = self.text.lower()
        bounds = [0]
        for end in (m.end() for m in _END.finditer(self.text)):
            while end - bounds[-1] > LONG_SENTENCE_CHARS:  # a run-on "sentence": cut it
                cut = self.text.rfind(" ", bounds[-1], bounds[-1] + LONG_SENTENCE_CHARS)
                bounds.append(cut if cut > bounds[-1] else bounds[-1] + LONG_SENTENCE_CHARS)
            bounds.append(end)
        if bounds[-1] < len(self.text):
            bounds.append(len(self.text))
        self.bounds = bounds
        self._found: dict[str, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def window(self, start: int, end: int) -> str:
        return self.text[self.bounds[start] : self.bounds[end]].strip()

    def sentences_with(self, term: str) -> frozenset[int]:
        found = self._found.get(term)
        if found is None:
            bounds = self.bounds
            hits: set[int] = set()
            for pattern, as_written in _term_patterns(term):
                text = self.text if as_written else self.lower
                hits |= {
                    bisect.bisect_right(bounds, m.start()) - 1 for m in re.finditer(pattern, text)
                }
            found = frozenset(hits)
            self._found[term] = found
        return found


def passages(text: str) -> list[str]:
    """The passages of a page: every run of up to three consecutive sentences."""
    page = PageIndex(text)
    n = len(page)
    return [page.window(i, min(i + WINDOW, n)) for i in range(n)]


def _terms(facts: Facts) -> dict[str, float]:
    """The terms to look for, each with its weight: ``#`` numbers, ``~`` names and
    quotes, ``=`` other words."""
    terms: dict[str, float] = {}
    for word in facts.words:
        terms["=" + word] = WORD_WEIGHT
    for name in facts.names:
        terms["~" + name] = NAME_WEIGHT * min(3, len(name.split()))
    for number in facts.numbers:
        terms["#" + number] = NUMBER_WEIGHT
    return terms


def _judge(facts: Facts, page: PageIndex, first: int, last: int) -> bool:
    """Strong support: every number and date and most names; a sentence with neither
    needs a fair share of its words."""

    span = range(first, last)

    def inside(term: str) -> bool:
        return not page.sentences_with(term).isdisjoint(span)

    if not all(inside("#" + n) for n in facts.numbers):
        return False
    if facts.names:
        found = sum(inside("~" + name) for name in facts.names)
        if found * 2 <= len(facts.names):
            return False
    if facts.words and not (facts.numbers or facts.names):
        shared = sum(inside("=" + word) for word in facts.words)
        if shared < max(1.0, MIN_WORD_SHARE * len(facts.words)):
            return False
    return True


def trim_passage(text: str, around: str = "", limit: int = PASSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters on word boundaries, keeping ``around`` (a
    matched term) in view; "…" marks a cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    at = max(0, text.lower().find(around.lower())) if around else 0
    start = max(0, min(at - limit // 3, len(text) - limit + 2))
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 40 else start
    end = start + limit - 2
    piece = text[start:end]
    if end < len(text) and " " in piece:
        piece = piece[: piece.rfind(" ")]
    return ("…" if start > 0 else "") + piece.strip() + ("…" if end < len(text) else "")


def best_passage(facts: Facts, page: PageIndex) -> tuple[str, float, bool]:
    """The page's passage that best supports a sentence: its text, its score (the share
    of the sentence's weight it holds, 0 to 1) and whether the support is strong.

    Passages are ranked by the terms that are rare on the page (a word on every other
    line tells no passage from another); the best few are then scored and judged on all
    the sentence's terms."""
    terms = _terms(facts)
    total = sum(terms.values())
    n = len(page)
    if not n or not total:
        return "", 0.0, False
    where = {term: page.sentences_with(term) for term in terms}
    found = {t: w for t, w in terms.items() if where[t]}
    if not found:
        return "", 0.0, False
    rare = {t: w for t, w in found.items() if len(where[t]) <= max(3, n // RARE_SHARE)}
    scores: dict[int, float] = {}
    for term, weight in (rare or found).items():
        at = where[term]
        for start in {i - d for i in at for d in range(WINDOW) if i >= d}:
            scores[start] = scores.get(start, 0.0) + weight
    best: tuple[bool, float, int, int] | None = None
    for start in heapq.nlargest(CANDIDATES, scores, key=lambda s: (scores[s], -s)):
        first, last = start, min(start + WINDOW, n)
        # drop edge sentences that add nothing the others lack
        while last - first > 1 and _adds_nothing(where, first, first + 1, last):
            first += 1
        while last - first > 1 and _adds_nothing(where, last - 1, first, last - 1):
            last -= 1
        span = range(first, last)
        score = sum(w for t, w in found.items() if not where[t].isdisjoint(span))
        strong = _judge(facts, page, first, last)
        if best is None or (strong, score, -first) > (best[0], best[1], -best[2]):
            best = (strong, score, first, last)
    assert best is not None
    strong, score, first, last = best
    text = page.window(first, last)
    span = range(first, last)
    lead = next((t[1:].split()[0] for t in found if not where[t].isdisjoint(span)), "")
    return trim_passage(text, lead), round(score / total, 3), strong


def _adds_nothing(where: Mapping[str, frozenset[int]], i: int, a: int, b: int) -> bool:
    """Sentence ``i`` holds no term that sentences ``a`` to ``b`` lack."""
    others = range(a, b)
    return all(not found.isdisjoint(others) for found in where.values() if i in found)


# --- the answer against its pages ---------------------------------------------------


def _key(url: str) -> str:
    return _trim(url).rstrip("/").lower()


def support_citations(answer: str, pages: Mapping[str, str | None]) -> dict[str, Support]:
    """How the pages support the answer's citations: ``pages`` maps each cited URL (as
    the answer writes it) to the text of that page as the model read it, or None for a
    page the run never read. A citation of an unread page is weak, with no passage.

    A URL cited in several sentences is judged by its best sentence: strong if any
    sentence citing it is strong, and then (or else) the one whose passage scores
    highest. A cited page with no sentence to check (a bare link, a reference list
    entry nobody cites) is verified but weak."""
    claims = cited_sentences(answer)
    facts = {claim.text: key_facts(claim.text) for claim in claims}
    indexes: dict[str, PageIndex] = {}
    results: dict[str, Support] = {}
    for url, text in pages.items():
        if text is None:
            results[url] = Support(False, WEAK, "")
            continue
        best = Support(True, WEAK, "")
        ranked: tuple[bool, float] | None = None
        for claim in claims:
            if _key(url) not in {_key(u) for u in claim.urls} or facts[claim.text].empty:
                continue
            index = indexes.get(url)
            if index is None:
                index = indexes[url] = PageIndex(text)
            passage, score, strong = best_passage(facts[claim.text], index)
            if ranked is None or (strong, score) > ranked:
                ranked = (strong, score)
                best = Support(True, STRONG if strong else WEAK, passage, claim.text, score)
        results[url] = best
    return results
