"""StreamSplitter: the same pieces however the model's text is cut into tokens."""

from __future__ import annotations

import random

import pytest

from ii_desktop.engine.split import Piece, StreamSplitter

# A realistic II-Search-4B turn: reasoning (with text that looks like the start of a
# marker but is not), a short answer, then two tool calls in one turn.
RAW = (
    "<think>\n"
    "The user asks about the population of Lagos. Compare: is 15M < 20M? "
    "Also mind the <thin ice and </thinking> tags, and a stray <tool word.\n"
    "I should search, then visit the best page.\n"
    "</think>\n\n"
    "Let me look that up (a < b, x<y, <toolbox>, <think later).\n"
    "<tool_call>\n"
    '{"name": "web_search", "arguments": {"query": "Lagos population 2024"}}\n'
    "</tool_call>\n"
    "<tool_call>\n"
    '{"name": "web_visit", "arguments": {"url": "https://en.wikipedia.org/wiki/Lagos"}}\n'
    "</tool_call>"
)

EXPECTED_REASONING = (
    "The user asks about the population of Lagos. Compare: is 15M < 20M? "
    "Also mind the <thin ice and </thinking> tags, and a stray <tool word.\n"
    "I should search, then visit the best page.\n"
)
EXPECTED_ANSWER = "Let me look that up (a < b, x<y, <toolbox>, <think later).\n"
EXPECTED_TOOLS = [
    '{"name": "web_search", "arguments": {"query": "Lagos population 2024"}}',
    '{"name": "web_visit", "arguments": {"url": "https://en.wikipedia.org/wiki/Lagos"}}',
]


def run(chunks: list[str], in_reasoning: bool = False) -> list[Piece]:
    splitter = StreamSplitter(in_reasoning=in_reasoning)
    pieces: list[Piece] = []
    for chunk in chunks:
        pieces.extend(splitter.feed(chunk))
    pieces.extend(splitter.finish())
    return pieces


def texts(pieces: list[Piece], kind: str) -> str:
    return "".join(p.text for p in pieces if p.kind == kind)


def tools(pieces: list[Piece]) -> list[tuple[str, bool]]:
    return [(p.text, p.complete) for p in pieces if p.kind == "tool_call"]


def merged(pieces: list[Piece]) -> list[tuple[str, str, bool]]:
    """Pieces with neighbouring reasoning/answer text joined: the order of blocks."""
    out: list[tuple[str, str, bool]] = []
    for p in pieces:
        if out and p.kind != "tool_call" and out[-1][0] == p.kind:
            out[-1] = (p.kind, out[-1][1] + p.text, True)
        else:
            out.append((p.kind, p.text, p.complete))
    return out


def assert_same_as_unsplit(chunks: list[str], whole: list[Piece], in_reasoning=False):
    assert "".join(chunks) == RAW or in_reasoning
    got = run(chunks, in_reasoning)
    assert merged(got) == merged(whole), f"differs for chunks {chunks!r}"
    assert all(p.text for p in got), "no empty pieces"


# --- simple shapes -------------------------------------------------------------------


def test_plain_answer():
    pieces = run(["The capital of France is Paris."])
    assert pieces == [Piece("answer", "The capital of France is Paris.")]


def test_empty_input_gives_nothing():
    assert run([]) == []
    assert run(["", ""]) == []


def test_reasoning_then_answer_drops_leading_newlines():
    pieces = run(["<think>\n\nStep one.\nStep two.\n</think>\n\nParis."])
    assert merged(pieces) == [
        ("reasoning", "Step one.\nStep two.\n", True),
        ("answer", "Paris.", True),
    ]


def test_only_leading_newlines_are_dropped_not_inner_or_trailing():
    pieces = run(["<think>\n a\n\nb\n\n</think>\n\n x\n\n"])
    assert texts(pieces, "reasoning") == " a\n\nb\n\n"
    assert texts(pieces, "answer") == " x\n\n"


