"""The shared engine on the tiny model (float32, one CPU thread): the fast paths give the per-request reference
path's outputs for every batch size, stop pattern and truncation; `prompt`/`messages` requests; seeded sampling
that does not depend on the batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import FIXTURES

from stxlib.engine import (
    ChoiceItem,
    Generation,
    GenerationRequest,
    LocalBackend,
    LocalModel,
    LocalModelSpec,
    Message,
    ScoringBackend,
    generation_window,
    load_local_model,
    loglikelihood_window,
)
from stxlib.engine.decoding import stop_window
from stxlib.engine.loglikelihood import PackedUnit, batch_units, plan_units

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

BATCH_SIZES = (1, 3, 8, 16)  # 16: eval.batch_size's default
ATOL = 1e-4  # packed vs per-request log-likelihoods in float32 (observed <= 1e-5)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def jsquad_prompts() -> list[str]:
    """Ten real-looking Japanese prompts of different lengths (the JSQuAD fixture's questions)."""
    data = json.loads((FIXTURES / "jglue" / "jsquad-v1.1" / "valid-v1.1.json").read_text(encoding="utf-8"))
    return [
        "文脈：" + paragraph["context"].split("[SEP]")[-1].strip() + "\n質問：" + qa["question"] + "\n答え："
        for article in data["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


@pytest.fixture(scope="module")
def lm(tiny_model_dir: Path) -> LocalModel:
    return load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))


@pytest.fixture(scope="module")
def stopping_lm(tiny_model_dir: Path) -> LocalModel:
    """A copy of the tiny model nudged to emit "\\n" and EOS: early in some prompts, late or never in others."""
    model = load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))
    encode = model.tokenizer.encode
    head = model.model.get_output_embeddings().weight
    with torch.no_grad():
        head[encode("\n", add_special_tokens=False)[-1]] = 1.05 * head[encode("ダ", add_special_tokens=False)[-1]]
        head[model.tokenizer.eos_token_id] = 1.05 * head[encode("細", add_special_tokens=False)[-1]]
    return model


def backends(lm: LocalModel, **settings) -> tuple[LocalBackend, list[LocalBackend]]:
    reference = LocalBackend(lm, mode="reference", **settings)
    return reference, [LocalBackend(lm, batch_size=size, **settings) for size in BATCH_SIZES]


def choice_items(backend: LocalBackend) -> list[ChoiceItem]:
    choices = [backend.encode(c) for c in ("紅藻類", "京都の伏見", "いいえ", "1884年", "純白の羽毛")]
    return [
        ChoiceItem(tuple(backend.encode(p)), tuple(tuple(c) for c in choices[: 2 + i % 4]))
        for i, p in enumerate(jsquad_prompts())
    ]


def assert_same_generations(reference: list[Generation], fast: list[Generation]) -> None:
    assert [g.text for g in fast] == [g.text for g in reference]
    assert [g.new_tokens for g in fast] == [g.new_tokens for g in reference]
    assert [g.finish_reason for g in fast] == [g.finish_reason for g in reference]
    assert [g.meta for g in fast] == [g.meta for g in reference]
    assert [g.token_ids for g in fast] == [g.token_ids for g in reference]


# ------------------------------------------------------------------ log-likelihoods


@pytest.mark.parametrize("max_length", [2048, 96], ids=["fits", "longer-than-window"])
def test_loglikelihoods_match_reference_for_every_batch_size(lm: LocalModel, max_length: int) -> None:
    reference, fast_backends = backends(lm, max_length=max_length)
    assert isinstance(reference, ScoringBackend)
    items = choice_items(reference)
    truncated = sum(len(i.context) + len(c) > max_length + 1 for i in items for c in i.continuations)
    assert (truncated > 0) == (max_length < 2048)  # the short window really truncates every request
    expected = reference.loglikelihoods(items)
    for backend in fast_backends:
        done: list[int] = []
        scores = backend.loglikelihoods(items, done.append)
        assert sum(done) == len(items)  # progress counts items
        for ref_row, row in zip(expected, scores, strict=True):
            assert row == pytest.approx(ref_row, abs=ATOL)
            assert row.index(max(row)) == ref_row.index(max(ref_row))


