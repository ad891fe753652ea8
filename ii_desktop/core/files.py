"""Files written whole or not at all, safe against whatever already lies in their folder.

``write_atomically`` writes to a temporary file that it creates itself, under a random
name and only if no file, link or anything else has that name, then moves it onto the
target: a link planted beside the target (``notes.md.part``) is never followed, and a
reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ii_desktop.core.text import valid_unicode


def _read_umask() -> int:
    # umask can only be read by setting it; done once, when the module loads
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path``, replacing what was there in one step.

    The temporary file is created exclusively in the target's folder, written, flushed
    to disk and renamed onto ``path``; on any failure it is removed and the error (an
    OSError for the file system's refusals) raised again, leaving ``path`` as it was.
    """
    path = Path(path)
    payload = valid_unicode(data).encode("utf-8") if isinstance(data, str) else data
    # mkstemp opens with O_CREAT | O_EXCL: an existing name, link or not, is never reused
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            # the file a user exports is theirs to share: the usual mode, not mkstemp's 0600
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), 0o666 & ~_UMASK)
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows; harmless where not."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    with contextlib.suppress(OSError):
        fd = os.open(folder, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
