"""What the bundle holds and how macOS sees it: one place for the build spec and its tests.

``ii-desktop.spec`` imports this module (PyInstaller runs the spec with this folder in
reach); ``tests/test_packaging.py`` imports it too, so the Info.plist the tests check is
the one the build writes. Nothing here needs PyInstaller.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import re
from pathlib import Path
from typing import Any

APP_NAME = "ii-desktop"
# Stable across versions: macOS keys permissions, Dock entries and file associations on it.
BUNDLE_ID = "ai.ii.desktop"
# mlx 0.32's lowest macOS wheel is macosx_14_0_arm64; PySide6 6.12's is macosx_14_0.
MIN_MACOS = "14.0"
ICNS_NAME = "ii-desktop.icns"

# The app imports only QtCore, QtGui and QtWidgets (grep "from PySide6" in ii_desktop);
# everything else in PySide6 stays out, and with it the Qt libraries it would drag in.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets")
QT_MODULES_EXCLUDED = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)
# Python packages the app never imports at run time but that optional imports could pull in.
PYTHON_EXCLUDED = (
    "tkinter",
    "IPython",
    "matplotlib",
    "pytest",
    "mypy",
    "ruff",
    "torch",
    "tensorflow",
    "jax",
    "pip",
    "setuptools",
)
# Files inside the package that only the linters read.
DEV_FILES = ("ruff.toml",)
# Folders of Qt files the bundle can do without (the interface is in English).
QT_DATA_DROPPED = ("translations",)

# Qt libraries only Qt's optional plugins load (the virtual keyboard needs Quick and Qml,
# the PDF image reader QtPdf); the app uses none of them, so plugins and libraries go.
QT_BINARIES_DROPPED = re.compile(
    r"Qt6?(Quick|Qml|Pdf|VirtualKeyboard)|qtvirtualkeyboardplugin|/imageformats/libqpdf"
)

# What a user can drop on the Dock icon (the window handles QFileOpenEvent itself).
DOCUMENT_TYPES = (
    ("Web location", "com.apple.web-internet-location", ("webloc",)),
    ("HTML page", "public.html", ("html", "htm")),
    ("PDF document", "com.adobe.pdf", ("pdf",)),
)
URL_SCHEMES = ("http", "https")


def read_version(root: Path) -> str:
    """``ii_desktop.__version__`` read from the source, without importing the package."""
    tree = ast.parse((root / "ii_desktop" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise ValueError("ii_desktop/__init__.py sets no __version__ string")


def info_plist(version: str) -> dict[str, Any]:
    """The Info.plist keys of ii-desktop.app (PyInstaller adds the executable's name)."""
    return {
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleIconFile": ICNS_NAME,
        "CFBundlePackageType": "APPL",
        "LSMinimumSystemVersion": MIN_MACOS,
        "LSArchitecturePriority": ["arm64"],
        "LSApplicationCategoryType": "public.app-category.productivity",
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": False,  # follow the system's dark mode
        "NSPrincipalClass": "NSApplication",
        "CFBundleDocumentTypes": [
            {
                "CFBundleTypeName": name,
                "CFBundleTypeRole": "Viewer",
                "LSHandlerRank": "Alternate",
                "LSItemContentTypes": [uti],
                "CFBundleTypeExtensions": list(extensions),
            }
            for name, uti, extensions in DOCUMENT_TYPES
        ],
        "CFBundleURLTypes": [
            {
                "CFBundleURLName": "Web address",
                "CFBundleTypeRole": "Viewer",
                "CFBundleURLSchemes": list(URL_SCHEMES),
            }
        ],
    }


def excludes() -> list[str]:
    """Module names PyInstaller must leave out."""
    return [f"PySide6.{name}" for name in QT_MODULES_EXCLUDED] + list(PYTHON_EXCLUDED)


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_data(package: str) -> list[tuple[str, str]]:
    """Every file of an installed package that is not Python code, as (source, folder in
    the bundle) pairs: templates, Metal libraries, typing markers."""
    base = _package_dir(package)
    if base is None:
        return []
    pairs = []
    for path in sorted(base.rglob("*")):
        inside = path.relative_to(base).parts
        if not path.is_file() or any(p == "__pycache__" or p.startswith(".") for p in inside):
            continue
        if path.suffix in {".py", ".pyc", ".pyi", ".so", ".dylib", ".pyd"}:
            continue
        destination = Path(package.replace(".", "/")) / path.parent.relative_to(base)
        pairs.append((str(path), destination.as_posix()))
    return pairs


def submodules(package: str) -> list[str]:
    """A package's direct submodules, found on disk without importing them (mlx-lm picks
    its model module by name at load time, so the analysis cannot see those imports)."""
    base = _package_dir(package)
    if base is None:
        return []
    return sorted(f"{package}.{m.name}" for m in pkgutil.iter_modules([str(base)]))


def all_modules(package: str) -> list[str]:
    """Every Python module of a package, found on disk without importing it (mlx's
    compiled core imports ``mlx._reprlib_fix`` and others from C, out of the analysis's
    sight)."""
    base = _package_dir(package)
    if base is None:
        return []
    names = set()
    for path in base.rglob("*.py"):
        inside = path.relative_to(base).with_suffix("").parts
        if inside[-1] == "__init__":
            inside = inside[:-1]
        if inside and inside[-1] == "__main__":
            continue
        names.add(".".join((package, *inside)))
    return sorted(names)


def datas(root: Path, macos: bool) -> list[tuple[str, str]]:
    """Data files for the bundle: the app's resources and package files, mlx's Metal
    library (macOS only: the Linux wheel runs on the CPU) and mlx-lm's data files."""
    icons = root / "resources" / "icons"
    pairs = [(str(p), "resources/icons") for p in sorted(icons.iterdir()) if p.is_file()]
    pairs += [(s, d) for s, d in package_data("ii_desktop") if Path(s).name not in DEV_FILES]
    pairs += package_data("mlx_lm")
    if macos:
        pairs += [(src, dst) for src, dst in package_data("mlx") if src.endswith(".metallib")]
    return pairs


def hidden_imports() -> list[str]:
    """Modules loaded by name at run time."""
    # mlx.extension builds C++ extensions with setuptools; the app never does.
    return [m for m in all_modules("mlx") if m != "mlx.extension"] + [
        name
        for package in ("mlx_lm.models", "mlx_lm.tool_parsers", "mlx_lm.chat_templates")
        for name in submodules(package)
    ]


def keep_qt_data(destination: str) -> bool:
    """False for Qt data files the bundle drops (see QT_DATA_DROPPED)."""
    parts = Path(destination).parts
    return not (parts[:1] == ("PySide6",) and any(part in QT_DATA_DROPPED for part in parts[1:3]))


def keep_qt_binary(destination: str) -> bool:
    """False for the Qt plugins and libraries the bundle drops (see QT_BINARIES_DROPPED)."""
    return not (destination.startswith("PySide6/") and QT_BINARIES_DROPPED.search(destination))
