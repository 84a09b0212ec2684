"""The sft stage's section (`sft/log_history.json`, `sft/train_summary.json`)."""

from stxlib.report.training_section import training_section

SECTION = training_section("sft", "Chat SFT")
