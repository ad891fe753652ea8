"""Memory arithmetic for II-Search-4B, against the reference figures for its architecture."""

from __future__ import annotations

import json

import pytest

from ii_desktop.engine import memory
from ii_desktop.engine.memory import (
    APP_OVERHEAD_BYTES,
    GIB,
    USABLE_FRACTION,
    estimate,
    kv_bytes_per_token,
    largest_context,
    max_context,
    parameter_count,
    weight_bytes,
)

# config.json of II-Search-4B (a Qwen3-4B fine-tune), the fields the arithmetic reads.
II_SEARCH_4B = {
    "model_type": "qwen3",
    "num_hidden_layers": 36,
    "hidden_size": 2560,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "intermediate_size": 9728,
    "vocab_size": 151936,
    "torch_dtype": "bfloat16",
    "tie_word_embeddings": True,
    "max_position_embeddings": 40960,
}
II_SEARCH_4B_4BIT = {**II_SEARCH_4B, "quantization": {"group_size": 64, "bits": 4}}
II_SEARCH_4B_8BIT = {**II_SEARCH_4B, "quantization": {"group_size": 64, "bits": 8}}

ELEMENTS_PER_TOKEN = 36 * 8 * 128 * 2  # layers x KV heads x head_dim x (K and V)
MACHINE_16G = 16 * GIB


def usable(memory_bytes: int) -> float:
    return memory_bytes * USABLE_FRACTION


# --- KV cache ------------------------------------------------------------------------


def test_kv_bytes_per_token_fp16_matches_reference():
    assert kv_bytes_per_token(II_SEARCH_4B, None) == 147_456


def test_kv_at_32k_and_128k_matches_reference():
    per_token = kv_bytes_per_token(II_SEARCH_4B, None)
    assert per_token * 32 * 1024 / GIB == pytest.approx(4.5)
    assert per_token * 128 * 1024 / GIB == pytest.approx(18.0)
    assert estimate(II_SEARCH_4B, 32 * 1024, None).kv_cache == 4.5 * GIB
    assert estimate(II_SEARCH_4B, 128 * 1024, None).kv_cache == 18 * GIB


def test_kv_8bit_about_halves_it():
    fp16 = kv_bytes_per_token(II_SEARCH_4B, None)
    q8 = kv_bytes_per_token(II_SEARCH_4B, 8)
    # one byte per value, plus a 2-byte scale and a 2-byte bias per group of 64
    assert q8 == ELEMENTS_PER_TOKEN * (1 + 4 / 64) == 78_336
    assert 0.5 < q8 / fp16 < 0.55


def test_kv_4bit_is_smaller_still():
    q8 = kv_bytes_per_token(II_SEARCH_4B, 8)
    q4 = kv_bytes_per_token(II_SEARCH_4B, 4)
    assert q4 == ELEMENTS_PER_TOKEN * (0.5 + 4 / 64) == 41_472
    assert q4 < q8


def test_kv_follows_the_model_dtype_and_head_layout():
    as_float32 = {**II_SEARCH_4B, "torch_dtype": "float32"}
    assert kv_bytes_per_token(as_float32, None) == 2 * 147_456
    # No num_key_value_heads / head_dim: full multi-head attention, hidden / heads.
    mha = {k: v for k, v in II_SEARCH_4B.items() if k not in ("num_key_value_heads", "head_dim")}
    assert kv_bytes_per_token(mha, None) == 36 * 32 * 80 * 2 * 2


def test_kv_quantized_is_independent_of_model_dtype():
    as_float32 = {**II_SEARCH_4B, "torch_dtype": "float32"}
    assert kv_bytes_per_token(as_float32, 8) == kv_bytes_per_token(II_SEARCH_4B, 8)


# --- weights -------------------------------------------------------------------------


def test_parameter_count_is_about_four_billion():
    count = parameter_count(II_SEARCH_4B)
    assert count == pytest.approx(4.0e9, rel=0.10)
    assert count == pytest.approx(4.02e9, rel=0.01)  # Qwen3-4B's published size


