"""The bundle's build inputs, checked without running PyInstaller: the spec, the Info.plist
it writes, the committed icons, resources found inside a bundle, and the names that must
never change between versions."""

from __future__ import annotations

import ast
import importlib.util
import plistlib
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ii_desktop
from ii_desktop.core import resources
from ii_desktop.core.settings import APP_NAME, resolve_data_dir
from ii_desktop.tools import secrets

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "ii-desktop.spec"
ICONS = ROOT / "resources" / "icons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _bundle_info() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_info", PACKAGING / "bundle_info.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


info = _bundle_info()


# --- the spec ------------------------------------------------------------------------


class _Step:
    """Records what the spec hands to one of PyInstaller's build steps."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((type(self).__name__, args, kwargs))
        self.kwargs = kwargs


def _run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Execute the spec as PyInstaller would, with its build steps recorded."""
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    class Analysis(_Step):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.pure: list[Any] = []
            self.scripts: list[Any] = []
            self.binaries = [  # what PySide6's hook collects for QtGui's plugins
                (f"PySide6/Qt/{name}", f"/x/{name}", "BINARY")
                for name in (
                    "lib/libQt6Gui.so.6",
                    "lib/libQt6Quick.so.6",
                    "lib/libQt6QmlModels.so.6",
                    "lib/QtPdf.framework/Versions/A/QtPdf",
                    "plugins/imageformats/libqpdf.so",
                    "plugins/imageformats/libqsvg.so",
                    "plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
                )
            ]
            # PyInstaller's TOC entries: (name in the bundle, source, kind), plus one Qt
            # translation file of the kind its PySide6 hook adds
            self.datas = [
                (f"{dest}/{Path(src).name}", src, "DATA") for src, dest in kwargs["datas"]
            ] + [("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA")]

    steps = {
        name: type(name, (base,), {"calls": calls})
        for name, base in (
            ("Analysis", Analysis),
            ("PYZ", _Step),
            ("EXE", _Step),
            ("COLLECT", _Step),
            ("BUNDLE", _Step),
        )
    }
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "bundle_info", raising=False)
    namespace: dict[str, Any] = {"SPECPATH": str(PACKAGING), "__file__": str(SPEC), **steps}
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    namespace["calls"] = {name: (args, kwargs) for name, args, kwargs in calls}
    return namespace


def test_spec_is_python_that_parses() -> None:
    ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def test_spec_on_macos_builds_an_arm64_app_with_the_shared_info_plist(monkeypatch) -> None:
    ran = _run_spec("darwin", monkeypatch)
    calls = ran["calls"]
    assert calls["EXE"][1]["target_arch"] == "arm64"
    assert calls["EXE"][1]["argv_emulation"] is False  # the window takes Finder's events
    bundle = calls["BUNDLE"][1]
    assert bundle["name"] == "ii-desktop.app"
    assert bundle["bundle_identifier"] == "ai.ii.desktop"
    assert bundle["version"] == ii_desktop.__version__
    assert bundle["info_plist"] == info.info_plist(ii_desktop.__version__)
    assert Path(bundle["icon"]).is_file()
    assert Path(bundle["icon"]).suffix == ".icns"


def test_spec_on_linux_builds_a_folder_and_no_app(monkeypatch) -> None:
    calls = _run_spec("linux", monkeypatch)["calls"]
    assert "BUNDLE" not in calls
    assert calls["COLLECT"][1]["name"] == "ii-desktop"
    assert calls["EXE"][1]["console"] is True


def test_spec_leaves_out_unused_qt(monkeypatch) -> None:
    ran = _run_spec("linux", monkeypatch)
    analysis_kwargs = ran["calls"]["Analysis"][1]
    excluded = set(analysis_kwargs["excludes"])
    for name in ("QtWebEngineCore", "QtQml", "QtQuick", "Qt3DCore", "QtMultimedia", "QtCharts"):
        assert f"PySide6.{name}" in excluded
    kept = [dest for dest, _src, _kind in ran["a"].binaries]
    assert kept == ["PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/plugins/imageformats/libqsvg.so"]
    names = [dest for dest, _src, _kind in ran["a"].datas]
    assert not any("translations" in name for name in names)
    assert "resources/icons/ii-desktop.icns" in names
    assert "resources/icons/ii-desktop-1024.png" in names
    assert "ii_desktop/engine/tiny_template.jinja" in names
    assert not any(name.endswith("ruff.toml") for name in names)


def _qt_modules_imported() -> set[str]:
    found = set()
    for path in (ROOT / "ii_desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6."):
                found.add(node.module.split(".")[1])  # type: ignore[union-attr]
            elif isinstance(node, ast.Import):
                found |= {
                    a.name.split(".")[1]
                    for a in node.names
                    if a.name.count(".") and a.name.startswith("PySide6.")
                }
    return found


def test_every_qt_module_the_app_imports_is_kept() -> None:
    used = _qt_modules_imported()
    assert used, "the scan found no Qt import at all"
    assert used <= set(info.QT_MODULES_USED), "a new Qt module: add it to QT_MODULES_USED"
    assert not used & set(info.QT_MODULES_EXCLUDED)


