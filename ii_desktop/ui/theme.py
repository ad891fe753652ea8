"""Light and dark appearance, following the system and switching live.

Colours come from one table per scheme; widgets that render HTML (answers, sources)
ask ``colors()`` when they render, and the window re-applies the style sheet when
the system's scheme changes (``QStyleHints.colorSchemeChanged``).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication


@dataclass(frozen=True)
class Colors:
    window: str
    surface: str  # cards: a run, the composer
    sidebar: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    link: str
    ok: str
    warn: str
    error: str
    highlight: str  # a source revealed by its citation
    code: str


LIGHT = Colors(
    window="#f6f6f7",
    surface="#ffffff",
    sidebar="#ececee",
    text="#1d1d1f",
    muted="#6e6e73",
    border="#d9d9de",
    accent="#0a64d8",
    accent_text="#ffffff",
    link="#0a64d8",
    ok="#1f8a3a",
    warn="#b26a00",
    error="#c9302c",
    highlight="#fff3c4",
    code="#f1f1f4",
)
DARK = Colors(
    window="#1e1e20",
    surface="#2a2a2d",
    sidebar="#252527",
    text="#f2f2f5",
    muted="#9a9aa1",
    border="#3b3b40",
    accent="#3d8bfd",
    accent_text="#ffffff",
    link="#6aa9ff",
    ok="#4cc46a",
    warn="#e0a23a",
    error="#ff6b61",
    highlight="#4a4020",
    code="#343438",
)

_forced: bool | None = None  # set by screenshots and tests (--dark)


def force_scheme(dark: bool | None) -> None:
    """Use this scheme whatever the system says (None: follow the system again)."""
    global _forced
    _forced = dark


def is_dark() -> bool:
    if _forced is not None:
        return _forced
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def colors() -> Colors:
    return DARK if is_dark() else LIGHT


def stylesheet(c: Colors | None = None) -> str:
    """The window's style sheet: quiet surfaces, one accent, rounded cards."""
    c = c or colors()
    return f"""
QMainWindow, QDialog, QWidget#page {{ background: {c.window}; color: {c.text}; }}
QWidget {{ color: {c.text}; }}
QWidget#sidebar {{ background: {c.sidebar}; border-right: 1px solid {c.border}; }}
QListWidget, QListView {{ background: transparent; border: none; outline: none; }}
QListWidget::item {{ padding: 6px 8px; border-radius: 6px; }}
QListWidget::item:selected {{ background: {c.accent}; color: {c.accent_text}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px;
    padding: 4px 6px; selection-background-color: {c.accent};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border: 1px solid {c.accent}; }}
QPushButton {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px;
    padding: 5px 12px;
}}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:default, QPushButton#primary {{
    background: {c.accent}; color: {c.accent_text}; border: 1px solid {c.accent};
}}
QPushButton:disabled {{ color: {c.muted}; }}
QPushButton:default:disabled, QPushButton#primary:disabled {{
    background: {c.surface}; color: {c.muted}; border: 1px solid {c.border};
}}
QFrame#card {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; }}
QLabel#muted, QLabel#stats {{ color: {c.muted}; }}
QLabel#question {{ font-weight: 600; }}
QLabel#banner {{
    background: {c.highlight}; border: 1px solid {c.border}; border-radius: 6px; padding: 8px;
}}
QToolButton {{ border: none; color: {c.muted}; padding: 2px 4px; }}
QToolButton:hover {{ color: {c.text}; }}
QTextBrowser, QPlainTextEdit#reasoning {{ background: transparent; border: none; padding: 0; }}
QPlainTextEdit#reasoning {{ color: {c.muted}; }}
QScrollArea {{ border: none; background: transparent; }}
QStatusBar {{ color: {c.muted}; }}
QMenuBar {{ background: {c.window}; border-bottom: 1px solid {c.border}; }}
QMenuBar::item {{ background: transparent; padding: 3px 8px; }}
QMenuBar::item:selected {{ background: {c.surface}; border-radius: 4px; }}
QSplitter::handle {{ background: {c.border}; width: 1px; }}
QTabWidget::pane {{ border: 1px solid {c.border}; border-radius: 6px; }}
QComboBox {{ padding-right: 26px; }}
QComboBox::drop-down {{
    subcontrol-origin: border; subcontrol-position: center right; width: 24px; border: none;
}}
QComboBox QAbstractItemView {{
    background: {c.surface}; border: 1px solid {c.border}; color: {c.text};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
"""


def apply_link_color(widget: object) -> None:
    """Links in a text view take the scheme's link colour (Markdown links use the palette)."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    c = colors()
    palette = widget.palette()  # type: ignore[attr-defined]
    palette.setColor(QPalette.ColorRole.Link, QColor(c.link))
    palette.setColor(QPalette.ColorRole.Text, QColor(c.text))
    widget.setPalette(palette)  # type: ignore[attr-defined]
    # Qt's Markdown reader colours links from the application palette
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.palette().color(QPalette.ColorRole.Link) != QColor(
        c.link
    ):
        app_palette = app.palette()
        app_palette.setColor(QPalette.ColorRole.Link, QColor(c.link))
        app.setPalette(app_palette)
