"""Reuse matches what the cache holds, not a fresh tokenization of the prompt."""

from __future__ import annotations

import re

import pytest

from ii_desktop.engine.kv_store import common_prefix
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.reuse import plan_reuse
from ii_desktop.engine.scripted import ScriptedOutput
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA
from tests.helpers.engine import SYSTEM, assistant, start_engine, tokens_held, user

TOOLS = [WEB_SEARCH_SCHEMA]
TOOL_TURN = (
    "<think>\nI should search for the length of the river first.\n</think>\n\n<tool_call>\n"
    '{"name": "web_search", "arguments": {"query": "length of the Seine river"}}\n</tool_call>'
)
SEARCH = "Index: 0\nURL: https://example.org/seine\nTitle: Seine\nPreview: The Seine is 777 km."
MARKERS = re.compile(r"(<think>|</think>|<tool_call>|</tool_call>)")

# a toy vocabulary: "ab" is one token canonically, but a model may write "a", "b"
# and two byte fragments that both decode to U+FFFD
VOCAB = ["a", "b", "ab", "c", "<e>", "\ufffd", "\ufffd"]


def _decode(ids):
    return "".join(VOCAB[i] for i in ids)


def _encode(text):
    out, i = [], 0
    while i < len(text):
        for piece in ("<e>", "ab"):
            if text.startswith(piece, i):
                out.append(VOCAB.index(piece))
                i += len(piece)
                break
        else:
            out.append(VOCAB.index(text[i]))
            i += 1
    return out


def test_non_canonical_cached_tokens_are_kept_when_their_text_matches():
    held = [3, 0, 1, 4]  # c a b <e>: "cab<e>", canonically c ab <e>
    text = "cab<e>cab"
    tokens, reused = plan_reuse(held, _encode(text), text, _decode, _encode)
    assert tokens == [3, 0, 1, 4, 3, 2] and reused == 4
    assert _decode(tokens) == text


def test_a_diverging_cache_keeps_its_longest_matching_text():
    held = [3, 0, 1, 1, 1]  # "cabbb"
    text = "cab<e>"
    tokens, reused = plan_reuse(held, _encode(text), text, _decode, _encode)
    assert tokens[:reused] == [3, 0, 1] and _decode(tokens) == text


def test_canonical_caches_and_cold_caches_take_the_plain_path():
    text = "cab<e>"
    canonical = _encode(text)
    assert plan_reuse(canonical[:2], canonical, text, _decode, _encode) == (canonical, 2)
    assert plan_reuse([], canonical, text, _decode, _encode) == (canonical, 0)
    # the whole prompt cached: its last token is still run
    assert plan_reuse(canonical, canonical, text, _decode, _encode) == (
        canonical,
        len(canonical) - 1,
    )


def test_replacement_characters_never_count_as_matching_text():
    held = [3, 6, 0]  # "c\ufffda", but other bytes than the prompt's U+FFFD
    text = "c\ufffdab"
    tokens, reused = plan_reuse(held, _encode(text), text, _decode, _encode)
    assert reused == 1 and _decode(tokens) == text


@pytest.mark.mlx
def test_tool_round_after_a_non_canonically_sampled_reply_prefills_only_the_tool_turn(
    tiny_model_dir,
):
    engine = start_engine(tiny_model_dir)
    try:

        def forced(e):
            tok = e._tokenizer
            ids = []
            for part in MARKERS.split(TOOL_TURN):
                if MARKERS.fullmatch(part):
                    ids += tok.encode(part, add_special_tokens=False)
                else:  # one token per character: how a sampler may spell the reply
                    for ch in part:
                        ids += tok.encode(ch, add_special_tokens=False)
            end = tok.convert_tokens_to_ids("<|im_end|>")
            return ids, ScriptedOutput(ids, end, e._model.args.vocab_size)

        ids, processor = engine.run_on_thread(forced).result()
        canonical_reply = engine.run_on_thread(
            lambda e: e._tokenizer.encode(TOOL_TURN, add_special_tokens=False)
        ).result()
        assert len(ids) > len(canonical_reply) + 20  # really non-canonical

        base = [{"role": "system", "content": SYSTEM}, user("How long is the Seine?")]
        first = engine.generate(
            GenerationRequest(
                "t",
                base,
                tools=TOOLS,
                sampling=Sampling.greedy(),
                max_tokens=400,
                logits_processors=[processor],
            )
        )
        assert first.wait(60).raw_text == TOOL_TURN
        held, _ = tokens_held(engine, "t")

        after = [*base, assistant(TOOL_TURN), {"role": "tool", "content": SEARCH}]

        def plan(e):
            text, canonical = e.render(GenerationRequest("x", after, tools=TOOLS))
            rest = text[len(e._decode(held)) :]
            return len(e._encode(rest)), common_prefix(held, canonical)

        tool_turn_tokens, canonical_shared = engine.run_on_thread(plan).result()
        second = engine.generate(
            GenerationRequest("t", after, tools=TOOLS, sampling=Sampling.greedy(), max_tokens=4)
        )
        second.wait(60)
        assert second.stats.reused_tokens == len(held)
        assert second.stats.prefilled_tokens == tool_turn_tokens
        # matching fresh tokenizations would have prefilled the reply again
        assert len(held) - canonical_shared > 40
    finally:
        engine.close()
