"""A process that records a long research stream into a notebook (run by the crash tests).

    python -m tests.notebooks.record_stream DATA_DIR TITLE RUN_ID COUNT [DELAY]

Prints ``i t`` after handing event ``i`` to the recorder (t: time.time()), so the
test knows what was sent before it killed the process. Reasoning deltas come first
(``r{i};``), with one search and one page visit, then answer deltas (``a{i} ``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ii_desktop.agent.events import Answer, Reasoning, RunFinished, RunStarted
from ii_desktop.agent.history import PastRun
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks import start_recording
from tests.notebooks.runs import WIKI, search_call, visit_call

ANSWER_FROM = 300


def main() -> int:
    data_dir, title, run_id, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.001
    question = f"Stream {run_id}"
    recorder = start_recording(AppPaths(Path(data_dir)), question, "normal", title, run_id)
    recorder(RunStarted(run_id, question, "normal"))
    answer = []
    for i in range(count):
        if i == 100:
            for event in search_call(run_id, "call_1_0", "eiffel tower"):
                recorder(event)
            for event in visit_call(run_id, "call_2_0", WIKI):
                recorder(event)
        if i < ANSWER_FROM:
            recorder(Reasoning(run_id, f"r{i};"))
        else:
            answer.append(f"a{i} ")
            recorder(Answer(run_id, f"a{i} "))
        print(i, repr(time.time()), flush=True)
        time.sleep(delay)
    recorder(RunFinished(run_id, "answered", "".join(answer).strip()))
    recorder.close(PastRun(question, "normal", "".join(answer).strip()), "A system prompt.")
    print("closed", recorder.save_problem or "", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
