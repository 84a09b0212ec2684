"""The fast engine gives the reference path's numbers (tiny model, real JGLUE v1.1 files, float32)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from stxlib.jglue.engine import FastEngine, PackedUnit, batch_units, plan_units
from stxlib.jglue.lm import EvalLM, load_eval_lm
from stxlib.jglue.reference import ReferenceScorer, request_loglikelihood
from stxlib.jglue.runner import EvalSettings, TaskInputs, prepare_tasks
from stxlib.jglue.scoring import ChoiceItem, StopOnStrings, finish_generation, loglikelihood_window

ATOL = 1e-4


pytestmark = pytest.mark.usefixtures("one_cpu_thread")


def no_progress(n: int) -> None:
    pass


@pytest.fixture(scope="module")
def tiny_lm(tiny_model_dir: Path) -> EvalLM:
    return load_eval_lm(str(tiny_model_dir), dtype="float32")


@pytest.fixture(scope="module")
def real_inputs(shared: Path) -> dict[str, TaskInputs]:
    settings = EvalSettings(
        tasks=["jsquad", "jcommonsenseqa", "jnli"],
        num_fewshot=[2, 3, 3],
        data_dir=str(shared / "data" / "jglue-v1.1"),
        shots_from="auto",  # JSQuAD/JNLI train splits are not shipped: validation stand-in for those two
        limit=12,
    )
    return {t.task: t for t in prepare_tasks(settings)}


def choice_items(lm: EvalLM, inputs: TaskInputs) -> list[ChoiceItem]:
    return [ChoiceItem(tuple(lm.encode(d.context)), tuple(tuple(lm.encode(c)) for c in d.choices)) for d in inputs.docs]


def assert_same_scores(reference: list[list[float]], fast: list[list[float]]) -> None:
    assert len(reference) == len(fast)
    for ref_row, fast_row in zip(reference, fast, strict=True):
        assert fast_row == pytest.approx(ref_row, abs=ATOL)
        assert max(range(len(ref_row)), key=ref_row.__getitem__) == max(range(len(fast_row)), key=fast_row.__getitem__)


@pytest.mark.parametrize("task", ["jcommonsenseqa-1.1-0.3", "jnli-1.1-0.3"])
def test_multiple_choice_matches_reference(tiny_lm: EvalLM, real_inputs: dict, task: str) -> None:
    items = choice_items(tiny_lm, real_inputs[task])
    reference = ReferenceScorer().loglikelihoods(tiny_lm, items, no_progress)
    done: list[int] = []
    fast = FastEngine(batch_size=5).loglikelihoods(tiny_lm, items, done.append)
    assert sum(done) == len(items)  # progress counts documents
    assert_same_scores(reference, fast)


def test_left_truncated_requests_match_reference(tiny_lm: EvalLM, real_inputs: dict) -> None:
    items = choice_items(tiny_lm, real_inputs["jcommonsenseqa-1.1-0.3"])[:6]
    context_length = min(len(i.context) for i in items)
    short = EvalLM(tiny_lm.model, tiny_lm.tokenizer, max_length=context_length - 20)
    units = plan_units(items, short.max_length)
    assert len(units) > len(items)  # truncated choices get units of their own
    reference = ReferenceScorer().loglikelihoods(short, items, no_progress)
    fast = FastEngine(batch_size=4).loglikelihoods(short, items, no_progress)
    assert_same_scores(reference, fast)
    # the truncated reference request really is a window of the last max_length tokens
    item = items[0]
    window = loglikelihood_window(item.context, item.continuations[0], short.max_length)
    assert len(window) == short.max_length and window[-1] == item.continuations[0][-2]


def test_jsquad_generation_matches_reference(tiny_lm: EvalLM, real_inputs: dict) -> None:
    lm = tiny_lm  # 256 new tokens: the random tiny model never emits "\n" or EOS
    contexts = [lm.encode(d.context) for d in real_inputs["jsquad-1.1-0.3"].docs[:6]]
    reference = ReferenceScorer().generate(lm, contexts, no_progress)
    fast = FastEngine(batch_size=3).generate(lm, contexts, no_progress)
    assert fast == reference
    assert all("\n" not in text and text for text in fast)


def test_rows_stop_at_their_own_newline_or_eos(tiny_model_dir: Path, real_inputs: dict) -> None:
    """A copy of the tiny model nudged to emit "\\n" and EOS: rows stop at different steps, same outputs."""
    lm = load_eval_lm(str(tiny_model_dir), dtype="float32")
    lm.max_new_tokens = 64
    newline = lm.encode("\n")[-1]
    assert lm.tokenizer.decode([newline]) == "\n"
    head = lm.model.get_output_embeddings().weight
    with torch.no_grad():  # tokens the tiny model emits early in some documents, late or never in others
        head[newline] = 1.05 * head[lm.encode("ダ")[-1]]
        head[lm.eos_token_id] = 1.05 * head[lm.encode("細")[-1]]
    contexts = [lm.encode(d.context) for d in real_inputs["jsquad-1.1-0.3"].docs]
    reference = ReferenceScorer().generate(lm, contexts, no_progress)
    fast = FastEngine(batch_size=6).generate(lm, contexts, no_progress)
    assert fast == reference
    assert len({len(text) for text in fast}) > 2  # rows of one batch end at different lengths


def test_stop_criterion_and_output_cut(tiny_lm: EvalLM) -> None:
    newline = tiny_lm.encode("\n")[-1]
    word = tiny_lm.encode("ポジティブ")
    ids = torch.tensor([[5, 6, *word, newline, *word], [5, 6, *word, word[0], *word]])
    criterion = StopOnStrings(tiny_lm, prompt_length=2, batch_size=2)
    seen = [criterion(ids[:, :step], None).tolist() for step in range(2, ids.shape[1] + 1)]  # once per new token
    assert seen[len(word)] == [False, False] and seen[len(word) + 1] == [True, False]
    assert seen[-1] == [True, False]  # a stopped row stays stopped
    assert finish_generation(tiny_lm, [*word, newline, *word]) == "ポジティブ"
    assert finish_generation(tiny_lm, [newline, *word]) == ""  # "\n" first: empty prediction
    assert finish_generation(tiny_lm, [*word, tiny_lm.eos_token_id]) == "ポジティブ"  # special tokens skipped


def test_packing_plan_and_batches() -> None:
    items = [ChoiceItem((1, 2, 3), ((4,), (5, 6), (7, 8, 9))), ChoiceItem((1,) * 10, ((4, 5),))]
    units = plan_units(items, max_length=100)
    assert units[0] == PackedUnit(0, (1, 2, 3), (0, 1, 2), ((4,), (5, 6), (7, 8, 9)))
    assert units[0].length == 3 + 0 + 1 + 2  # the last token of each choice is never fed
    truncated = plan_units(items[:1], max_length=4)  # ctx 3 + choice 3 > 5: its own window
    assert [u.choice_ids for u in truncated] == [(0, 1), (2,)]
    assert truncated[1].prefix + truncated[1].continuations[0][:-1] == tuple(
        loglikelihood_window((1, 2, 3), (7, 8, 9), 4)
    )
    batches = batch_units(units * 3, batch_size=2, max_batch_tokens=1000)
    assert [len(b) for b in batches] == [2, 2, 2] and batches[0][0].length >= batches[-1][-1].length


def test_single_request_matches_a_manual_forward(tiny_lm: EvalLM) -> None:
    ctx, cont = tiny_lm.encode("### 応答:\n"), tiny_lm.encode("ポジティブ")
    with torch.no_grad():
        logits = tiny_lm.model(input_ids=torch.tensor([ctx + cont])).logits[0].float()
    logprobs = torch.log_softmax(logits, -1)
    manual = sum(float(logprobs[len(ctx) - 1 + i, t]) for i, t in enumerate(cont))
    assert request_loglikelihood(tiny_lm, ctx, cont) == pytest.approx(manual, abs=1e-5)
