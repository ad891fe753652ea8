"""Where the app's bundled files (icons, other assets) live at run time.

In a source checkout they sit in ``resources/`` next to the package; in a PyInstaller
bundle they are unpacked under ``sys._MEIPASS`` (``Contents/Frameworks`` in the macOS
app, ``_internal`` on Linux), where the build spec copies the same ``resources/`` tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

RESOURCES_DIR = "resources"
APP_ICON_SVG = ("icons", "ii-desktop.svg")
APP_ICON_PNG = ("icons", "ii-desktop-1024.png")


def bundle_root() -> Path | None:
    """The folder a frozen build unpacked itself into, or None when running from source."""
    root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and isinstance(root, str) and root:
        return Path(root)
    return None


def resources_dir() -> Path:
    """The ``resources`` folder: inside the bundle when frozen, else the checkout's."""
    root = bundle_root()
    if root is not None:
        return root / RESOURCES_DIR
    return Path(__file__).resolve().parents[2] / RESOURCES_DIR


def resource_path(*parts: str) -> Path | None:
    """An existing file under ``resources``, or None when this install lacks it."""
    path = resources_dir().joinpath(*parts)
    return path if path.is_file() else None


def app_icon() -> Path | None:
    """The window icon: the 1024 px PNG (no image plugin needed), else the SVG source."""
    return resource_path(*APP_ICON_PNG) or resource_path(*APP_ICON_SVG)
