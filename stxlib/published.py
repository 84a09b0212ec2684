"""Published numbers stx compares against.

The JGLUE numbers reported on the `lightblue/openorca_stx` model card (jp-stable, prompt version 0.3).

The card reports one headline number per task: JSQuAD exact match on a 0–1 scale (EM / 100, inferred
from Stability's leaderboard convention; the card does not say) and `acc` for the other three.
`stxlib.jglue.compare.headline` turns a `results.json` into the same convention.
"""

from __future__ import annotations

from types import MappingProxyType

#: Task names in the card's column order.
CARD_TASKS: tuple[str, ...] = ("jsquad-1.1-0.3", "jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3")

#: Which metric each headline number is, and the factor that turns a results.json value into it.
CARD_METRICS: MappingProxyType[str, tuple[str, float]] = MappingProxyType(
    {
        "jsquad-1.1-0.3": ("exact_match", 0.01),
        "jcommonsenseqa-1.1-0.3": ("acc", 1.0),
        "jnli-1.1-0.3": ("acc", 1.0),
        "marc_ja-1.1-0.3": ("acc", 1.0),
    }
)

#: Model ids of the two rows of the card's table.
CARD_BASE_MODEL = "Open-Orca/OpenOrcaxOpenChat-Preview2-13B"
CARD_STX_MODEL = "lightblue/openorca_stx"

#: The card's table: row label -> task -> headline value (JSQuAD EM/100, acc otherwise).
#: Labels match the eval labels of the stage (`base`, `finetuned`).
CARD_RESULTS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        "base": MappingProxyType(
            {"jsquad-1.1-0.3": 0.692, "jcommonsenseqa-1.1-0.3": 0.831, "jnli-1.1-0.3": 0.504, "marc_ja-1.1-0.3": 0.936}
        ),
        "finetuned": MappingProxyType(
            {"jsquad-1.1-0.3": 0.836, "jcommonsenseqa-1.1-0.3": 0.782, "jnli-1.1-0.3": 0.48, "marc_ja-1.1-0.3": 0.959}
        ),
    }
)

#: Human-readable names of the card's rows.
CARD_MODEL_NAMES: MappingProxyType[str, str] = MappingProxyType({"base": CARD_BASE_MODEL, "finetuned": CARD_STX_MODEL})
