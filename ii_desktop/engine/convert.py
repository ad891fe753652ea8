"""mlx-lm's converter and loader for the model manager's on-device copies: the one
place outside the engine thread that runs mlx, kept here with the rest of it.

Both run on the caller's thread (the model manager's worker) and raise what mlx-lm
raises; ``ii_desktop.models.quantize`` turns that into plain words.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def convert_quantized(src: Path, out: Path, bits: int, group_size: int) -> None:
    """Write a ``bits``-bit copy of the model folder ``src`` into ``out`` (which must not
    exist) with mlx-lm's converter."""
    from mlx_lm import convert

    # the converter prints its own "[INFO] ..." lines; the caller reports its own stages
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):
            convert(str(src), str(out), quantize=True, q_bits=bits, q_group_size=group_size)
    finally:
        for line in said.getvalue().splitlines():
            log.debug("converter: %s", line)


def load_once(folder: Path) -> None:
    """Load the model in ``folder`` with mlx-lm, to prove it loads; the weights are freed
    when this returns."""
    from mlx_lm import load

    load(str(folder))
