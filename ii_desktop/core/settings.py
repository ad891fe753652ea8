"""Where app data lives and the settings that shape the engine.

The data directory comes from ``--data-dir``, else ``II_DESKTOP_DATA_DIR``, else the
platform's user data folder. Settings are a JSON file inside it, written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from ii_desktop.core.errors import ConfigError

APP_NAME = "ii-desktop"
DATA_DIR_ENV = "II_DESKTOP_DATA_DIR"

# The model card's recommended sampling for II-Search-4B.
DEFAULT_TEMPERATURE = 0.6
DEFAULT_TOP_P = 0.95
DEFAULT_TOP_K = 20
DEFAULT_REPETITION_PENALTY = 1.1
DEFAULT_MAX_TOKENS = 2048

# YaRN settings from the model card: factor 1.5 over 98,304 native positions.
YARN_ROPE_SCALING: dict[str, Any] = {
    "rope_type": "yarn",
    "factor": 1.5,
    "original_max_position_embeddings": 98304,
}
LONG_CONTEXT_MAX = 131072
KV_BITS_CHOICES = (None, 8, 4)


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.json"

    @property
    def kv_cache_dir(self) -> Path:
        return self.data_dir / "kv-cache"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def ensure(self) -> AppPaths:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create the data folder {self.data_dir}: {exc.strerror or exc}"
            ) from None
        return self


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def app_paths(explicit: str | os.PathLike[str] | None = None) -> AppPaths:
    return AppPaths(resolve_data_dir(explicit))


@dataclass(frozen=True)
class EngineSettings:
    """How the local model runs. ``context_length`` None means the model's own limit."""

    model_path: str | None = None
    context_length: int | None = None
    long_context: bool = False
    kv_bits: int | None = None
    prefill_chunk: int = 512
    cache_memory_budget: int = 4 * 1024**3
    persist_caches: bool = True
    disk_cache_budget: int = 16 * 1024**3

    def __post_init__(self) -> None:
        if self.kv_bits not in KV_BITS_CHOICES:
            raise ConfigError("KV cache bits must be none, 8 or 4.")
        if self.prefill_chunk < 1:
            raise ConfigError("The prefill chunk size must be at least 1 token.")
        if self.context_length is not None and self.context_length < 256:
            raise ConfigError("The context length must be at least 256 tokens.")
        if self.context_length is not None and self.context_length > LONG_CONTEXT_MAX:
            raise ConfigError(f"The context length cannot exceed {LONG_CONTEXT_MAX:,} tokens.")


SEARCH_PROVIDERS = ("ddgs", "searxng", "serper", "tavily", "brave", "local")


# encyclopedias and archives whose URLs the model often writes from memory
REFERENCE_HOSTS = (
    "wikipedia.org",
    "wikimedia.org",
    "wikidata.org",
    "wiktionary.org",
    "britannica.com",
    "arxiv.org",
    "doi.org",
    "ncbi.nlm.nih.gov",
    "pubmed.ncbi.nlm.nih.gov",
    "nature.com",
    "who.int",
    "nasa.gov",
    "gutenberg.org",
)


@dataclass(frozen=True)
class ToolSettings:
    """How the tools reach the web.

    ``search_providers`` is the fallback chain, tried in order. ``provider_urls`` maps a
    provider name to its API base URL (a SearXNG instance, or a test server).
    ``allow_hosts`` are ``host`` or ``host:port`` entries the page guard lets through;
    ``allow_private_network`` lifts the guard entirely.
    """

    search_providers: tuple[str, ...] = ("ddgs",)
    provider_urls: dict[str, str] = field(default_factory=dict)
    allow_hosts: tuple[str, ...] = ()
    allow_private_network: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 45.0
    max_download_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    # a URL the model did not see (question, results, links of pages read) is opened
    # only on these hosts, on hosts the user trusted, or with the user's consent
    reference_hosts: tuple[str, ...] = REFERENCE_HOSTS
    trusted_hosts: tuple[str, ...] = ()
    allow_unseen_urls: bool = False

    def __post_init__(self) -> None:
        unknown = [p for p in self.search_providers if p not in SEARCH_PROVIDERS]
        if unknown:
            choices = ", ".join(SEARCH_PROVIDERS)
            raise ConfigError(f"Unknown search provider {unknown[0]!r}; choose from {choices}.")
        # settings.json gives lists; keep tuples so the settings stay immutable
        object.__setattr__(self, "search_providers", tuple(self.search_providers))
        object.__setattr__(self, "allow_hosts", tuple(self.allow_hosts))
        object.__setattr__(self, "reference_hosts", tuple(self.reference_hosts))
        object.__setattr__(self, "trusted_hosts", tuple(self.trusted_hosts))


