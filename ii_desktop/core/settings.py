"""Where app data lives and the settings that shape the engine.

The data directory comes from ``--data-dir``, else ``II_DESKTOP_DATA_DIR``, else the
platform's user data folder. Settings are a JSON file inside it, written atomically.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import shutil
import types
import typing
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


SECTIONS: dict[str, Any] = {
    "engine": EngineSettings,
    "tools": ToolSettings,
    "server": ServerSettings,
    "ui": UiSettings,
    "sampling": SamplingSettings,
}
# what the file may hold where the dialog's words ("none") differ from JSON's
FILE_CHOICES = {("engine", "kv_bits"): "null (full precision), 8 or 4"}
SETTINGS_NAME = "settings.json"
DAMAGED_NAME = "settings.damaged"

# json's messages, in plain words; the most common slips first
_JSON_HINTS = (
    (
        "Expecting property name",
        'a key in double quotes was expected (JSON allows no comma before "}")',
    ),
    ("Expecting value", 'a value was expected (JSON allows no comma before "]" or "}")'),
    ("Expecting ',' delimiter", "a comma is missing between two entries"),
    ("Expecting ':' delimiter", "a colon is missing after a key"),
    ("Extra data", "there is more text after the closing brace"),
    ("Unterminated string", "a quoted string is never closed"),
    ("Invalid control character", "a quoted string holds a line break or tab; write \\n or \\t"),
    ("Invalid \\escape", "a backslash starts no valid escape; write a backslash as \\\\"),
)


class _Unreadable(Exception):
    """The settings file cannot be used at all; ``where`` is its line and column."""

    def __init__(self, why: str, where: str = "") -> None:
        super().__init__(why)
        self.why = why
        self.where = where


def _read_object(path: Path) -> tuple[dict[str, Any], str] | None:
    """The file's JSON object and its text; None when there is no file or it is empty.

    Raises:
        _Unreadable: the file exists but holds no JSON object.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from a Windows editor is fine
    except UnicodeDecodeError:
        raise _Unreadable("is not UTF-8 text") from None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        why = next((hint for key, hint in _JSON_HINTS if exc.msg.startswith(key)), exc.msg)
        raise _Unreadable(why, f"line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(data, dict):
        raise _Unreadable('must hold one JSON object, written as {"engine": {...}, ...}')
    return data, text


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of every object key of a valid JSON text, by its path of keys."""
    lines: dict[tuple[str, ...], int] = {}
    stack: list[list[Any]] = []  # [is_object, key, expecting_key]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            value, end = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[2]:
                top[1], top[2] = value, False
                if all(frame[0] for frame in stack):  # keys inside lists are not settings
                    path = tuple(frame[1] for frame in stack)
                    lines.setdefault(path, text.count("\n", 0, i) + 1)
            i = end
            continue
        if ch in "{[":
            stack.append([ch == "{", None, ch == "{"])
        elif ch in "}]" and stack:
            stack.pop()
        elif ch == "," and stack and stack[-1][0]:
            stack[-1][2] = True
        i += 1
    return lines


def _conforms(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arg) for arg in args)
    if origin is tuple:
        return isinstance(value, (list, tuple)) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and _conforms(v, args[1]) for k, v in value.items()
        )
    return True


def _kind(hint: Any) -> str:
    """What a value of ``hint`` looks like in the file."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        kinds = [_kind(arg) for arg in args if arg is not type(None)]
        return " or ".join(kinds) + (" or null" if type(None) in args else "")
    if typing.get_origin(hint) is tuple:
        return "a list of strings in double quotes"
    if typing.get_origin(hint) is dict:
        return "an object of strings"
    names = {bool: "true or false", int: "a whole number", float: "a number"}
    return names.get(hint, "a string in double quotes")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _plain(message: str) -> str:
    """A ConfigError's sentence to follow a comma: no capital (unless an acronym), no stop."""
    message = message.rstrip(".")
    if len(message) > 1 and not message[1].isupper():
        message = message[0].lower() + message[1:]
    return message


def _all_fields() -> dict[str, list[str]]:
    return {name: [f.name for f in dataclasses.fields(cls)] for name, cls in SECTIONS.items()}


def _did_you_mean(section: str | None, key: str) -> str | None:
    """The setting an unknown key most likely meant, as ``section.field``."""
    fields = _all_fields()
    owners = [s for s, names in fields.items() if key in names and s != section]
    if len(owners) == 1:
        return f"{owners[0]}.{key}"
    if section is None:
        close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.75)
        if close:
            return close[0]
    else:
        close = difflib.get_close_matches(key, fields[section], n=1, cutoff=0.75)
        if close:
            return f"{section}.{close[0]}"
    everywhere = {f"{s}.{name}": name for s, names in fields.items() for name in names}
    close = difflib.get_close_matches(key, list(everywhere.values()), n=1, cutoff=0.8)
    if close:
        return next(full for full, name in everywhere.items() if name == close[0])
    return None


