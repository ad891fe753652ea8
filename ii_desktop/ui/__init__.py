"""The desktop app: Qt widgets only, never the model itself.

Everything that imports PySide6 lives here; the engine and the core stay free of Qt.
"""
