"""Render the app icon from resources/icons/ii-desktop.svg: a 1024 px PNG and the macOS .icns.

Run from the repository root with the project's venv:
``.venv/bin/python packaging/make_icons.py``. On macOS ``iconutil`` builds the .icns from
an iconset; elsewhere (or with ``--no-iconutil``) the file is written here: an ICNS file
is the bytes ``icns``, its total length, then entries of a 4-byte type, a 4-byte length
and a PNG payload. Both outputs are committed, so a build needs neither step.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "ii-desktop.svg"
PNG_OUT = ICONS / "ii-desktop-1024.png"
ICNS_OUT = ICONS / "ii-desktop.icns"

# ICNS entry types with PNG payloads and their pixel sizes (macOS 10.8 and newer read all).
ICNS_TYPES = (
    (b"ic11", 32),  # 16 pt @2x
    (b"ic12", 64),  # 32 pt @2x
    (b"ic07", 128),
    (b"ic13", 256),  # 128 pt @2x
    (b"ic08", 256),
    (b"ic14", 512),  # 256 pt @2x
    (b"ic09", 512),
    (b"ic10", 1024),  # 512 pt @2x
)
# iconutil's iconset: file name -> pixel size.
ICONSET = {
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
    "icon_512x512@2x.png": 1024,
}


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent square of ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG image Qt can read.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def icns_bytes(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An ICNS file from (4-byte type, PNG payload) pairs."""
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in entries)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icns_here(svg: Path, out: Path) -> None:
    rendered: dict[int, bytes] = {}
    entries = []
    for kind, size in ICNS_TYPES:
        if size not in rendered:
            rendered[size] = render_png(svg, size)
        entries.append((kind, rendered[size]))
    out.write_bytes(icns_bytes(entries))


def write_icns_iconutil(svg: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        iconset = Path(tmp) / "ii-desktop.iconset"
        iconset.mkdir()
        for name, size in ICONSET.items():
            (iconset / name).write_bytes(render_png(svg, size))
        subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(out)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-iconutil", action="store_true", help="write the .icns here")
    args = parser.parse_args(argv)
    PNG_OUT.write_bytes(render_png(SOURCE, 1024))
    if sys.platform == "darwin" and shutil.which("iconutil") and not args.no_iconutil:
        write_icns_iconutil(SOURCE, ICNS_OUT)
    else:
        write_icns_here(SOURCE, ICNS_OUT)
    for path in (PNG_OUT, ICNS_OUT):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
