"""Strict pydantic base model, constrained value types and the error type for bad params."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class ParamsError(ValueError):
    """A params file, override or setting is invalid; the message names the key and the fix."""


class Section(BaseModel):
    """Base of every params section: unknown keys and wrong types are errors, no silent coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, frozen=False)


def _folder_name(value: str) -> str:
    if not value or any(c in value for c in "/\\") or value in {".", ".."}:
        raise ValueError(f"names a folder in the run; use a plain name without slashes, got {value!r}")
    return value


PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
UnitInterval = Annotated[float, Field(ge=0, lt=1)]  # probabilities, ratios, Adam betas: [0, 1)
FolderName = Annotated[str, AfterValidator(_folder_name)]
