"""The tiny model's chat template renders exactly what Qwen3's template renders.

The expected strings are written out from the fixed strings of Qwen3's chat format, so
a template that drifts from the format the real model was trained on fails here.
"""

from __future__ import annotations

import json

import pytest

from ii_desktop.engine.request import GenerationRequest
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA
from tests.helpers.engine import start_engine

pytestmark = pytest.mark.mlx

TOOLS = [WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA]
TOOLS_BLOCK = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
    + "".join("\n" + json.dumps(t, ensure_ascii=False) for t in TOOLS)
    + "\n</tools>\n\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
)
CALL_1 = '<tool_call>\n{"name": "web_search", "arguments": {"query": "Seine length"}}\n</tool_call>'
CALL_2 = (
    '<tool_call>\n{"name": "web_visit", "arguments": {"url": "https://a.org/seine"}}\n</tool_call>'
)
CALL_3 = (
    '<tool_call>\n{"name": "web_visit", "arguments": {"url": "https://b.org/seine"}}\n</tool_call>'
)


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    yield engine
    engine.close()


def render(engine, messages, tools=TOOLS, generation_prompt=True, thinking=True):
    def go(e):
        return e._render(messages, tools, thinking, generation_prompt)[0]

    return engine.run_on_thread(go).result()


def test_two_round_research_prompt_matches_qwen3_character_by_character(engine):
    messages = [
        {"role": "system", "content": "Be careful."},
        {"role": "user", "content": "How long is the Rhine?"},
        {"role": "assistant", "content": "<think>\nOld thoughts.\n</think>\n\nAbout 1,230 km."},
        {"role": "user", "content": "And the Seine?"},
        {"role": "assistant", "content": "<think>\nSearch first.\n</think>\n\n" + CALL_1},
        {"role": "tool", "content": "Index: 0\nURL: https://a.org/seine\nTitle: Seine"},
        {
            "role": "assistant",
            "content": "<think>\nRead both.\n</think>\n\n" + CALL_2 + "\n" + CALL_3,
        },
        {"role": "tool", "content": "The Seine is 777 km long."},
        {"role": "tool", "content": "Error: blocked"},
    ]
    expected = (
        "<|im_start|>system\nBe careful.\n\n"
        + TOOLS_BLOCK
        + "<|im_start|>user\nHow long is the Rhine?<|im_end|>\n"
        # before the last question: reasoning dropped
        + "<|im_start|>assistant\nAbout 1,230 km.<|im_end|>\n"
        + "<|im_start|>user\nAnd the Seine?<|im_end|>\n"
        # after it: reasoning kept, in the fixed think frame
        + "<|im_start|>assistant\n<think>\nSearch first.\n</think>\n\n"
        + CALL_1
        + "<|im_end|>\n"
        + "<|im_start|>user\n<tool_response>\nIndex: 0\nURL: https://a.org/seine\nTitle: Seine"
        + "\n</tool_response><|im_end|>\n"
        + "<|im_start|>assistant\n<think>\nRead both.\n</think>\n\n"
        + CALL_2
        + "\n"
        + CALL_3
        + "<|im_end|>\n"
        # consecutive tool messages share one user turn
        + "<|im_start|>user\n<tool_response>\nThe Seine is 777 km long.\n</tool_response>"
        + "\n<tool_response>\nError: blocked\n</tool_response><|im_end|>\n"
        + "<|im_start|>assistant\n"
    )
    assert render(engine, messages) == expected


def test_last_assistant_turn_after_the_question_gets_an_empty_think_frame(engine):
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    assert render(engine, messages, tools=None, generation_prompt=False) == (
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\nHello.<|im_end|>\n"
    )


def test_without_a_user_question_no_reasoning_is_kept(engine):
    messages = [
        {"role": "system", "content": "S"},
        {"role": "assistant", "content": "<think>\nA\n</think>\n\nOne."},
        {"role": "assistant", "content": "<think>\nB\n</think>\n\nTwo."},
    ]
    assert render(engine, messages, tools=None, generation_prompt=False) == (
        "<|im_start|>system\nS<|im_end|>\n"
        "<|im_start|>assistant\nOne.<|im_end|>\n<|im_start|>assistant\nTwo.<|im_end|>\n"
    )


def test_reasoning_content_field_wins_over_parsed_reasoning(engine):
    messages = [
        {"role": "user", "content": "Q"},
        {
            "role": "assistant",
            "content": "<think>\nparsed\n</think>\n\nAnswer.",
            "reasoning_content": "\nfield\n",
        },
    ]
    assert render(engine, messages, tools=None, generation_prompt=False) == (
        "<|im_start|>user\nQ<|im_end|>\n"
        "<|im_start|>assistant\n<think>\nfield\n</think>\n\n"
        "<think>\nparsed\n</think>\n\nAnswer.<|im_end|>\n"
    )


def test_structured_tool_calls_and_a_later_system_turn(engine):
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "web_search", "arguments": {"query": "x"}},
                },
                {"function": {"name": "web_visit", "arguments": '{"url": "https://x.org"}'}},
            ],
        },
        {"role": "tool", "content": "R"},
        {"role": "system", "content": "Later."},
    ]
    assert render(engine, messages) == (
        "<|im_start|>system\nS\n\n" + TOOLS_BLOCK + "<|im_start|>user\nQ<|im_end|>\n"
        "<|im_start|>assistant\n"
        '<tool_call>\n{"name": "web_search", "arguments": {"query": "x"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "web_visit", "arguments": {"url": "https://x.org"}}\n</tool_call>'
        "<|im_end|>\n<|im_start|>user\n<tool_response>\nR\n</tool_response><|im_end|>\n"
        "<|im_start|>system\nLater.<|im_end|>\n<|im_start|>assistant\n"
    )


def test_tools_without_a_system_message_and_thinking_off(engine):
    text = render(engine, [{"role": "user", "content": "Q"}], thinking=False)
    assert text == (
        "<|im_start|>system\n" + TOOLS_BLOCK + "<|im_start|>user\nQ<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )


def test_a_request_renders_through_the_same_template(engine):
    request = GenerationRequest("t", [{"role": "user", "content": "Q"}])
    text, tokens = engine.run_on_thread(lambda e: e.render(request)).result()
    assert text == "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
    assert tokens
