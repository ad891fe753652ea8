"""Streaming Markdown: finished blocks are converted once, bursts are spread out."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTextBrowser

from ii_desktop.ui.markdown_stream import (
    MARKDOWN,
    MAX_COMMIT_CHARS,
    BlockScanner,
    MarkdownStream,
    split_finished,
)

pytestmark = pytest.mark.gui


def test_finished_blocks_end_at_blank_lines_outside_code_fences():
    assert split_finished("one\n\ntwo") == len("one\n\n")
    assert split_finished("```\na\n\nb") == 0  # inside an open fence
    assert split_finished("```\na\n\nb\n```\n\nc") == len("```\na\n\nb\n```\n\n")
    assert split_finished("no block yet") == 0


def test_streamed_text_renders_like_the_whole_text(qtbot):
    answer = "".join(
        f"## Part {i}\n\nThe Seine is **777 km** long.\n\n- a\n- b\n\n" for i in range(40)
    )
    view = QTextBrowser()
    qtbot.addWidget(view)
    stream = MarkdownStream(view)
    for i in range(0, len(answer), 37):
        stream.append(answer[i : i + 37])
    stream.finish(changed_links=False)
    reference = QTextBrowser()
    qtbot.addWidget(reference)
    reference.document().setMarkdown(answer, MARKDOWN)
    assert view.document().toPlainText().split() == reference.document().toPlainText().split()


def test_a_burst_is_committed_a_slice_at_a_time(qtbot):
    block = "A paragraph about the river and its towns, long enough to count. " * 3 + "\n\n"
    answer = block * (3 * MAX_COMMIT_CHARS // len(block) + 2)
    view = QTextBrowser()
    qtbot.addWidget(view)
    stream = MarkdownStream(view)
    stream.set_text(answer)  # everything at once
    assert stream.behind
    drawn = len(view.document().toPlainText())
    assert drawn < len(answer) / 2
    updates = 1
    while stream.behind:
        stream.catch_up()
        updates += 1
    stream.catch_up()
    assert updates >= 3
    assert view.document().toPlainText().count("A paragraph") == answer.count("A paragraph")


def test_the_scanner_agrees_with_a_fresh_scan_as_the_text_grows():
    text = "".join(
        f"Para {i}\n\n```\ncode {i}\n\nstill code\n```\n\n- item\n~~~\nx\n~~~\n" for i in range(30)
    )
    scanner = BlockScanner()
    for end in range(0, len(text) + 1, 7):
        assert scanner.finished(text[:end]) == split_finished(text[:end])
    # a text that is not an extension of the last one is scanned afresh
    assert scanner.finished("new\n\ntext") == len("new\n\n")


def test_a_commit_takes_whole_blocks_and_a_long_block_goes_in_whole():
    short = "Short block.\n\n"
    long = "x" * 500 + "\n\n"
    text = short * 3 + long + short + "tail"
    scanner = BlockScanner()
    # within the limit: every finished block
    assert scanner.commit_point(text, 0, 10_000) == len(text) - len("tail")
    # a limit of two blocks: the last block end within it
    assert scanner.commit_point(text, 0, 2 * len(short)) == 2 * len(short)
    # the next block is longer than the limit: it goes in whole, never all that is left
    start = 3 * len(short)
    assert scanner.commit_point(text, start, 100) == start + len(long)
    assert scanner.commit_point("nothing finished", 0, 100) == 0
