"""The card's params file keeps jp-stable's choices: the checkpoint's own dtype, a written-down hub revision,
and the 2023 tokenizer split."""

from __future__ import annotations

from helpers import REPO

from stxlib.config import load_params
from stxlib.hub import PARQUET_REVISION


def test_openorca_params_follow_jp_stable() -> None:
    config = load_params(REPO / "params" / "openorca_stx.yaml")
    assert config.eval.dtype == "auto"
    assert config.eval.hub_revision == PARQUET_REVISION
    assert "hub_revision:" in (REPO / "params" / "openorca_stx.yaml").read_text(encoding="utf-8")  # pinned there
    assert config.model.tokenizer_legacy is True
