"""The compact history a follow-up starts with: what it holds, and what it leaves out."""

from __future__ import annotations

import itertools

from ii_desktop.agent.history import (
    DROP_BLOCK,
    PastRun,
    build_history,
    compact_answer,
    estimated_tokens,
    first_kept,
    history_budget,
)


def runs(n: int, answer_chars: int = 900) -> list[PastRun]:
    return [
        PastRun(f"Question {i}?", "normal", f"Answer {i}. " + "x" * answer_chars) for i in range(n)
    ]


def test_the_compact_answer_lists_each_page_read_once():
    pages = [("The Seine", "https://a.org/seine"), ("", "https://b.org/x")]
    text = compact_answer("  The Seine is 777 km long.  ", [*pages, pages[0]])
    assert text == (
        "The Seine is 777 km long.\n\nPages read:\n"
        "- The Seine: https://a.org/seine\n- https://b.org/x"
    )
    assert compact_answer("No pages.") == "No pages."


def test_everything_fits_until_the_budget_then_blocks_are_left_out():
    past = runs(40)
    budget = sum(estimated_tokens(r) for r in past[:20])
    assert first_kept(past[:20], budget) == 0
    history = build_history("System.", past, budget)
    assert history.left_out % DROP_BLOCK == 0 and history.left_out > 0
    kept = past[history.left_out :]
    assert sum(estimated_tokens(r) for r in kept) <= budget
    assert history.messages[0] == {"role": "system", "content": "System."}
    assert history.messages[1] == {"role": "user", "content": kept[0].question}
    assert history.messages[-1] == {"role": "assistant", "content": kept[-1].answer}
    assert len(history.messages) == 1 + 2 * len(kept)


def test_the_start_moves_a_block_at_a_time_as_the_notebook_grows():
    """Between jumps, each new run only adds to the end: the cache keeps its prefix."""
    past = runs(120)
    budget = history_budget(32_768)
    starts = [first_kept(past[:n], budget) for n in range(1, len(past) + 1)]
    assert starts == sorted(starts)
    assert all(s % DROP_BLOCK == 0 for s in starts)
    jumps = sum(1 for a, b in itertools.pairwise(starts) if b != a)
    assert 0 < jumps <= len(past) // DROP_BLOCK


def test_one_huge_answer_leaves_out_the_rest_rather_than_everything():
    past = [*runs(3), PastRun("Big?", "report", "y" * 200_000), *runs(2)]
    budget = 2_000
    start = first_kept(past, budget)
    assert start == 4, "the runs after the huge one are kept"
    assert build_history("S", past, budget).left_out == 4
