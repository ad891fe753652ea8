"""Checks and helpers of the Settings dialog, shared with the first-run page.

Whether a folder is a model (and how much memory it needs), whether a server URL can
be used, whether the keychain holds a key, and the style rules both pages add to the
app's; each failure is an ``AppError`` whose message says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtWidgets import QWidget

from ii_desktop.core.errors import AppError, ConfigError, ModelFormatError
from ii_desktop.engine import memory
from ii_desktop.engine.model_files import ModelFolder, inspect_model
from ii_desktop.tools import secrets
from ii_desktop.ui import theme

NO_KEYCHAIN_TEXT = (
    "No system keychain is available, so API keys cannot be stored; set {names} in the "
    "environment instead."
)


def format_bytes(n: float) -> str:
    """``2.3 GiB``, ``310 MiB`` or ``2.9 MiB``."""
    mib = n / 1024**2
    if n >= memory.GIB:
        return f"{n / memory.GIB:.1f} GiB"
    return f"{mib:.0f} MiB" if mib >= 10 else f"{mib:.1f} MiB"


def check_model_folder(text: str) -> ModelFolder:
    """``inspect_model`` with every failure turned into a ``ModelError`` in plain words."""
    text = text.strip()
    if not text:
        raise ModelFormatError("Choose the model's folder first.")
    try:
        return inspect_model(text)
    except AppError:
        raise
    except OSError as exc:
        raise ModelFormatError(f"Cannot read {text}: {exc.strerror or exc}.") from None
    except (ValueError, TypeError, KeyError):
        raise ModelFormatError(f"{text} could not be read as a model folder.") from None


def model_setting(text: str, folder: ModelFolder) -> str:
    """What to store for a checked folder: its absolute path, or the Hugging Face id typed."""
    typed = Path(text.strip()).expanduser()
    return str(folder.path) if typed.is_dir() else text.strip()


@dataclass(frozen=True)
class MemoryReport:
    context: int  # the context the estimate is for (the chosen one, capped at the limit)
    limit: int  # the model's limit in this mode
    estimate: memory.MemoryEstimate
    fits: int  # the longest context that fits this machine (0: not even the weights)


def memory_report(
    folder: ModelFolder, context_length: int | None, kv_bits: int | None, long_context: bool
) -> MemoryReport:
    """Memory for ``folder`` at ``context_length`` (None: the model's limit), as model check."""
    try:
        limit = memory.max_context(folder.config, long_context)
        context = min(context_length or limit, limit)
        est = memory.estimate(folder.config, context, kv_bits, folder.path)
        fits = memory.largest_context(folder.config, kv_bits, long_context, folder=folder.path)
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        raise ModelFormatError(
            f"{folder.name}'s config.json lacks the sizes needed to estimate its memory."
        ) from None
    return MemoryReport(context, limit, est, fits)


def check_server_url(url: str) -> None:
    """A ConfigError unless ``url`` is an http(s) URL with a host."""
    if not url:
        return
    if not url.startswith(("http://", "https://")):
        raise ConfigError("The model server URL must start with http:// or https://.")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host or any(ch.isspace() for ch in url):
        raise ConfigError("The model server URL needs a host, like http://localhost:8000/v1.")


def key_is_stored(provider: str) -> bool:
    """Whether the keychain holds a key for ``provider`` (never returns the key)."""
    if not secrets.keychain_available():
        return False
    import keyring
    import keyring.errors

    try:
        return bool((keyring.get_password(secrets.SERVICE, provider) or "").strip())
    except keyring.errors.KeyringError:
        return False


def extra_style(c: theme.Colors) -> str:
    """Rules the app style sheet lacks: message colours, framed lists."""
    return f"""
QLabel#error {{ color: {c.error}; }}
QLabel#warn {{ color: {c.warn}; }}
QLabel#ok {{ color: {c.ok}; }}
QLabel#muted {{ color: {c.muted}; }}
QListWidget#providers {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px; padding: 2px;
}}
QListWidget#providers::item {{ padding: 4px 6px; }}
QListWidget#providers::item:selected {{ background: {c.highlight}; color: {c.text}; }}
QTabWidget::tab-bar {{ alignment: center; }}
QTabWidget::pane {{
    border: 1px solid {c.border}; border-radius: 8px; top: -14px; padding-top: 14px;
}}
QTabBar::tab {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    padding: 5px 14px; margin: 0; min-width: 52px;
}}
QTabBar::tab:first {{ border-top-left-radius: 6px; border-bottom-left-radius: 6px; }}
QTabBar::tab:last {{ border-top-right-radius: 6px; border-bottom-right-radius: 6px; }}
QTabBar::tab:!first {{ border-left: none; }}
QTabBar::tab:selected {{
    background: {c.accent}; color: {c.accent_text}; border-color: {c.accent};
}}
QTabBar::tab:!selected:hover {{ background: {c.sidebar}; }}
QPushButton:default:disabled, QPushButton#primary:disabled {{
    background: {c.surface}; color: {c.muted}; border: 1px solid {c.border};
}}
QAbstractSpinBox {{ padding-right: 22px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 20px; border: none; background: transparent;
}}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QComboBox {{ padding-right: 26px; }}
QComboBox::drop-down {{
    subcontrol-origin: border; subcontrol-position: center right; width: 24px; border: none;
}}
QComboBox QAbstractItemView {{
    background: {c.surface}; border: 1px solid {c.border};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
"""


class SettingsProblem(ConfigError):
    """A setting that cannot be saved, with the tab that holds it."""

    def __init__(self, message: str, tab: QWidget) -> None:
        super().__init__(message)
        self.tab = tab
