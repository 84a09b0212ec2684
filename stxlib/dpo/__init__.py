"""DPO (Shisa stage 4): trl 1.16 `DPOTrainer` on `{prompt, chosen, rejected}` pairs from the SFT adapter, the
reference implicit (no second model); the shared training session's "preference" kind. See
docs/shisa_training.md."""

from stxlib.dpo.stage import STAGE, check_config, prepare_dpo, run_stage

__all__ = ["STAGE", "check_config", "prepare_dpo", "run_stage"]
