"""Parsing what the model wrote inside ``<tool_call>`` blocks, defensively.

A 4B model sometimes writes broken JSON, unknown tool names or wrong arguments; each
becomes a failed tool result with a short error the model can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParsedCall:
    name: str
    arguments: dict[str, Any] | None
    error: str | None  # why it cannot run, in words for the model
    raw: str

    @property
    def key(self) -> str:
        """Identity for spotting a repeated identical call."""
        return json.dumps([self.name, self.arguments], sort_keys=True, ensure_ascii=False)


def _first_json_object(text: str) -> Any:
    """Decode the first JSON value in ``text`` (the model may add trailing junk)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object")
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    return value


def parse_tool_call(raw: str, schemas: dict[str, dict[str, Any]]) -> ParsedCall:
    """Parse one block against the offered tools' JSON schemas (name -> parameters)."""
    try:
        data = _first_json_object(raw)
    except ValueError as exc:
        return ParsedCall(
            "",
            None,
            f"the tool call is not valid JSON ({exc}). Write "
            '{"name": "<tool>", "arguments": {...}} inside <tool_call></tool_call>.',
            raw,
        )
    if not isinstance(data, dict):
        return ParsedCall("", None, "the tool call must be a JSON object.", raw)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        return ParsedCall("", None, 'the tool call has no "name".', raw)
    arguments = data.get("arguments", data.get("parameters"))
    if isinstance(arguments, str):  # some models double-encode the arguments
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    if name not in schemas:
        known = ", ".join(sorted(schemas))
        return ParsedCall(
            name,
            arguments if isinstance(arguments, dict) else None,
            f'unknown tool "{name}". Available tools: {known}.',
            raw,
        )
    if not isinstance(arguments, dict):
        return ParsedCall(name, None, '"arguments" must be a JSON object.', raw)
    params = schemas[name]
    props = params.get("properties", {})
    for required in params.get("required", []):
        if required not in arguments:
            return ParsedCall(name, arguments, f'missing argument "{required}".', raw)
    for key, spec in props.items():
        if key in arguments and spec.get("type") == "string":
            value = arguments[key]
            if not isinstance(value, str):
                return ParsedCall(name, arguments, f'argument "{key}" must be a string.', raw)
            if not value.strip():
                return ParsedCall(name, arguments, f'argument "{key}" is empty.', raw)
    return ParsedCall(name, arguments, None, raw)