def test_state_follows_the_markers():
    splitter = StreamSplitter()
    assert splitter.state == "answer"
    splitter.feed("<think>")
    assert splitter.state == "reasoning"
    splitter.feed("hm</think>")
    assert splitter.state == "answer"
    splitter.feed("<tool_call>{")
    assert splitter.state == "tool_call"
    splitter.feed("}</tool_call>")
    assert splitter.state == "answer"


def test_single_tool_call():
    pieces = run(['<tool_call>\n{"name": "web_search", "arguments": {"query": "q"}}\n</tool_call>'])
    assert pieces == [
        Piece("tool_call", '{"name": "web_search", "arguments": {"query": "q"}}', complete=True)
    ]


def test_tool_call_comes_out_whole_only_at_its_end_marker():
    splitter = StreamSplitter()
    assert splitter.feed('<tool_call>\n{"name": ') == []
    assert splitter.feed('"web_search"}\n</tool_') == []
    assert splitter.feed("call>") == [Piece("tool_call", '{"name": "web_search"}')]
    assert splitter.finish() == []


def test_several_tool_calls_in_one_turn():
    pieces = run([RAW])
    assert tools(pieces) == [(t, True) for t in EXPECTED_TOOLS]


def test_realistic_turn_unsplit():
    pieces = run([RAW])
    assert merged(pieces) == [
        ("reasoning", EXPECTED_REASONING, True),
        ("answer", EXPECTED_ANSWER, True),
        ("tool_call", EXPECTED_TOOLS[0], True),
        ("tool_call", EXPECTED_TOOLS[1], True),
    ]


def test_incomplete_tool_call_at_finish():
    splitter = StreamSplitter()
    assert splitter.feed('Searching.<tool_call>{"name": "web_search", "argu') == [
        Piece("answer", "Searching.")
    ]
    assert splitter.finish() == [Piece("tool_call", '{"name": "web_search", "argu', complete=False)]


def test_incomplete_tool_call_with_partial_end_marker_keeps_all_text():
    pieces = run(['<tool_call>{"name": "x"}\n</tool_ca'])
    assert pieces == [Piece("tool_call", '{"name": "x"}\n</tool_ca', complete=False)]


def test_incomplete_tool_call_drops_leading_newlines_like_a_complete_one():
    # "Newlines at the start of each block are dropped": a tool call cut off by the
    # token limit starts with the same newline the template puts after <tool_call>.
    complete = run(['<tool_call>\n{"name": "x"}\n</tool_call>'])
    cut = run(['<tool_call>\n{"name": "x"'])
    assert complete == [Piece("tool_call", '{"name": "x"}')]
    assert cut == [Piece("tool_call", '{"name": "x"', complete=False)]


def test_empty_tool_call_at_finish_is_still_reported():
    assert run(["<tool_call>"]) == [Piece("tool_call", "", complete=False)]


def test_starting_in_reasoning():
    pieces = run(["\nLet me think.\n</think>\n\nAnswer."], in_reasoning=True)
    assert merged(pieces) == [
        ("reasoning", "Let me think.\n", True),
        ("answer", "Answer.", True),
    ]


def test_starting_in_reasoning_a_think_tag_is_just_text():
    pieces = run(["a <think> b</think>c"], in_reasoning=True)
    assert merged(pieces) == [("reasoning", "a <think> b", True), ("answer", "c", True)]


def test_starting_in_reasoning_without_end_marker_is_all_reasoning():
    pieces = run(["thinking ", "and thinking </thi"], in_reasoning=True)
    assert merged(pieces) == [("reasoning", "thinking and thinking </thi", True)]


@pytest.mark.parametrize(
    "text",
    ["a < b", "<thin", "x <", "<", "</", "<tool_cal", "</think", "<think", "<b>bold</b>", "<>"],
)
def test_non_markers_come_out_as_answer_text(text):
    assert texts(run([text]), "answer") == text
    assert texts(run(list(text)), "answer") == text


def test_partial_marker_is_held_back_until_resolved():
    splitter = StreamSplitter()
    assert splitter.feed("so a <") == [Piece("answer", "so a ")]
    assert splitter.feed("thi") == []
    assert splitter.feed("n ice") == [Piece("answer", "<thin ice")]


