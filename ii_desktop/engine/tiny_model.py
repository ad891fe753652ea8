"""Build a tiny random-weight Qwen3 model folder, offline, for tests and benchmarks.

The folder has the same shape as a real II-Search-4B folder: ``config.json`` (qwen3),
``model.safetensors``, a byte-level BPE ``tokenizer.json`` trained here with
``tokenizers``, ``tokenizer_config.json`` and a ``chat_template.jinja`` of our own that
follows the Qwen3 conventions. ``mlx_lm.load`` accepts it, so tests exercise the same
loading code real weights go through.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ii_desktop.core.errors import UsageError

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED_TOKENS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
]
# Same split rule shape as Qwen's: contractions, letter runs, single digits,
# punctuation runs, newlines, spaces.
PRETOKENIZE_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

_WORDS = (
    "the a of and to in is was for on that with as by at from it this be are which or an "
    "research search visit page source answer question reason think step result query web "
    "population capital river year born died founded city country president university "
    "museum album film award novel author record team season league history science "
    "according report article found first second third largest highest between during "
    "who what when where how many which why because however therefore also about "
    "function name arguments url title preview index content document truncated "
    "Paris London Tokyo Berlin Rome Madrid Sydney Cairo Toronto Lagos Lima Oslo"
).split()
_URLS = [
    "https://en.wikipedia.org/wiki/",
    "https://www.example.org/news/",
    "https://arxiv.org/abs/",
]


@dataclass(frozen=True)
class TinyModelSpec:
    hidden: int = 128
    layers: int = 2
    seed: int = 0
    vocab_size: int = 1024
    head_dim: int = 64

    def __post_init__(self) -> None:
        if self.hidden < 64 or self.hidden % 64:
            raise UsageError("--hidden must be a positive multiple of 64 (64, 128, 192, …).")
        if not 1 <= self.layers <= 64:
            raise UsageError("--layers must be between 1 and 64.")
        if self.vocab_size % 64 or self.vocab_size < 512:
            raise UsageError("The vocabulary size must be a multiple of 64, at least 512.")


def _corpus(seed: int, lines: int = 600) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 18))]
        sentence = " ".join(words).capitalize() + rng.choice([".", "?", "!", ":"])
        kind = i % 6
        if kind == 0:
            sentence += f" In {rng.randint(1800, 2025)} about {rng.randint(1, 99999):,} people."
        elif kind == 1:
            q = " ".join(rng.choice(_WORDS) for _ in range(4))
            sentence = '{"name": "web_search", "arguments": {"query": "' + q + '"}}'
        elif kind == 2:
            url = rng.choice(_URLS) + rng.choice(_WORDS).capitalize()
            sentence = '{"name": "web_visit", "arguments": {"url": "' + url + '"}}'
        elif kind == 3:
            sentence = f"Index: {rng.randint(0, 9)}\nURL: {rng.choice(_URLS)}\nTitle: {sentence}"
        elif kind == 4:
            sentence = "The answer is \\boxed{" + rng.choice(_WORDS) + "}. Café, naïve, 東京, ü."
        out.append(sentence)
    return out


def _build_tokenizer(spec: TinyModelSpec, folder: Path) -> dict[str, int]:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=SPECIAL_TOKENS + ADDED_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(spec.seed), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    tok.save(str(folder / "tokenizer.json"))
    ids: dict[str, int] = {}
    for token in SPECIAL_TOKENS + ADDED_TOKENS:
        token_id = tok.token_to_id(token)
        assert token_id is not None, token
        ids[token] = token_id
    decoder_map = {
        str(i): {
            "content": t,
            "special": t in SPECIAL_TOKENS,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "single_word": False,
        }
        for t, i in ids.items()
    }
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "model_max_length": 131072,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "errors": "replace",
        "split_special_tokens": False,
        "added_tokens_decoder": decoder_map,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / "special_tokens_map.json").write_text(
        json.dumps({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}), encoding="utf-8"
    )
    return ids


def model_config(spec: TinyModelSpec, ids: dict[str, int]) -> dict[str, object]:
    heads = 2 * spec.hidden // 64
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "hidden_size": spec.hidden,
        "intermediate_size": 3 * spec.hidden,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": heads,
        "num_key_value_heads": max(1, heads // 2),
        "head_dim": spec.head_dim,
        "rms_norm_eps": 1e-6,
        "vocab_size": spec.vocab_size,
        "max_position_embeddings": 40960,
        "rope_theta": 1000000.0,
        "rope_scaling": None,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]],
    }


def build_tiny_model(folder: str | Path, spec: TinyModelSpec | None = None) -> Path:
    """Write a tiny model into ``folder`` (created; must be empty if it exists)."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen3

    spec = spec or TinyModelSpec()
    out = Path(folder)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty; choose a new folder for the tiny model.")
    out.mkdir(parents=True, exist_ok=True)

    ids = _build_tokenizer(spec, out)
    config = model_config(spec, ids)
    template = resources.files("ii_desktop.engine").joinpath("tiny_template.jinja").read_text()
    (out / "chat_template.jinja").write_text(template, encoding="utf-8")
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (out / "generation_config.json").write_text(
        json.dumps(
            {
                "temperature": 0.6,
                "top_p": 0.95,
                "top_k": 20,
                "repetition_penalty": 1.1,
                "eos_token_id": config["eos_token_id"],
            }
        ),
        encoding="utf-8",
    )

    mx.random.seed(spec.seed)
    args = qwen3.ModelArgs.from_dict(config)
    model = qwen3.Model(args)
    # An untied, sharpened output head: with tied embeddings a random model just
    # repeats its last input token; this way it writes varied text.
    weights = dict(tree_flatten(model.parameters()))
    weights["lm_head.weight"] = weights["lm_head.weight"] * 3.0
    mx.save_safetensors(str(out / "model.safetensors"), weights, {"format": "mlx"})
    return out