def test_mlx_lm_model_modules_are_hidden_imports() -> None:
    hidden = info.hidden_imports()
    assert "mlx_lm.models.qwen3" in hidden  # II-Search-4B's architecture, loaded by name
    assert "mlx._reprlib_fix" in hidden  # imported by mlx's compiled core
    assert "mlx.extension" not in hidden


def test_metal_library_is_collected_on_macos_only(tmp_path, monkeypatch) -> None:
    package = tmp_path / "site" / "fakemlx"
    (package / "lib").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lib" / "mlx.metallib").write_bytes(b"MTLB")
    (package / "lib" / "libmlx.dylib").write_bytes(b"")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert info.package_data("fakemlx") == [(str(package / "lib" / "mlx.metallib"), "fakemlx/lib")]
    mac = info.datas(ROOT, macos=True)
    linux = info.datas(ROOT, macos=False)
    assert not [src for src, _ in linux if src.endswith(".metallib")]
    real = importlib.util.find_spec("mlx")
    assert real is not None and real.submodule_search_locations
    if (Path(next(iter(real.submodule_search_locations))) / "lib" / "mlx.metallib").is_file():
        assert "mlx/lib" in {dest for src, dest in mac if src.endswith("mlx.metallib")}


# --- Info.plist ----------------------------------------------------------------------


def test_info_plist_has_the_keys_macos_needs() -> None:
    plist = plistlib.loads(plistlib.dumps(info.info_plist("1.2.3")))
    assert plist["CFBundleIdentifier"] == "ai.ii.desktop"
    assert plist["CFBundleName"] == "ii-desktop"
    assert plist["CFBundleShortVersionString"] == "1.2.3"
    assert plist["CFBundleVersion"] == "1.2.3"
    assert plist["CFBundleIconFile"] == "ii-desktop.icns"
    assert (ICONS / plist["CFBundleIconFile"]).is_file()
    assert tuple(int(p) for p in plist["LSMinimumSystemVersion"].split(".")) >= (14, 0)
    assert plist["NSHighResolutionCapable"] is True
    types = {t for doc in plist["CFBundleDocumentTypes"] for t in doc["LSItemContentTypes"]}
    assert types == {"com.apple.web-internet-location", "public.html", "com.adobe.pdf"}
    extensions = {
        e for doc in plist["CFBundleDocumentTypes"] for e in doc["CFBundleTypeExtensions"]
    }
    assert {"webloc", "html", "pdf"} <= extensions
    schemes = {s for url in plist["CFBundleURLTypes"] for s in url["CFBundleURLSchemes"]}
    assert schemes == {"http", "https"}


def test_version_comes_from_the_package() -> None:
    assert info.read_version(ROOT) == ii_desktop.__version__


# --- icons ---------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_icns_file_is_valid_with_png_entries() -> None:
    data = (ICONS / "ii-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    entries: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        kind, length = (
            data[offset : offset + 4],
            struct.unpack(">I", data[offset + 4 : offset + 8])[0],
        )
        assert length > 8 and offset + length <= len(data)
        entries[kind] = data[offset + 8 : offset + length]
        offset += length
    assert offset == len(data)
    expected = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}
    for kind, size in expected.items():
        assert _png_size(entries[kind]) == (size, size), kind


def test_png_icon_is_1024_pixels() -> None:
    assert _png_size((ICONS / "ii-desktop-1024.png").read_bytes()) == (1024, 1024)


# --- resources at run time -----------------------------------------------------------


def test_icon_found_in_a_checkout(monkeypatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert resources.bundle_root() is None
    assert resources.resources_dir() == ROOT / "resources"
    assert resources.app_icon() == ICONS / "ii-desktop-1024.png"


def test_icon_found_inside_a_bundle(tmp_path, monkeypatch) -> None:
    icons = tmp_path / "resources" / "icons"
    icons.mkdir(parents=True)
    (icons / "ii-desktop.svg").write_text("<svg/>")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.app_icon() == icons / "ii-desktop.svg"  # no PNG in this bundle
    (icons / "ii-desktop-1024.png").write_bytes(PNG_SIGNATURE)
    assert resources.app_icon() == icons / "ii-desktop-1024.png"


def test_bundle_without_the_icon_does_not_reach_for_the_checkout(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.app_icon() is None
    assert resources.resource_path("icons", "missing.png") is None


# --- names that must not change ------------------------------------------------------


def test_data_folder_and_keychain_names_are_stable(monkeypatch) -> None:
    # Renaming either strands every user's notebooks, settings and saved keys.
    assert APP_NAME == "ii-desktop"
    assert secrets.SERVICE == "ii-desktop"
    assert info.BUNDLE_ID == "ai.ii.desktop"
    monkeypatch.delenv("II_DESKTOP_DATA_DIR", raising=False)
    assert resolve_data_dir().name == "ii-desktop"


def test_package_is_not_part_of_make_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_line = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "package" not in test_line
    assert "\npackage:" in makefile
