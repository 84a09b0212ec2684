"""The `preferences` params section: pairwise votes and their Bradley–Terry fit (stage `preferences`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import FolderName, NonNegativeFloat, PositiveInt, Section


class PreferencesSection(Section):
    """Pairwise preferences between models (Shisa card §5; see docs/preferences.md).

    - `labels`: the MT-Bench labels (`mt_bench/<label>/`) to pair; empty: every label of the run that has
      answers (for the voting panel) or judgments (for judge-decided votes).
    - `answers`: more answer sets for the voting panel, label -> FastChat `model_answer` file (e.g. Shisa's
      generation prompts at several temperatures, one label each).
    - `questions`: a FastChat question file (`{question_id, turns}`) giving the prompt text the panel shows;
      null: taken from the judge prompts in `judgments.jsonl` where present.
    - `turn`: the turn compared (1: MT-Bench as Shisa scored it).
    - `lang`: the `lang` recorded with every vote.
    - `alpha`: choix's regularisation for `ilsr_pairwise` (small and > 0, so that a comparison graph that is
      not (strongly) connected still has an estimate; 0.01 as Shisa's notes; 0 = plain maximum likelihood).
    - `draws`: `drop` (default; choix has no tie model) or `split` (a draw counts one win each way).
    - `judge_votes`: build votes from MT-Bench judge scores (higher wins, equal = draw) in batch runs.
    - `rater_id`: the rater recorded by the voting panel; null: the login name.
    """

    labels: list[FolderName] = Field(default_factory=list)
    answers: dict[FolderName, str] = Field(default_factory=dict)
    questions: str | None = None
    turn: PositiveInt = 1
    lang: str = "ja"
    alpha: NonNegativeFloat = 0.01
    draws: Literal["drop", "split"] = "drop"
    judge_votes: bool = True
    rater_id: str | None = None

    @model_validator(mode="after")
    def _unique_labels(self) -> PreferencesSection:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be unique, got {self.labels}")
        return self