def test_reference_loglikelihood_is_a_plain_forward_pass(lm: LocalModel) -> None:
    backend = LocalBackend(lm, mode="reference")
    ctx, cont = backend.encode("### 応答:\n"), backend.encode("ポジティブ")
    with torch.no_grad():
        logits = lm.model(input_ids=torch.tensor([ctx + cont])).logits[0].float()
    logprobs = torch.log_softmax(logits, -1)
    manual = sum(float(logprobs[len(ctx) - 1 + i, t]) for i, t in enumerate(cont))
    assert backend.loglikelihoods([ChoiceItem(tuple(ctx), (tuple(cont),))]) == [[pytest.approx(manual, abs=1e-5)]]


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


def test_windows() -> None:
    assert loglikelihood_window([1, 2, 3, 4], [5, 6], 4) == [2, 3, 4, 5]
    assert generation_window(list(range(10)), 8, 5) == [7, 8, 9]
    with pytest.raises(ValueError, match="leaves no room for a prompt"):
        generation_window([1, 2], 8, 8)
    with pytest.raises(ValueError, match="empty continuation"):
        loglikelihood_window([1], [], 8)


# ------------------------------------------------------------------ greedy generation


def test_generation_matches_reference_with_rows_stopping_at_different_steps(stopping_lm: LocalModel) -> None:
    reference, fast_backends = backends(stopping_lm)
    stops = [("\n", "</s>"), ("\n",), ("。",), ()]
    requests = [
        GenerationRequest(prompt_ids=tuple(reference.encode(p)), max_new_tokens=24 + 8 * (i % 3), stop=stops[i % 4])
        for i, p in enumerate(jsquad_prompts())
    ]
    expected = reference.generate(requests)
    assert len({g.new_tokens for g in expected}) > 3  # rows end at different steps...
    assert {g.finish_reason for g in expected} == {"stop", "eos", "length"}  # ...for every reason
    for generation, request in zip(expected, requests, strict=True):
        assert not any(stop in generation.text for stop in request.stop)
    for backend in fast_backends:
        done: list[int] = []
        assert_same_generations(expected, backend.generate(requests, done.append))
        assert sum(done) == len(requests)


def test_generation_keeps_the_end_of_prompts_longer_than_the_window(stopping_lm: LocalModel) -> None:
    reference, fast_backends = backends(stopping_lm, max_length=120)
    requests = [
        GenerationRequest(prompt_ids=tuple(reference.encode(p)), max_new_tokens=20, stop=("\n",))
        for p in jsquad_prompts()
    ]
    expected = reference.generate(requests)
    assert all(g.meta == {"prompt_tokens": 100, "truncated": True} for g in expected)
    window = LocalBackend(stopping_lm, mode="reference", max_length=10_000)
    cut = [GenerationRequest(prompt_ids=r.prompt_ids[-100:], max_new_tokens=20, stop=("\n",)) for r in requests]
    assert [g.text for g in window.generate(cut)] == [g.text for g in expected]  # the last 100 tokens, exactly
    for backend in fast_backends:
        assert_same_generations(expected, backend.generate(requests))


def test_repetition_penalty_is_per_row_and_batch_independent(lm: LocalModel) -> None:
    reference, fast_backends = backends(lm)
    prompts = [tuple(reference.encode(p)) for p in jsquad_prompts()[:6]]
    plain = reference.generate([GenerationRequest(prompt_ids=p, max_new_tokens=24) for p in prompts])
    requests = [GenerationRequest(prompt_ids=p, max_new_tokens=24, repetition_penalty=1.5) for p in prompts]
    expected = reference.generate(requests)
    assert [g.text for g in expected] != [g.text for g in plain]
    for backend in fast_backends:
        assert_same_generations(expected, backend.generate(requests))


def test_stop_window_sees_whole_stop_strings() -> None:
    assert stop_window(["\n"]) == 3 and stop_window(["\n", "</s>"]) == 5 and stop_window(["。"]) == 4


