"""Strict pydantic base model and the error type for bad params."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ParamsError(ValueError):
    """A params file, override or setting is invalid; the message names the key and the fix."""


class Section(BaseModel):
    """Base of every params section: unknown keys and wrong types are errors, no silent coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, frozen=False)
