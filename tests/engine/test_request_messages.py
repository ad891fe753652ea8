"""What a refused generation request says: the setting in words, the option as typed."""

from __future__ import annotations

import re

import pytest

from ii_desktop.core.errors import UsageError
from ii_desktop.engine.request import GenerationRequest, Sampling

SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: GenerationRequest("c", MESSAGES, max_tokens=0),
            "The tokens per turn limit (--max-tokens) must be at least 1.",
        ),
        (lambda: GenerationRequest("c", []), "There is nothing to send to the model: "
         "the conversation is empty."),
        (lambda: Sampling(temperature=-0.1), "The temperature (--temperature) must be 0 or more."),
        (lambda: Sampling(top_p=0), "Top-p must be more than 0 and at most 1."),
        (lambda: Sampling(top_p=1.5), "Top-p must be more than 0 and at most 1."),
        (lambda: Sampling(top_k=-1), "Top-k must be 0 (off) or more."),
        (lambda: Sampling(repetition_penalty=0), "The repetition penalty must be more than 0."),
    ],
)  # fmt: skip
def test_a_refused_request_says_which_setting_in_words(make, message):
    with pytest.raises(UsageError) as caught:
        make()
    assert str(caught.value) == message
    assert not SNAKE_CASE.search(str(caught.value))


def test_the_limits_themselves_are_accepted():
    assert GenerationRequest("c", MESSAGES, max_tokens=1).max_tokens == 1
    assert Sampling(temperature=0, top_p=1, top_k=0, repetition_penalty=0.01).top_k == 0