def test_untied_embeddings_count_the_output_head():
    untied = {**II_SEARCH_4B, "tie_word_embeddings": False}
    assert parameter_count(untied) - parameter_count(II_SEARCH_4B) == 151936 * 2560


def test_bf16_weights_are_about_8_gb():
    # The published bf16 MLX weights are about 8.0 GB.
    assert weight_bytes(II_SEARCH_4B) == 2 * parameter_count(II_SEARCH_4B)
    assert weight_bytes(II_SEARCH_4B) / 1e9 == pytest.approx(8.0, rel=0.03)


def test_4bit_weights_are_about_2_3_gb():
    size = weight_bytes(II_SEARCH_4B_4BIT)
    assert size / 1e9 == pytest.approx(2.3, rel=0.05)
    assert size == int(parameter_count(II_SEARCH_4B) * (0.5 + 4 / 64))


def test_8bit_weights_sit_between():
    assert (
        weight_bytes(II_SEARCH_4B_4BIT)
        < weight_bytes(II_SEARCH_4B_8BIT)
        < weight_bytes(II_SEARCH_4B)
    )


def test_quantization_config_key_is_also_read():
    hf_style = {**II_SEARCH_4B, "quantization_config": {"bits": 4, "group_size": 64}}
    assert weight_bytes(hf_style) == weight_bytes(II_SEARCH_4B_4BIT)


def test_weight_bytes_uses_real_file_sizes(tiny_model_dir):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    on_disk = sum(f.stat().st_size for f in tiny_model_dir.glob("*.safetensors"))
    assert on_disk > 0
    assert weight_bytes(config, tiny_model_dir) == on_disk
    assert weight_bytes(config, str(tiny_model_dir)) == on_disk
    # Files win over the config, even a config describing a far bigger model.
    assert weight_bytes(II_SEARCH_4B, tiny_model_dir) == on_disk
    assert estimate(II_SEARCH_4B, 1024, None, tiny_model_dir).weights == on_disk


def test_weight_bytes_sums_shards(tmp_path):
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"x" * 1000)
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"x" * 234)
    (tmp_path / "notes.txt").write_bytes(b"x" * 99)
    assert weight_bytes(II_SEARCH_4B, tmp_path) == 1234


def test_folder_without_weights_falls_back_to_config(tmp_path):
    assert weight_bytes(II_SEARCH_4B_4BIT, tmp_path) == weight_bytes(II_SEARCH_4B_4BIT)


# --- estimate ------------------------------------------------------------------------


def test_estimate_total_adds_up():
    est = estimate(II_SEARCH_4B_4BIT, 32768, 8)
    assert est.weights == weight_bytes(II_SEARCH_4B_4BIT)
    assert est.kv_cache == 78_336 * 32768
    assert est.overhead == APP_OVERHEAD_BYTES
    assert est.total == est.weights + est.kv_cache + est.overhead


def test_128k_fp16_kv_does_not_fit_a_16gb_mac():
    est = estimate(II_SEARCH_4B_4BIT, 131072, None)
    assert est.total > MACHINE_16G


# --- largest context -----------------------------------------------------------------


def test_max_context():
    assert max_context(II_SEARCH_4B, long_context=False) == 40960
    assert max_context(II_SEARCH_4B, long_context=True) == 131072
    no_limit = {k: v for k, v in II_SEARCH_4B.items() if k != "max_position_embeddings"}
    assert max_context(no_limit, long_context=False) == 40960


def test_largest_context_on_16gb_with_4bit_model_fp16_kv():
    n = largest_context(II_SEARCH_4B_4BIT, None, long_context=True, memory_bytes=MACHINE_16G)
    assert 0 < n < 131072
    assert n % 1024 == 0
    assert estimate(II_SEARCH_4B_4BIT, n, None).total <= usable(MACHINE_16G)
    assert estimate(II_SEARCH_4B_4BIT, n + 1024, None).total > usable(MACHINE_16G)


