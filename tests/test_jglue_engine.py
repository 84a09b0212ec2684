"""JGLUE through the engine: the fast paths give the reference path's numbers (tiny model, real JGLUE v1.1
files, float32), and JSQuAD's stops and clean-up are jp-stable's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from stxlib.config.evaluation import EvalSection
from stxlib.engine import ChoiceItem, GenerationRequest, LocalBackend, LocalModel, LocalModelSpec, load_local_model
from stxlib.engine.decoding import DecodeRow, RowStops, finish_row
from stxlib.engine.loglikelihood import plan_units
from stxlib.engine.windows import loglikelihood_window
from stxlib.jglue import TaskInputs, prepare_tasks
from stxlib.jglue.model import jp_stable_max_length
from stxlib.jglue.scoring import choice_item, jsquad_request

ATOL = 1e-4


pytestmark = pytest.mark.usefixtures("one_cpu_thread")


def no_progress(n: int) -> None:
    pass


@pytest.fixture(scope="module")
def tiny_lm(tiny_model_dir: Path) -> LocalModel:
    return load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))


def backend(lm: LocalModel, mode: str = "reference", batch_size: int = 4, max_length: int | None = None):
    length = max_length or jp_stable_max_length(lm.model.config, lm.tokenizer)
    return LocalBackend(lm, max_length=length, batch_size=batch_size, mode=mode)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def real_inputs(shared: Path) -> dict[str, TaskInputs]:
    section = EvalSection(
        tasks=["jsquad", "jcommonsenseqa", "jnli"],
        num_fewshot=[2, 3, 3],
        data_dir=str(shared / "data" / "jglue-v1.1"),
        shots_from="auto",  # JSQuAD/JNLI train splits are not shipped: validation stand-in for those two
        limit=12,
    )
    return {t.task: t for t in prepare_tasks(section)}


def choice_items(b: LocalBackend, inputs: TaskInputs) -> list[ChoiceItem]:
    return [choice_item(b, d) for d in inputs.docs]


def assert_same_scores(reference: list[list[float]], fast: list[list[float]]) -> None:
    assert len(reference) == len(fast)
    for ref_row, fast_row in zip(reference, fast, strict=True):
        assert fast_row == pytest.approx(ref_row, abs=ATOL)
        assert max(range(len(ref_row)), key=ref_row.__getitem__) == max(range(len(fast_row)), key=fast_row.__getitem__)


@pytest.mark.parametrize("task", ["jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3"])
def test_multiple_choice_matches_reference(tiny_lm: LocalModel, real_inputs: dict, task: str) -> None:
    items = choice_items(backend(tiny_lm), real_inputs[task])
    reference = backend(tiny_lm).loglikelihoods(items, no_progress)
    done: list[int] = []
    fast = backend(tiny_lm, "fast", batch_size=5).loglikelihoods(items, done.append)
    assert sum(done) == len(items)  # progress counts documents
    assert_same_scores(reference, fast)


def test_left_truncated_requests_match_reference(tiny_lm: LocalModel, real_inputs: dict) -> None:
    items = choice_items(backend(tiny_lm), real_inputs["jcommonsenseqa-1.1-0.3"])[:6]
    short = min(len(i.context) for i in items) - 20
    units = plan_units(items, short)
    assert len(units) > len(items)  # truncated choices get units of their own
    reference = backend(tiny_lm, max_length=short).loglikelihoods(items, no_progress)
    fast = backend(tiny_lm, "fast", batch_size=4, max_length=short).loglikelihoods(items, no_progress)
    assert_same_scores(reference, fast)
    # the truncated reference request really is a window of the last max_length tokens
    item = items[0]
    window = loglikelihood_window(item.context, item.continuations[0], short)
    assert len(window) == short and window[-1] == item.continuations[0][-2]


def test_jsquad_generation_matches_reference(tiny_lm: LocalModel, real_inputs: dict) -> None:
    ref = backend(tiny_lm)  # 256 new tokens: the random tiny model never emits "\n" or EOS
    requests = [jsquad_request(ref, d) for d in real_inputs["jsquad-1.1-0.3"].docs[:6]]
    assert requests[0].stop == ("\n", "</s>") and requests[0].max_new_tokens == 256 and requests[0].greedy
    reference = [g.text for g in ref.generate(requests, no_progress)]
    fast = [g.text for g in backend(tiny_lm, "fast", batch_size=3).generate(requests, no_progress)]
    assert fast == reference
    assert all("\n" not in text and text for text in fast)


def test_rows_stop_at_their_own_newline_or_eos(tiny_model_dir: Path, real_inputs: dict) -> None:
    """A copy of the tiny model nudged to emit "\\n" and EOS: rows stop at different steps, same outputs."""
    lm = load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))
    ref = backend(lm)
    newline = ref.encode("\n")[-1]
    assert lm.tokenizer.decode([newline]) == "\n"
    head = lm.model.get_output_embeddings().weight
    with torch.no_grad():  # tokens the tiny model emits early in some documents, late or never in others
        head[newline] = 1.05 * head[ref.encode("ダ")[-1]]
        head[lm.tokenizer.eos_token_id] = 1.05 * head[ref.encode("細")[-1]]
    requests = [replace(jsquad_request(ref, d), max_new_tokens=64) for d in real_inputs["jsquad-1.1-0.3"].docs]
    reference = [g.text for g in ref.generate(requests, no_progress)]
    fast = [g.text for g in backend(lm, "fast", batch_size=6).generate(requests, no_progress)]
    assert fast == reference
    assert len({len(text) for text in fast}) > 2  # rows of one batch end at different lengths


def test_stop_criterion_and_output_cut(tiny_lm: LocalModel) -> None:
    b = backend(tiny_lm)
    newline = b.encode("\n")[-1]
    word = b.encode("ポジティブ")
    request = GenerationRequest(prompt_ids=(5, 6), max_new_tokens=256, stop=("\n", "</s>"))
    rows = [DecodeRow((5, 6), request), DecodeRow((5, 6), request)]
    ids = torch.tensor([[5, 6, *word, newline, *word], [5, 6, *word, word[0], *word]])
    criterion = RowStops(tiny_lm.tokenizer, 2, rows)
    seen = [criterion(ids[:, :step], None).tolist() for step in range(2, ids.shape[1] + 1)]  # once per new token
    assert seen[len(word)] == [False, False] and seen[len(word) + 1] == [True, False]
    assert seen[-1] == [True, False]  # a stopped row stays stopped
    assert criterion.ends == [len(word) + 1, None]
    eos = {tiny_lm.tokenizer.eos_token_id}

    def cut(new: list[int], end: int | None = None) -> str:
        return finish_row(tiny_lm.tokenizer, new, end, eos, rows[0]).text

    assert cut([*word, newline, *word]) == "ポジティブ"
    assert cut([newline, *word]) == ""  # "\n" first: empty prediction
    assert cut([*word, tiny_lm.tokenizer.eos_token_id]) == "ポジティブ"  # special tokens skipped
    finished = finish_row(tiny_lm.tokenizer, [*word, newline, *word], len(word) + 1, eos, rows[0])
    assert (finished.finish_reason, finished.new_tokens) == ("stop", len(word) + 1)
