"""Helpers for widget tests."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QWidget


def all_text(widget: QWidget) -> str:
    """Every string a widget shows or announces: texts, placeholders, accessible names,
    tooltips and window titles, of it and all its children."""
    parts: list[str] = []
    for child in [widget, *widget.findChildren(QWidget)]:
        parts += [child.accessibleName(), child.toolTip(), child.windowTitle()]
        if isinstance(child, QLabel | QAbstractButton):
            parts.append(child.text())
        if isinstance(child, QLineEdit):
            parts += [child.text(), child.placeholderText(), child.displayText()]
        if isinstance(child, QPlainTextEdit):
            parts.append(child.toPlainText())
    return "\n".join(parts)