@pytest.mark.parametrize("kv_bits", [None, 8, 4])
@pytest.mark.parametrize("config", [II_SEARCH_4B, II_SEARCH_4B_4BIT, II_SEARCH_4B_8BIT])
@pytest.mark.parametrize("gib", [6, 8, 12, 16, 24, 32, 64])
@pytest.mark.parametrize("long_context", [False, True])
def test_largest_context_is_the_largest_that_fits(config, kv_bits, gib, long_context):
    machine = gib * GIB
    n = largest_context(config, kv_bits, long_context, memory_bytes=machine)
    cap = max_context(config, long_context)
    assert n % 1024 == 0
    assert 0 <= n <= cap
    if n == 0:
        # Not even 1024 tokens of KV fit next to the weights.
        assert estimate(config, 1024, kv_bits).total > usable(machine)
        return
    assert estimate(config, n, kv_bits).total <= usable(machine)
    if n + 1024 <= cap:
        assert estimate(config, n + 1024, kv_bits).total > usable(machine)
    else:
        assert n == cap // 1024 * 1024


def test_quantized_kv_allows_longer_context():
    kwargs = {"long_context": True, "memory_bytes": MACHINE_16G}
    fp16 = largest_context(II_SEARCH_4B_4BIT, None, **kwargs)
    q8 = largest_context(II_SEARCH_4B_4BIT, 8, **kwargs)
    q4 = largest_context(II_SEARCH_4B_4BIT, 4, **kwargs)
    assert fp16 < q8 <= q4


def test_without_long_context_never_exceeds_native_limit():
    for gib in (16, 64, 512):
        for kv_bits in (None, 8, 4):
            n = largest_context(II_SEARCH_4B_4BIT, kv_bits, False, memory_bytes=gib * GIB)
            assert n <= 40960
    huge = 512 * GIB
    assert largest_context(II_SEARCH_4B_4BIT, None, False, memory_bytes=huge) == 40960
    assert largest_context(II_SEARCH_4B_4BIT, None, True, memory_bytes=huge) == 131072


def test_machine_too_small_for_the_weights_gives_zero():
    # 8 GB of bf16 weights cannot fit in three quarters of 8 GiB.
    assert largest_context(II_SEARCH_4B, None, False, memory_bytes=8 * GIB) == 0
    assert largest_context(II_SEARCH_4B_4BIT, 4, True, memory_bytes=2 * GIB) == 0
    assert largest_context(II_SEARCH_4B_4BIT, 4, True, memory_bytes=0) == 0


def test_largest_context_uses_folder_sizes(tiny_model_dir):
    on_disk = sum(f.stat().st_size for f in tiny_model_dir.glob("*.safetensors"))
    # Enough for the folder's few megabytes of weights, the overhead and 3000 tokens
    # of KV, but far too small for the 8 GB of weights the config alone implies.
    per_token = kv_bytes_per_token(II_SEARCH_4B, None)
    machine = int((on_disk + APP_OVERHEAD_BYTES + 3000 * per_token) / USABLE_FRACTION) + 4
    assert largest_context(II_SEARCH_4B, None, False, memory_bytes=machine) == 0
    n = largest_context(II_SEARCH_4B, None, False, memory_bytes=machine, folder=tiny_model_dir)
    assert n == 2048


def test_custom_step():
    n = largest_context(II_SEARCH_4B_4BIT, None, True, memory_bytes=MACHINE_16G, step=4096)
    assert n % 4096 == 0
    assert n + 4096 > largest_context(
        II_SEARCH_4B_4BIT, None, True, memory_bytes=MACHINE_16G, step=1
    )


def test_default_memory_is_this_machine():
    assert memory.machine_memory_bytes() > 0
    assert largest_context(II_SEARCH_4B_4BIT, 4, False) == largest_context(
        II_SEARCH_4B_4BIT, 4, False, memory_bytes=memory.machine_memory_bytes()
    )
