"""Turn a raw source record into the `{"source", "input", "output"}` row the trainer reads."""

from __future__ import annotations

import string
from typing import Any


class TemplateError(ValueError):
    """A template or target field does not fit the records of its source."""


def template_fields(template: str) -> list[str]:
    """The `{field}` names a template uses."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as err:
        raise TemplateError(f"template {template!r} is not a valid format string ({err})") from None


def render_template(template: str, record: dict[str, Any]) -> str:
    """`template.format(**record)`, with an error that names a missing field."""
    missing = [name for name in template_fields(template) if name not in record]
    if missing:
        raise TemplateError(f"template uses {{{missing[0]}}} but the record has only: {', '.join(sorted(record))}")
    return template.format(**record)


def get_field(record: Any, path: str) -> Any:
    """Follow a dotted path: `summary`, `answers.text.0`.

    A numeric part indexes a list; a name applied to a list of objects maps over it, so
    `answers.text.0` works both for HF rows (`answers: {"text": [...]}`) and raw TyDiQA JSON lines
    (`answers: [{"text": ...}]`).
    """
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            if part not in value:
                raise TemplateError(f"target {path!r}: no field {part!r} (fields: {', '.join(sorted(value))})")
            value = value[part]
        elif isinstance(value, list | tuple):
            if part.isdigit():
                if int(part) >= len(value):
                    raise TemplateError(f"target {path!r}: index {part} is out of range (length {len(value)})")
                value = value[int(part)]
            else:
                value = [get_field(item, part) for item in value]
        else:
            raise TemplateError(f"target {path!r}: cannot take {part!r} of a {type(value).__name__}")
    return value


def to_example(source: str, template: str, target: str, record: dict[str, Any]) -> dict[str, str]:
    output = get_field(record, target)
    if not isinstance(output, str):
        raise TemplateError(f"target {target!r} gives a {type(output).__name__}, expected text")
    return {"source": source, "input": render_template(template, record), "output": output}