@dataclass(frozen=True)
class ServerSettings:
    """An OpenAI-compatible server (vLLM, SGLang, LM Studio, Ollama) used instead of the
    local model when ``enabled``. Its API key lives in the keychain, never here."""

    enabled: bool = False
    base_url: str = ""
    model_name: str = ""
    context_length: int | None = None

    def __post_init__(self) -> None:
        if self.enabled and not (self.base_url.strip() and self.model_name.strip()):
            raise ConfigError("The model server needs a URL and a model name.")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError("The model server URL must start with http:// or https://.")
        if self.context_length is not None and self.context_length < 256:
            raise ConfigError("The server's context length must be at least 256 tokens.")


@dataclass(frozen=True)
class UiSettings:
    """How the window behaves. ``fold_reasoning``: fold the thinking block when the
    answer starts streaming."""

    fold_reasoning: bool = True


@dataclass(frozen=True)
class SamplingSettings:
    """How the model samples each turn; defaults are the model card's. ``temperature``
    0 is greedy, ``top_k`` 0 turns top-k off."""

    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    top_k: int = DEFAULT_TOP_K
    repetition_penalty: float = DEFAULT_REPETITION_PENALTY
    max_tokens: int = DEFAULT_MAX_TOKENS

    def __post_init__(self) -> None:
        if not 0 <= self.temperature <= 2:
            raise ConfigError("The temperature must be between 0 and 2.")
        if not 0 < self.top_p <= 1:
            raise ConfigError("Top-p must be more than 0 and at most 1.")
        if self.top_k < 0:
            raise ConfigError("Top-k must be 0 (off) or more.")
        if not 0 < self.repetition_penalty <= 2:
            raise ConfigError("The repetition penalty must be more than 0 and at most 2.")
        if not 1 <= self.max_tokens <= LONG_CONTEXT_MAX:
            raise ConfigError(f"The tokens per turn must be between 1 and {LONG_CONTEXT_MAX:,}.")


def _section(data: dict[str, Any], name: str, cls: Any) -> Any:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"settings.json: '{name}' must be an object.")
    known = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in section.items() if k in known})
    except TypeError as exc:
        raise ConfigError(f"settings.json: {exc}") from None


@dataclass
class Settings:
    engine: EngineSettings = field(default_factory=EngineSettings)
    tools: ToolSettings = field(default_factory=ToolSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": dataclasses.asdict(self.engine),
            "tools": dataclasses.asdict(self.tools),
            "server": dataclasses.asdict(self.server),
            "ui": dataclasses.asdict(self.ui),
            "sampling": dataclasses.asdict(self.sampling),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return cls(
            engine=_section(data, "engine", EngineSettings),
            tools=_section(data, "tools", ToolSettings),
            server=_section(data, "server", ServerSettings),
            ui=_section(data, "ui", UiSettings),
            sampling=_section(data, "sampling", SamplingSettings),
        )


def load_settings(paths: AppPaths) -> Settings:
    """Read settings; a damaged file is kept aside and defaults are used."""
    path = paths.settings_file
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return Settings.from_dict(data)
    except (ValueError, ConfigError, OSError):
        aside = path.with_suffix(".damaged.json")
        try:
            os.replace(path, aside)
        except OSError:
            pass
        return Settings()


def save_settings(paths: AppPaths, settings: Settings) -> None:
    paths.ensure()
    tmp = paths.settings_file.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
        os.replace(tmp, paths.settings_file)
    except OSError as exc:
        raise ConfigError(f"Could not save settings: {exc.strerror or exc}") from None
