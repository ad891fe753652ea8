"""Starting research runs: one place for the CLI, the window and later fact checking.

A ``ResearchSession`` holds one engine for its whole life (so each notebook's KV cache
survives between questions), the tool settings and the data folder. ``start`` runs a
question on its own thread, records every event into a notebook as it arrives, and
reports events through one callback; the returned ``ActiveRun`` cancels or waits.
No Qt here: the window turns the callback into a queued signal.
"""

from ii_desktop.research.engines import build_engine, describe_engine
from ii_desktop.research.session import ActiveRun, ResearchSession

__all__ = ["ActiveRun", "ResearchSession", "build_engine", "describe_engine"]
