"""The dpo stage's section: the summary, loss curves and trl's reward metrics (`dpo/log_history.json`)."""

from stxlib.report.training_section import training_section

SECTION = training_section("dpo", "DPO", dpo=True)