# ------------------------------------------------------------------ prompt and messages requests


def test_prompt_requests_tokenise_with_or_without_special_tokens(lm: LocalModel) -> None:
    backend = LocalBackend(lm, batch_size=3)
    text = jsquad_prompts()[0]
    with_bos = GenerationRequest(prompt=text, max_new_tokens=12)
    without = GenerationRequest(prompt=text, max_new_tokens=12, add_special_tokens=False)
    ids = lm.tokenizer.encode(text, add_special_tokens=False)
    assert backend.prompt_ids(with_bos) == [lm.tokenizer.bos_token_id, *ids]
    assert backend.prompt_ids(without) == ids
    as_ids = [GenerationRequest(prompt_ids=(lm.tokenizer.bos_token_id, *ids), max_new_tokens=12)]
    got = backend.generate([with_bos, without, *as_ids])
    assert got[0] == got[2] and got[0].meta["prompt_tokens"] == got[1].meta["prompt_tokens"] + 1


def test_messages_requests_use_the_chat_template(lm: LocalModel) -> None:
    backend = LocalBackend(lm, batch_size=2)
    messages = (Message("system", "あなたは親切です。"), Message("user", "寒天は何から作られますか？"))
    request = GenerationRequest(messages=messages, max_new_tokens=16, chat_template=CHAT_TEMPLATE)
    rendered = "<|system|>\nあなたは親切です。\n<|user|>\n寒天は何から作られますか？\n<|assistant|>\n"
    assert backend.render_chat(messages, CHAT_TEMPLATE) == rendered
    assert backend.prompt_ids(request) == lm.tokenizer.encode(rendered, add_special_tokens=False)
    same_as_text = GenerationRequest(prompt=rendered, max_new_tokens=16, add_special_tokens=False)
    first, second = backend.generate([request, same_as_text])
    assert first == second and first.new_tokens == 16 and first.finish_reason == "length"
    with pytest.raises(ValueError, match="has no chat template"):
        backend.generate([GenerationRequest(messages=messages)])


# ------------------------------------------------------------------ sampling


def test_sampling_is_reproducible_whatever_the_batch(lm: LocalModel) -> None:
    reference = LocalBackend(lm, mode="reference")
    prompts = [tuple(reference.encode(p)) for p in jsquad_prompts()[:6]]

    def sampled(prompt: tuple[int, ...], seed: int) -> GenerationRequest:
        return GenerationRequest(prompt_ids=prompt, max_new_tokens=20, temperature=0.9, top_p=0.95, top_k=40, seed=seed)

    requests = [sampled(p, seed=100 + i) for i, p in enumerate(prompts)]
    greedy = [GenerationRequest(prompt_ids=p, max_new_tokens=20) for p in prompts]
    alone = reference.generate(requests)
    greedy_alone = [g.text for g in reference.generate(greedy)]
    assert [g.text for g in alone] != greedy_alone  # it really samples
    assert [g.text for g in reference.generate(requests[:2])] == [g.text for g in alone[:2]]  # same seed, same text
    other_seed = reference.generate([sampled(p, seed=7) for p in prompts[:2]])
    assert [g.text for g in other_seed] != [g.text for g in alone[:2]]
    mixed = [r for pair in zip(requests, greedy, strict=True) for r in pair]  # sampled rows beside greedy ones
    for size in BATCH_SIZES:
        out = LocalBackend(lm, batch_size=size).generate(mixed)
        assert [g.text for g in out[::2]] == [g.text for g in alone]
        assert [g.text for g in out[1::2]] == greedy_alone
    reordered = LocalBackend(lm, batch_size=4).generate(requests[::-1])[::-1]
    assert [g.text for g in reordered] == [g.text for g in alone]


def test_bad_requests_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="exactly one of prompt_ids, prompt or messages"):
        GenerationRequest(prompt="a", prompt_ids=(1,))
    with pytest.raises(ValueError, match="top_p"):
        GenerationRequest(prompt="a", top_p=0.0)
    with pytest.raises(ValueError, match="empty stop string"):
        GenerationRequest(prompt="a", stop=("",))
