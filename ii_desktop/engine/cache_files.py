"""Where a conversation's KV cache lives on disk. Plain Python: the notebooks use it too,
to delete a notebook's cache without loading mlx."""

from __future__ import annotations

import hashlib
from pathlib import Path


def kv_cache_file(kv_cache_dir: Path, conversation_id: str) -> Path:
    name = hashlib.sha256(conversation_id.encode()).hexdigest()[:32]
    return kv_cache_dir / f"{name}.safetensors"
