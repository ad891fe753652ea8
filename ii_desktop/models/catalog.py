"""The models on this machine: the app's models folder, the Hugging Face cache and
LM Studio's models folders.

Nothing here loads a model or reaches the network; every figure comes from the files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ii_desktop.core.errors import ModelNotFound
from ii_desktop.models.info import folder_size, quantization_of, template_features

Source = Literal["app", "huggingface", "lmstudio", "folder"]
# A download in progress keeps its unfinished files here, inside the model's folder.
PARTIAL_DIR = ".partial"
SOURCE_FILE = ".ii-desktop-download.json"


@dataclass(frozen=True)
class ModelEntry:
    """One model found on this machine.

    ``name`` is what ``model default`` and ``model remove`` accept: the folder name for
    the app's models folder, the repo id for the Hugging Face cache, ``publisher/repo``
    for LM Studio. ``complete`` is False while a download into the folder is unfinished.
    """

    name: str
    path: str
    source: Source
    size_bytes: int
    architecture: str | None
    quantization: dict[str, int] | None
    tool_calling: bool | None
    thinking: bool | None
    is_default: bool = False
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hf_cache_dir() -> Path:
    """The Hugging Face cache, read from the environment now (``HF_HUB_CACHE``, else
    ``HF_HOME``/hub, else ~/.cache/huggingface/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def lmstudio_dirs() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def _read_config(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def describe_folder(
    folder: Path, name: str, source: Source, size: int | None = None
) -> ModelEntry | None:
    """An entry for a folder holding config.json, or None when it has none."""
    config = _read_config(folder)
    unfinished = (folder / PARTIAL_DIR).exists()
    if config is None and unfinished:  # a download stopped before its config arrived
        config = {}
    if config is None:
        return None
    features = template_features(folder)
    model_type = config.get("model_type")
    return ModelEntry(
        name=name,
        path=str(folder),
        source=source,
        size_bytes=folder_size(folder) if size is None else size,
        architecture=str(model_type) if model_type else None,
        quantization=quantization_of(config),
        tool_calling=features.tool_calling if features else None,
        thinking=features.thinking if features else None,
        complete=not unfinished,
    )


def app_models(models_dir: Path) -> list[ModelEntry]:
    if not models_dir.is_dir():
        return []
    found = []
    for child in sorted(models_dir.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            entry = describe_folder(child, child.name, "app")
            if entry is not None:
                found.append(entry)
    return found


def hf_cache_models(cache_dir: Path | None = None) -> list[ModelEntry]:
    """Model repos in the Hugging Face cache, each at its newest downloaded revision."""
    cache = cache_dir or hf_cache_dir()
    if not cache.is_dir():
        return []
    from huggingface_hub import scan_cache_dir

    try:
        info = scan_cache_dir(cache)
    except Exception:  # an unreadable cache lists nothing rather than failing the list
        return []
    found = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model" or not repo.revisions:
            continue
        newest = max(repo.revisions, key=lambda r: r.last_modified)
        entry = describe_folder(
            Path(newest.snapshot_path), repo.repo_id, "huggingface", repo.size_on_disk
        )
        if entry is not None:
            found.append(entry)
    return found


def lmstudio_models(roots: Iterable[Path] | None = None) -> list[ModelEntry]:
    """LM Studio's ``<publisher>/<repo>/`` folders that hold a config.json."""
    found = []
    for root in lmstudio_dirs() if roots is None else roots:
        if not root.is_dir():
            continue
        for publisher in sorted(p for p in root.iterdir() if p.is_dir()):
            for repo in sorted(p for p in publisher.iterdir() if p.is_dir()):
                entry = describe_folder(repo, f"{publisher.name}/{repo.name}", "lmstudio")
                if entry is not None:
                    found.append(entry)
    return found


def _same_path(a: str, b: str | None) -> bool:
    if not b:
        return False
    try:
        return Path(a).resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def list_models(models_dir: Path, default: str | None = None) -> list[ModelEntry]:
    """Every model found: the app's folder first, then the Hugging Face cache, then
    LM Studio, then the default when it lies elsewhere. ``default`` (the saved default
    model: a path or a cached repo id) is marked."""
    entries = [*app_models(models_dir), *hf_cache_models(), *lmstudio_models()]
    marked = []
    for entry in entries:
        is_default = default is not None and (
            entry.name == default and entry.source == "huggingface"
        )
        is_default = is_default or _same_path(entry.path, default)
        marked.append(ModelEntry(**{**entry.to_dict(), "is_default": is_default}))
    if default and not any(e.is_default for e in marked) and Path(default).expanduser().is_dir():
        elsewhere = describe_folder(Path(default).expanduser(), Path(default).name, "folder")
        if elsewhere is not None:  # a default chosen outside the folders searched
            marked.append(ModelEntry(**{**elsewhere.to_dict(), "is_default": True}))
    return marked


def find_model(models_dir: Path, name: str) -> ModelEntry:
    """A model by folder path or by the name ``model list`` shows."""
    path = Path(name).expanduser()
    if path.is_dir():
        inside = path.resolve().parent == models_dir.resolve()
        entry = describe_folder(path.resolve(), path.name, "app" if inside else "folder")
        if entry is None:
            raise ModelNotFound(f"{name} has no config.json, so it is not a model folder.")
        return entry
    for entry in list_models(models_dir):
        if entry.name == name:
            return entry
    raise ModelNotFound(
        f"No model named {name} here; `ii-desktop model list` shows the models found."
    )
