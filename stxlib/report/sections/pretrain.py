"""The pretrain stage's section (`pretrain/log_history.json`, `pretrain/train_summary.json`)."""

from stxlib.report.training_section import training_section

SECTION = training_section("pretrain", "Continued pre-training")
