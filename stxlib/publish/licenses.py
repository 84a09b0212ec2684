"""The licence a model card states, from the licences of the training data.

A model trained on non-commercial data is shared for non-commercial use only: XL-Sum (BBC articles) is
CC BY-NC-SA 4.0, so the STX recipe's adapter is `cc-by-nc-sa-4.0`. Rule (most restrictive wins): any
NonCommercial source gives the NC licence (share-alike when any NC source is share-alike); else any
ShareAlike source gives `cc-by-sa-4.0`; else, with every source known and permissive, `other` (the base
model's own licence then governs; the card says so). A source stx does not know also gives `other`, and the
card names it so the researcher checks it before sharing. `stx publish --license ID` overrides the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Known training sources: hub id (or stx source name) -> SPDX-like Hub licence id (specs/datasets.md).
DATA_LICENSES: dict[str, str] = {
    "snow_simplified_japanese_corpus": "cc-by-4.0",
    "SNOW-NLP/snow_simplified_japanese_corpus": "cc-by-4.0",
    "snow": "cc-by-4.0",
    "khalidalt/tydiqa-goldp": "apache-2.0",
    "tydiqa": "apache-2.0",
    "csebuetnlp/xlsum": "cc-by-nc-sa-4.0",
    "xlsum": "cc-by-nc-sa-4.0",
}


@dataclass(frozen=True)
class DataSource:
    name: str  # the params' source name (`snow`) or the dataset's hub id for other stages
    hub_id: str | None

    @property
    def license(self) -> str | None:
        return DATA_LICENSES.get(self.hub_id or "") or DATA_LICENSES.get(self.name)


@dataclass(frozen=True)
class LicenseChoice:
    license: str
    non_commercial: bool
    unknown: tuple[str, ...]  # sources whose licence stx does not know
    reason: str


def choose_license(sources: Sequence[DataSource], override: str | None = None) -> LicenseChoice:
    known = {s.name: s.license for s in sources if s.license}
    unknown = tuple(s.name for s in sources if not s.license)
    non_commercial = any("-nc" in lic for lic in known.values())
    listing = ", ".join(f"{name}: {lic}" for name, lic in known.items()) or "none known"
    if override:
        return LicenseChoice(override, "-nc" in override, unknown, f"set with --license (data licences: {listing})")
    if non_commercial:
        nc = [lic for lic in known.values() if "-nc" in lic]
        chosen = "cc-by-nc-sa-4.0" if any("-sa" in lic for lic in nc) else "cc-by-nc-4.0"
        why = f"the training data includes non-commercial data ({listing}): non-commercial use only"
    elif any("-sa" in lic for lic in known.values()):
        chosen, why = "cc-by-sa-4.0", f"the training data includes share-alike data ({listing})"
    else:
        chosen = "other"
        why = f"data licences {listing}; the base model's licence applies"
    if unknown:
        why += f"; licence unknown to stx for {', '.join(unknown)}: check it before sharing"
    return LicenseChoice(chosen, non_commercial, unknown, why)
