"""Small widgets the app's style sheet needs: spin boxes and popups that draw their own
chevrons (a style sheet that rounds their frames also removes the native arrows); and the
one confirmation dialog, whose buttons say what they do."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QMessageBox,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionSpinBox,
    QWidget,
)

from ii_desktop.ui import theme


def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    action: str,
    cancel: str = "Cancel",
    destructive: bool = False,
) -> bool:
    """Ask before doing something; True when the user chose ``action``. The buttons are
    named for what they do (as the Mac guidelines ask: "Delete", not "Yes"); Cancel is
    the default and Escape's answer, so a stray Return never destroys anything."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(text)
    role = (
        QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    )
    chosen = box.addButton(action, role)
    keep = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is chosen


def _chevron(painter: QPainter, rect: QRect, up: bool, color: QColor) -> None:
    """A small chevron centred in ``rect``: the style sheet leaves the arrows to us."""
    pen = QPen(color, 1.6)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    c = QPointF(rect.center()) + QPointF(0.5, 0.5)
    w, h = 3.5, 2.0 if up else -2.0
    painter.drawPolyline([c + QPointF(-w, h), c + QPointF(0, -h), c + QPointF(w, h)])


class _SpinArrows:
    """Draws the up and down chevrons of a spin box styled by the app's style sheet."""

    def _paint_arrows(self, spin: QAbstractSpinBox) -> None:
        opt = QStyleOptionSpinBox()
        spin.initStyleOption(opt)
        steps = spin.stepEnabled()
        colors = theme.colors()
        painter = QPainter(spin)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for control, flag, up in (
            (QStyle.SubControl.SC_SpinBoxUp, QAbstractSpinBox.StepEnabledFlag.StepUpEnabled, True),
            (
                QStyle.SubControl.SC_SpinBoxDown,
                QAbstractSpinBox.StepEnabledFlag.StepDownEnabled,
                False,
            ),
        ):
            rect = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, opt, control, spin)
            on = spin.isEnabled() and bool(steps & flag)
            _chevron(painter, rect, up, QColor(colors.muted if on else colors.border))
        painter.end()


class SpinBox(QSpinBox, _SpinArrows):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lineEdit().setTextMargins(5, 0, 0, 0)  # the style sheet's padding is not applied

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._paint_arrows(self)


class DoubleSpinBox(QDoubleSpinBox, _SpinArrows):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lineEdit().setTextMargins(5, 0, 0, 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._paint_arrows(self)


class ComboBox(QComboBox):
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        rect = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxArrow, self
        )
        colors = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(colors.muted if self.isEnabled() else colors.border)
        _chevron(painter, rect.adjusted(0, -4, 0, -4), True, color)
        _chevron(painter, rect.adjusted(0, 4, 0, 4), False, color)
        painter.end()
