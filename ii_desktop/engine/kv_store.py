"""KV caches per conversation: kept in memory within a budget, persisted to disk.

Each ``ConversationCache`` knows the exact token list its KV cache holds, so a new
prompt reuses the longest common prefix and prefills only the rest. Caches on disk
carry the identity of what produced them (model fingerprint, rope and KV settings, a
hash of the token list); a cache from anything else is refused and rebuilt.

Everything here runs on the engine thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
from mlx_lm.models.cache import (
    KVCache,
    QuantizedKVCache,
    load_prompt_cache,
    save_prompt_cache,
)

from ii_desktop.engine.cache_files import kv_cache_file

log = logging.getLogger(__name__)

FORMAT = "ii-desktop-kv/1"
KV_GROUP_SIZE = 64


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    # compare in blocks first: long conversations share tens of thousands of tokens
    block = 256
    while i + block <= n and a[i : i + block] == b[i : i + block]:
        i += block
    while i < n and a[i] == b[i]:
        i += 1
    return i


def tokens_digest(tokens: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, tokens)).encode()).hexdigest()


@dataclass(frozen=True)
class CacheIdentity:
    """What a KV cache depends on besides its tokens."""

    model_fingerprint: str
    quantization: str
    rope: str
    kv_bits: int | None
    layers: int

    def as_metadata(self) -> dict[str, str]:
        return {
            "model_fingerprint": self.model_fingerprint,
            "quantization": self.quantization,
            "rope": self.rope,
            "kv_bits": str(self.kv_bits),
            "layers": str(self.layers),
        }


@dataclass
class ConversationCache:
    conversation_id: str
    cache: list[Any]
    tokens: list[int] = field(default_factory=list)
    last_used: float = field(default_factory=time.monotonic)
    dirty: bool = False  # changed since last saved to disk
    # the history-form tokens a rewrite was bringing the cache to, when it was saved (or
    # evicted) before finishing; the rewrite resumes after the cache is loaded again
    pending: list[int] | None = None

    @property
    def offset(self) -> int:
        return int(self.cache[0].offset) if self.cache else 0

    @property
    def nbytes(self) -> int:
        return sum(int(c.nbytes) for c in self.cache if not c.empty())

    def trim_to(self, n: int) -> None:
        """Keep the first ``n`` tokens."""
        extra = self.offset - n
        if extra > 0:
            for c in self.cache:
                c.trim(extra)
        del self.tokens[n:]
        self.dirty = True

    def compact(self) -> None:
        """Drop buffer space past the cached tokens (trimmed replies, growth headroom), so
        it is neither saved to disk nor counted against the memory budget."""
        for c in self.cache:
            if c.empty():
                continue
            offset = c.offset
            if isinstance(c, QuantizedKVCache):
                if c.keys[0].shape[-2] > offset:
                    c.keys = tuple(x[..., :offset, :] for x in c.keys)
                    c.values = tuple(x[..., :offset, :] for x in c.values)
            elif isinstance(c, KVCache) and c.keys.shape[-2] > offset:
                c.keys = c.keys[..., :offset, :]
                c.values = c.values[..., :offset, :]
        mx.eval([c.state for c in self.cache])

    def sync_tokens(self) -> None:
        """Make the token list agree with what the cache really holds."""
        offset = self.offset
        if len(self.tokens) > offset:
            del self.tokens[offset:]
        elif len(self.tokens) < offset:
            for c in self.cache:
                c.trim(offset - len(self.tokens))


def new_cache(layers: int, kv_bits: int | None) -> list[Any]:
    if kv_bits is None:
        return [KVCache() for _ in range(layers)]
    return [QuantizedKVCache(group_size=KV_GROUP_SIZE, bits=kv_bits) for _ in range(layers)]


def _pending_tokens(raw: str | None, tokens: list[int]) -> list[int] | None:
    """A saved rewrite target, if it is a well-formed token list; else None (the cache is
    still usable: the next request reuses its common prefix)."""
    if not raw:
        return None
    try:
        pending = json.loads(raw)
    except ValueError:
        return None
    if not (isinstance(pending, list) and all(type(t) is int and t >= 0 for t in pending)):
        return None
    return pending if pending != tokens else None


class CacheStore:
    """Conversation caches in memory (least recently used evicted) and on disk."""

    def __init__(
        self,
        identity: CacheIdentity,
        memory_budget: int,
        disk_dir: Path | None,
        disk_budget: int,
    ) -> None:
        self.identity = identity
        self.memory_budget = memory_budget
        self.disk_dir = disk_dir
        self.disk_budget = disk_budget
        self._entries: OrderedDict[str, ConversationCache] = OrderedDict()
        self.last_disk_problem: str | None = None

    # --- memory ---------------------------------------------------------------------

    def __contains__(self, conversation_id: str) -> bool:
        return conversation_id in self._entries

    def conversations(self) -> list[str]:
        return list(self._entries)

    def peek(self, conversation_id: str) -> ConversationCache | None:
        return self._entries.get(conversation_id)

    def get(self, conversation_id: str) -> tuple[ConversationCache, str]:
        """The conversation's cache and where it came from: memory, disk or cold."""
        entry = self._entries.get(conversation_id)
        source = "memory"
        if entry is None:
            entry = self._load(conversation_id)
            source = "disk"
            if entry is None:
                source = "cold"
                entry = ConversationCache(
                    conversation_id, new_cache(self.identity.layers, self.identity.kv_bits)
                )
            self._entries[conversation_id] = entry
        self._entries.move_to_end(conversation_id)
        entry.last_used = time.monotonic()
        return entry, source

    def reset(self, entry: ConversationCache) -> None:
        entry.cache = new_cache(self.identity.layers, self.identity.kv_bits)
        entry.tokens = []
        entry.dirty = True

    def memory_bytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def enforce_budget(self, keep: str | None = None) -> list[str]:
        """Evict least recently used caches (saving unsaved ones) until within budget."""
        evicted = []
        for conversation_id in list(self._entries):
            if self.memory_bytes() <= self.memory_budget:
                break
            if conversation_id == keep:
                continue
            entry = self._entries.pop(conversation_id)
            if entry.dirty:
                self.save(entry)
            evicted.append(conversation_id)
        return evicted

    def drop_all(self, save: bool = True) -> None:
        for entry in list(self._entries.values()):
            if save and entry.dirty:
                self.save(entry)
        self._entries.clear()

    def forget_memory(self, conversation_id: str) -> None:
        """Drop a conversation's in-memory cache without saving it or touching its file."""
        self._entries.pop(conversation_id, None)

    def forget(self, conversation_id: str) -> None:
        self._entries.pop(conversation_id, None)
        path = self.path_for(conversation_id)
        if path is not None:
            path.unlink(missing_ok=True)

    # --- disk -----------------------------------------------------------------------

    def path_for(self, conversation_id: str) -> Path | None:
        if self.disk_dir is None:
            return None
        return kv_cache_file(self.disk_dir, conversation_id)

    def save(self, entry: ConversationCache) -> bool:
        """Write the cache atomically; a full or read-only disk is reported, not raised."""
        path = self.path_for(entry.conversation_id)
        if path is None or not entry.tokens:
            return False
        entry.sync_tokens()
        entry.compact()
        metadata = {
            "format": FORMAT,
            "conversation_id": entry.conversation_id,
            "tokens": json.dumps(entry.tokens, separators=(",", ":")),
            "tokens_sha256": tokens_digest(entry.tokens),
            **self.identity.as_metadata(),
        }
        if entry.pending is not None:
            metadata["pending_history"] = json.dumps(entry.pending, separators=(",", ":"))
        tmp = path.with_name(path.stem + ".tmp.safetensors")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_prompt_cache(str(tmp), entry.cache, metadata)
            os.replace(tmp, path)
        except (OSError, RuntimeError, ValueError) as exc:
            self.last_disk_problem = f"Could not save the conversation cache: {exc}"
            log.warning(self.last_disk_problem)
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        entry.dirty = False
        self.last_disk_problem = None
        self._prune_disk(keep=path)
        return True

    def _refuse(self, path: Path, reason: str) -> None:
        log.info("refusing stored KV cache %s: %s", path.name, reason)
        self.last_disk_problem = f"Stored cache not used: {reason}"
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass

    def _load(self, conversation_id: str) -> ConversationCache | None:
        path = self.path_for(conversation_id)
        if path is None or not path.is_file():
            return None
        try:
            cache, metadata = load_prompt_cache(str(path), return_metadata=True)
        except Exception as exc:  # damaged file of any kind
            self._refuse(path, f"unreadable ({exc})")
            return None
        expected = {
            "format": FORMAT,
            "conversation_id": conversation_id,
            **self.identity.as_metadata(),
        }
        for key, value in expected.items():
            if metadata.get(key) != value:
                self._refuse(path, f"{key} differs ({metadata.get(key)!r} != {value!r})")
                return None
        try:
            tokens = json.loads(metadata["tokens"])
        except (KeyError, ValueError):
            self._refuse(path, "token list damaged")
            return None
        if not isinstance(tokens, list) or tokens_digest(tokens) != metadata.get("tokens_sha256"):
            self._refuse(path, "token list hash mismatch")
            return None
        if len(cache) != self.identity.layers or any(c.offset != len(tokens) for c in cache):
            self._refuse(path, "cache length does not match its tokens")
            return None
        pending = _pending_tokens(metadata.get("pending_history"), tokens)
        mx.eval([c.state for c in cache])
        os.utime(path)
        return ConversationCache(conversation_id, cache, tokens, pending=pending)

    def _prune_disk(self, keep: Path) -> None:
        if self.disk_dir is None:
            return
        files = sorted(
            (f for f in self.disk_dir.glob("*.safetensors") if ".tmp." not in f.name),
            key=lambda f: f.stat().st_mtime,
        )
        total = sum(f.stat().st_size for f in files)
        for f in files:
            if total <= self.disk_budget:
                break
            if f == keep:
                continue
            total -= f.stat().st_size
            f.unlink(missing_ok=True)