def test_text_that_cannot_start_a_marker_is_not_held_back():
    splitter = StreamSplitter()
    assert splitter.feed("<think>") == []
    assert splitter.feed("\n\nabc") == [Piece("reasoning", "abc")]
    assert splitter.feed(" def.") == [Piece("reasoning", " def.")]


def test_newline_only_chunks_before_block_text_are_dropped():
    splitter = StreamSplitter()
    out = []
    for chunk in ["<think>", "\n", "\n", "x", "\n", "</think>", "\n", "\n", "y"]:
        out.extend(splitter.feed(chunk))
    out.extend(splitter.finish())
    assert merged(out) == [("reasoning", "x\n", True), ("answer", "y", True)]


# --- the same result however the text is cut ------------------------------------------


@pytest.fixture(scope="module")
def whole() -> list[Piece]:
    return run([RAW])


def test_every_single_cut_point(whole):
    for cut in range(len(RAW) + 1):
        assert_same_as_unsplit([RAW[:cut], RAW[cut:]], whole)


def test_every_pair_of_cut_points_around_markers(whole):
    # Two cuts inside and around each marker, where held-back tails matter most.
    starts = [i for i, ch in enumerate(RAW) if ch == "<"]
    for start in starts:
        for a in range(max(0, start - 2), min(len(RAW), start + 13)):
            for b in range(a, min(len(RAW), start + 14)):
                assert_same_as_unsplit([RAW[:a], RAW[a:b], RAW[b:]], whole)


def test_one_character_at_a_time(whole):
    assert_same_as_unsplit(list(RAW), whole)


@pytest.mark.parametrize("seed", range(40))
def test_random_chunkings(whole, seed):
    rng = random.Random(seed)
    chunks = []
    i = 0
    while i < len(RAW):
        n = rng.choice([1, 1, 2, 3, 4, 5, 7, 11, 16, 40])
        chunks.append(RAW[i : i + n])
        i += n
    if seed % 5 == 0:  # empty feeds must change nothing
        for _ in range(5):
            chunks.insert(rng.randrange(len(chunks) + 1), "")
    assert_same_as_unsplit(chunks, whole)


def test_per_kind_text_is_independent_of_cutting(whole):
    expected = {k: texts(whole, k) for k in ("reasoning", "answer")}
    assert expected == {"reasoning": EXPECTED_REASONING, "answer": EXPECTED_ANSWER}
    rng = random.Random(1234)
    for _ in range(100):
        cuts = sorted(rng.sample(range(1, len(RAW)), rng.randint(1, 30)))
        chunks = [RAW[a:b] for a, b in zip([0, *cuts], [*cuts, len(RAW)], strict=True)]
        pieces = run(chunks)
        assert {k: texts(pieces, k) for k in expected} == expected
        assert tools(pieces) == [(t, True) for t in EXPECTED_TOOLS]


def test_cut_anywhere_when_starting_in_reasoning():
    raw = RAW.removeprefix("<think>")
    whole = run([raw], in_reasoning=True)
    assert texts(whole, "reasoning") == EXPECTED_REASONING
    assert texts(whole, "answer") == EXPECTED_ANSWER
    for cut in range(len(raw) + 1):
        pieces = run([raw[:cut], raw[cut:]], in_reasoning=True)
        assert merged(pieces) == merged(whole), f"differs at cut {cut}"
    assert merged(run(list(raw), in_reasoning=True)) == merged(whole)


def test_truncated_turn_cut_anywhere_gives_incomplete_tool_call():
    raw = RAW[: RAW.rindex("</tool_call>") + len("</tool_")]
    whole = run([raw])
    # Leading newlines of a cut-off call are covered by the test above; here only the
    # rest of the text and the completeness flags matter.
    assert [(text.lstrip("\n"), done) for text, done in tools(whole)] == [
        (EXPECTED_TOOLS[0], True),
        (
            '{"name": "web_visit", "arguments": {"url": "https://en.wikipedia.org/wiki/Lagos"}}'
            "\n</tool_",
            False,
        ),
    ]
    for cut in range(len(raw) + 1):
        assert merged(run([raw[:cut], raw[cut:]])) == merged(whole), f"differs at cut {cut}"