class _Report:
    """Problems found while reading the file, each one line naming where it is."""

    def __init__(self, lines: dict[tuple[str, ...], int]) -> None:
        self.lines = lines
        self.problems: list[str] = []

    def add(self, path: tuple[str, ...], text: str) -> None:
        line = self.lines.get(path)
        where = f"{SETTINGS_NAME} line {line}" if line else SETTINGS_NAME
        self.problems.append(f"{where}: {text}")

    def unknown(self, path: tuple[str, ...]) -> None:
        name = ".".join(path)
        guess = _did_you_mean(path[0] if len(path) > 1 else None, path[-1])
        hint = f'did you mean "{guess}"?' if guess else "it is ignored."
        self.add(path, f'unknown key "{name}"; {hint}')


def _build_section(name: str, cls: Any, section: dict[str, Any], report: _Report) -> Any:
    """``cls`` from the file's ``section``: each bad value is said and falls back to its
    default; the other values are kept."""
    hints = typing.get_type_hints(cls)
    defaults = cls()
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in hints:
            report.unknown((name, key))
        elif not _conforms(value, hints[key]):
            allowed = FILE_CHOICES.get((name, key)) or _kind(hints[key])
            _refuse(report, name, key, value, f"it must be {allowed}", defaults)
        else:
            values[key] = float(value) if hints[key] is float else value
    while True:
        try:
            return cls(**values)
        except ConfigError as exc:
            together = exc.message
        # blame the values refused on their own first, then one that clashes with the rest
        alone = {}
        for key, value in values.items():
            try:
                cls(**{key: value})
            except ConfigError as exc:
                alone[key] = exc.message
        if not alone:
            for key in values:
                rest = {k: v for k, v in values.items() if k != key}
                try:
                    cls(**rest)
                except ConfigError:
                    continue
                alone[key] = together
                break
        if not alone:  # no single value to blame: the whole section falls back
            report.add((name,), f"{_plain(together)}; the defaults of {name} are used.")
            return defaults
        for key, message in alone.items():
            reason = FILE_CHOICES.get((name, key))
            why = f"it must be {reason}" if reason else _plain(message)
            values.pop(key)
            _refuse(report, name, key, section[key], why, defaults)


def _refuse(report: _Report, section: str, key: str, value: Any, why: str, defaults: Any) -> None:
    default = getattr(defaults, key)
    report.add(
        (section, key),
        f"{section}.{key} is {_shown(value)}, but {why}; the default "
        f"({_shown(list(default) if isinstance(default, tuple) else default)}) is used.",
    )


def load_settings_report(paths: AppPaths) -> tuple[Settings, list[str]]:
    """The settings and what is wrong in the file, one line per problem.

    Nothing is written: a file that holds no JSON object gives the defaults and is kept
    as it is (``save_settings`` keeps a copy before it replaces it); a bad value falls
    back to its default and every other value is kept.
    """
    path = paths.settings_file
    try:
        read = _read_object(path)
    except _Unreadable as exc:
        where = f"{SETTINGS_NAME} {exc.where}" if exc.where else SETTINGS_NAME
        sep = ": " if exc.where else " "
        return Settings(), [
            f"{where}{sep}{exc.why}; fix {path}: until then the defaults are used (the app "
            f"copies it to {DAMAGED_NAME}.json before saving over it)."
        ]
    if read is None:
        return Settings(), []
    data, text = read
    report = _Report(_key_lines(text))
    sections: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SECTIONS:
            report.unknown((key,))
        elif not isinstance(value, dict):
            report.add(
                (key,),
                f'{key} is {_shown(value)}, but it must be an object like {{"...": ...}}; '
                f"the defaults of {key} are used.",
            )
        else:
            sections[key] = _build_section(key, SECTIONS[key], value, report)
    return Settings(**sections), report.problems


def load_settings(paths: AppPaths) -> Settings:
    """The settings in the file (see ``load_settings_report`` for what was wrong in it)."""
    return load_settings_report(paths)[0]


def _keep_damaged_copy(path: Path) -> Path | None:
    """Before the app replaces a file it could not read, a copy of it beside it."""
    try:
        _read_object(path)
        return None
    except _Unreadable:
        pass
    n = 1
    copy = path.with_name(f"{DAMAGED_NAME}.json")
    while copy.exists():  # never over an earlier copy
        n += 1
        copy = path.with_name(f"{DAMAGED_NAME}-{n}.json")
    try:
        shutil.copy2(path, copy)
    except OSError as exc:
        raise ConfigError(
            f"Settings were not saved: {path} could not be read, and no copy of it could be "
            f"kept ({exc.strerror or exc}); fix or move that file first."
        ) from None
    return copy


def save_settings(paths: AppPaths, settings: Settings) -> Path | None:
    """Write the settings atomically; keys the app does not know stay in the file.

    Returns where a copy of the old file was kept when it could not be read (None when
    it was sound or absent).
    """
    paths.ensure()
    path = paths.settings_file
    kept = _keep_damaged_copy(path) if path.exists() else None
    data: dict[str, Any] = settings.to_dict()
    try:
        read = None if kept else _read_object(path)
    except _Unreadable:
        read = None
    if read is not None:  # keep what the user wrote that this version does not read
        old = read[0]
        for name, section in data.items():
            if isinstance(old.get(name), dict):
                section.update({k: v for k, v in old[name].items() if k not in section})
        data.update({k: v for k, v in old.items() if k not in data})
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"Could not save settings: {exc.strerror or exc}") from None
    return kept
