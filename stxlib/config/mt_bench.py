"""The `mt_bench` params section: Japanese MT-Bench answers (FastChat jp-stable settings) and their judging."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stxlib.config.base import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Section
from stxlib.config.models import ModelRef

QuestionSet = Literal["default60", "full80", "shisa-fork", "shisa-fork-full80"]

# Shisa-7B's system prompt ("You are an unbiased, uncensored, helpful assistant."), the one behind its 5.23.
SHISA_SYSTEM_PROMPT = "あなたは公平で、検閲されていない、役立つアシスタントです。"

# FastChat jp-stable `temperature_config`; categories not listed use `default_temperature` (0.7).
FASTCHAT_TEMPERATURES = {
    "writing": 0.5,
    "roleplay": 0.5,
    "extraction": 0.2,
    "math": 0.1,
    "coding": 0.1,
    "reasoning": 0.1,
    "stem": 0.2,
    "humanities": 0.2,
}


def default_mt_bench_models() -> list[ModelRef]:
    return [ModelRef(label="base"), ModelRef(label="finetuned", adapter="best")]


class MtBenchJudgeSection(Section):
    """Who grades the answers (FastChat's JA single-answer grading: temperature 0, `max_new_tokens` 2048).

    - `kind: api`: an OpenAI-compatible endpoint; `model` is the name the server knows (`gpt-4`); `url` its base
      URL (null: `OPENAI_BASE_URL`, else `https://api.openai.com/v1`). The API key comes only from the
      environment variable `OPENAI_API_KEY`; it is never a param.
    - `kind: local`: a Hugging Face chat model (`model`: hub id, folder or `stx-tiny`) through the local engine;
      `chat_template` for a model without one (`llama-2`, `fastchat-llama-2` or a Jinja string).
    - `name`: the judge's name written into every judgment row and scores.json (default: `model`, or the local
      folder's name). Scores of different judges are never averaged together.
    - `reference_answers`: the references for math/reasoning/coding (default: the shipped GPT-4 answers; FastChat
      looks them up by the judge's name, which only works for a judge called `gpt-4`).
    - `rating_fallback` (not FastChat; opt-in): `none` (FastChat exactly: an unparsable judgment scores −1) or
      `loglikelihood` (local judge only): when a judgment holds no parsable rating, the row also records
      `fallback_rating`, the k in 1–10 whose text `[[k]]` is most likely after the judgment, and
      `rating_source`. The MT-Bench score still leaves such rows out (−1, counted in `n_unparsable`); the
      judge-decided votes of the preferences stage use the fallback (marked). For tiny smoke judges.
    """

    kind: Literal["api", "local"] = "api"
    model: str = "gpt-4"
    url: str | None = None
    name: str | None = None
    max_new_tokens: PositiveInt = 2048
    chat_template: str | None = None
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    load_in_4bit: bool = False
    batch_size: PositiveInt = 8  # judge prompts per engine call (and per save of judgments.jsonl)
    concurrency: PositiveInt = 1  # api: requests in flight (FastChat's --parallel)
    timeout_s: PositiveFloat = 120.0
    max_retries: NonNegativeInt = 5
    backoff_s: NonNegativeFloat = 2.0
    reference_answers: str | None = None
    rating_fallback: Literal["none", "loglikelihood"] = "none"


class MtBenchSection(Section):
    """Japanese MT-Bench as FastChat jp-stable ran it (see docs/mt_bench.md).

    - `models`: the models to answer (`ModelRef`: label, model (null = the run's base), adapter (`best`, a
      training stage's name or a folder), load_in_4bit); results go to `mt_bench/<label>/`.
    - `questions`: `default60` (jp-stable's current 60), `full80` (with coding and math), `shisa-fork` (the
      wording Shisa-7B was scored with), `shisa-fork-full80`; `question_file` replaces them with a file.
    - `turns`: 1 (Shisa, FastChat `--max-turns 1`) or 2 (the second turn is generated; only turn 1 is judged:
      no JA multi-turn judge prompt exists).
    - Sampling (FastChat): temperature by category (`temperatures`, else `default_temperature`), greedy when
      below 1e-4, `top_p` 0.9, `repetition_penalty` 1.1, `max_new_tokens` 512, choice i sampled with seed i.
    - `system_prompt`: null for none; default Shisa's. `chat_template`: null = the tokenizer's own; `llama-2`
      (Shisa's card format), `fastchat-llama-2` (the exact prompt FastChat's AUGMXNT fork built) or a Jinja string.
    - `limit`: the first N questions only (smoke runs). `leakage_run_length`: flag an answer holding a run of
      that many Latin/Hangul/Cyrillic letters (an assumption: 20, about four English words).
    """

    models: list[ModelRef] = Field(default_factory=default_mt_bench_models)
    questions: QuestionSet = "default60"
    question_file: str | None = None
    turns: Literal[1, 2] = 1
    system_prompt: str | None = SHISA_SYSTEM_PROMPT
    chat_template: str | None = None
    max_new_tokens: PositiveInt = 512
    temperatures: dict[str, NonNegativeFloat] = Field(default_factory=lambda: dict(FASTCHAT_TEMPERATURES))
    default_temperature: NonNegativeFloat = 0.7
    top_p: Annotated[float, Field(gt=0, le=1)] = 0.9
    repetition_penalty: PositiveFloat = 1.1
    num_choices: PositiveInt = 1
    limit: PositiveInt | None = None
    batch_size: PositiveInt = 8  # questions per engine call (and per save of the partial answers)
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    cpu_threads: PositiveInt | None = None  # torch CPU threads without a GPU (the tiny model: 1)
    leakage_run_length: PositiveInt = 20
    judge: MtBenchJudgeSection = Field(default_factory=MtBenchJudgeSection)

    @model_validator(mode="after")
    def _unique_labels(self) -> MtBenchSection:
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"model labels must be unique, got {labels}")
        if not self.models:
            raise ValueError("list at least one model (e.g. [{label: base}])")
        return self
