"""Starting research runs: one place for the CLI, the window and later fact checking.

A ``ResearchSession`` holds one engine for its whole life (so each notebook's KV cache
survives between questions), the tool settings and the data folder. ``start`` runs a
question on its own thread, records every event into a notebook as it arrives, and
reports events through one callback; the returned ``ActiveRun`` cancels or waits.
No Qt here: the window turns the callback into a queued signal.
"""

# Names load on first use, so importing one submodule (the window's first paint needs
# only a few) does not pull in every dependency of the package.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ii_desktop.research.engines import build_engine, describe_engine
    from ii_desktop.research.session import ActiveRun, ResearchSession

_EXPORTS = {
    "ActiveRun": "ii_desktop.research.session",
    "ResearchSession": "ii_desktop.research.session",
    "build_engine": "ii_desktop.research.engines",
    "describe_engine": "ii_desktop.research.engines",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["ActiveRun", "ResearchSession", "build_engine", "describe_engine"]
