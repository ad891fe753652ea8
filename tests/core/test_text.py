"""Text from outside made safe to keep and to print."""

from __future__ import annotations

from ii_desktop.core.text import printable, valid_unicode


def test_escape_sequences_and_controls_do_not_reach_a_terminal():
    title = "Page\x1b]0;owned\x07 one\x1b[2J two\x1b]52;c;c2VjcmV0\x07 three\x9b31m\x00"
    assert printable(title) == "Page one two three31m"
    assert printable("line one\n\tline two") == "line one\n\tline two"


def test_lone_surrogates_become_replacement_characters():
    assert valid_unicode("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert valid_unicode("fine ✓") == "fine ✓"
    assert printable("x\ud800").encode("utf-8") == "x\ufffd".encode()
