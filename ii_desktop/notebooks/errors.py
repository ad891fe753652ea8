"""What can go wrong with notebooks, in words a user can act on.

AppError (core)
└── NotebookError            the notebook store cannot do what was asked
    ├── NotebookNotFound     no notebook or run with that id (or the prefix is ambiguous)
    ├── StoreUnavailable     the database cannot be opened or written (disk, permissions)
    └── ImportFailed         a file that is not an exported notebook; nothing was imported
"""

from __future__ import annotations

import sqlite3

from ii_desktop.core.errors import AppError


class NotebookError(AppError):
    pass


class NotebookNotFound(NotebookError):
    pass


class StoreUnavailable(NotebookError):
    pass


class ImportFailed(NotebookError):
    exit_code = 2


def describe_sqlite_error(exc: sqlite3.Error) -> str:
    """A short reason for a SQLite failure; the codes a user can do something about first."""
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return "the disk is full"
    if name.startswith("SQLITE_READONLY"):
        return "the data folder is read-only"
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return "another ii-desktop process kept the database busy"
    if name.startswith("SQLITE_CANTOPEN"):
        return "the database file cannot be opened"
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return "its notebook was deleted meanwhile"
    if name.startswith("SQLITE_IOERR"):
        return "the disk reported an input/output error"
    return str(exc) or type(exc).__name__
