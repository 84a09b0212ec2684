"""Every batching mode of the fast engine against the per-request reference path (tiny model, float32, one
CPU thread), for the batch sizes in use (1, 3, 8 and eval's default 16): continuous batching in slots with
refills and compaction, the shared prompt prefix (generation and packed log-likelihoods), prompt-lookup
drafts, the `model.generate` fallback; plus the KV cache, the draft lookup and the thread record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from helpers import FIXTURES

from stxlib.config.evaluation import EvalSection
from stxlib.engine import (
    ChoiceItem,
    Generation,
    GenerationRequest,
    LocalBackend,
    LocalModel,
    LocalModelSpec,
    load_local_model,
)
from stxlib.engine.continuous import SlotDecoder, accepted
from stxlib.engine.kvcache import SlotCache
from stxlib.engine.lookup import NgramIndex
from stxlib.engine.prefix import MIN_SHARED_PREFIX, common_prefix_length, shared_prefix_length

pytestmark = pytest.mark.usefixtures("one_cpu_thread")

SIZES = (1, 3, 8, 16)
ATOL = 1e-4
DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n"


def questions() -> list[str]:
    """Eleven Japanese prompts of different lengths behind one common description (a shareable prefix)."""
    data = json.loads((FIXTURES / "jglue" / "jsquad-v1.1" / "valid-v1.1.json").read_text(encoding="utf-8"))
    texts = [
        "### 入力:\n文脈：" + p["context"].split("[SEP]")[-1].strip() + "\n質問：" + qa["question"] + "\n### 応答:\n"
        for article in data["data"]
        for p in article["paragraphs"]
        for qa in p["qas"]
    ]
    return [DESCRIPTION + t for t in [*texts, texts[0][:40]]]


@pytest.fixture(scope="module")
def lm(tiny_model_dir: Path) -> LocalModel:
    return load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))


@pytest.fixture(scope="module")
def stopping_lm(tiny_model_dir: Path) -> LocalModel:
    """The tiny model nudged to write "\\n" and EOS now and then: rows stop at many different steps."""
    model = load_local_model(LocalModelSpec(str(tiny_model_dir), dtype="float32"))
    encode = model.tokenizer.encode
    head = model.model.get_output_embeddings().weight
    with torch.no_grad():
        head[encode("\n", add_special_tokens=False)[-1]] = 1.05 * head[encode("ダ", add_special_tokens=False)[-1]]
        head[model.tokenizer.eos_token_id] = 1.05 * head[encode("細", add_special_tokens=False)[-1]]
    return model


def requests_for(backend: LocalBackend, budget: int = 40) -> list[GenerationRequest]:
    stops = [("\n", "</s>"), ("\n",), ("。",), ()]
    return [
        GenerationRequest(prompt_ids=tuple(backend.encode(q)), max_new_tokens=budget - 4 * (i % 3), stop=stops[i % 4])
        for i, q in enumerate(questions())
    ]


def assert_same(reference: list[Generation], fast: list[Generation]) -> None:
    for field in ("text", "new_tokens", "finish_reason", "meta", "token_ids"):
        assert [getattr(g, field) for g in fast] == [getattr(g, field) for g in reference], field


# ------------------------------------------------------------------ generation


@pytest.mark.parametrize("share_prefix,draft_tokens", [(True, 8), (False, 0)], ids=["prefix+drafts", "plain"])
def test_slot_decoding_matches_reference(stopping_lm: LocalModel, share_prefix: bool, draft_tokens: int) -> None:
    reference = LocalBackend(stopping_lm, mode="reference")
    requests = requests_for(reference)
    expected = reference.generate(requests)
    assert len({g.new_tokens for g in expected}) > 4 and {g.finish_reason for g in expected} == {
        "stop",
        "eos",
        "length",
    }
    for size in SIZES:
        backend = LocalBackend(stopping_lm, batch_size=size, share_prefix=share_prefix, draft_tokens=draft_tokens)
        done: list[int] = []
        assert_same(expected, backend.generate(requests, done.append))
        assert backend.last_decoder == "slots" and sum(done) == len(requests)
        stats = backend.stats
        assert (stats.prefix_tokens_reused > 0) == share_prefix  # the description is computed once
        assert stats.generated_tokens == sum(g.new_tokens for g in expected)
        # one prefill per request (+ the prefix), then decode steps of up to `size` rows
        prefills = len(requests) + share_prefix
        assert stats.forward_passes > prefills or size >= len(requests)


def test_slots_refill_and_compact(stopping_lm: LocalModel) -> None:
    """Three slots for eleven requests: finished rows leave at once, the queue refills their slots, and once it
    is empty the last slot moves into the hole; the outputs do not change."""
    backend = LocalBackend(stopping_lm, batch_size=3)
    rows = [backend.decode_row(r) for r in requests_for(backend)]
    decoder = SlotDecoder(stopping_lm, rows, 3)
    moves: list[tuple[int, int]] = []
    copy = decoder.cache.copy_slot
    decoder.cache.copy_slot = lambda s, t, n: (moves.append((s, t)), copy(s, t, n))[1]  # type: ignore[method-assign]
    with torch.inference_mode():
        got = decoder.run(lambda n: None)
    assert_same(LocalBackend(stopping_lm, mode="reference").generate(requests_for(backend)), got)
    prefix_slot = decoder.prefix_slot
    assert any(s != prefix_slot for s, _ in moves)  # a running row moved into a finished one's slot


def test_drafts_save_steps_without_changing_greedy_output(lm: LocalModel) -> None:
    """The untouched tiny model repeats itself: drafts looked up in its own text are accepted, so fewer forward
    passes produce the same tokens."""
    reference = LocalBackend(lm, mode="reference")
    requests = [GenerationRequest(prompt_ids=tuple(reference.encode(q)), max_new_tokens=48) for q in questions()]
    expected = reference.generate(requests)
    plain, drafting = LocalBackend(lm, batch_size=8, draft_tokens=0), LocalBackend(lm, batch_size=8)
    assert_same(expected, plain.generate(requests))
    assert_same(expected, drafting.generate(requests))
    assert drafting.stats.draft_tokens_accepted > 0
    assert drafting.stats.forward_passes < plain.stats.forward_passes


def test_generate_fallback_matches_reference(stopping_lm: LocalModel, tiny_model_dir: Path, tmp_path: Path) -> None:
    reference = LocalBackend(stopping_lm, mode="reference")
    requests = requests_for(reference)
    expected = reference.generate(requests)
    for size in (3, 16):
        backend = LocalBackend(stopping_lm, batch_size=size, slot_decoding=False)
        assert_same(expected, backend.generate(requests))
        assert backend.last_decoder == "generate"
    # a generation_config.json with a logits processor of its own: the engine leaves decoding to `generate`
    folder = tmp_path / "penalised"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**config, "repetition_penalty": 1.3}))
    penalised = load_local_model(LocalModelSpec(str(folder), dtype="float32"))
    short = [GenerationRequest(prompt_ids=r.prompt_ids, max_new_tokens=16) for r in requests[:5]]
    plain = LocalBackend(stopping_lm, mode="reference").generate(short)
    fast = LocalBackend(penalised, batch_size=4)
    got = fast.generate(short)
    assert fast.last_decoder == "generate (generation_config.json sets repetition_penalty)"
    assert_same(LocalBackend(penalised, mode="reference").generate(short), got)
    assert [g.text for g in got] != [g.text for g in plain]  # the penalty applies


def test_small_kv_budget_means_fewer_slots(stopping_lm: LocalModel, monkeypatch: pytest.MonkeyPatch) -> None:
    import stxlib.engine.continuous as continuous

    backend = LocalBackend(stopping_lm, batch_size=8)
    rows = [backend.decode_row(r) for r in requests_for(backend)]
    monkeypatch.setattr(continuous, "DEFAULT_KV_BUDGET", 1)
    assert SlotDecoder(stopping_lm, rows, 8).slots == 1
    assert_same(
        LocalBackend(stopping_lm, mode="reference").generate(requests_for(backend)),
        backend.generate(requests_for(backend)),
    )


# ------------------------------------------------------------------ log-likelihoods


@pytest.mark.parametrize("max_length", [2048, 60], ids=["fits", "longer-than-window"])
def test_shared_prefix_loglikelihoods_match_reference(lm: LocalModel, max_length: int) -> None:
    reference = LocalBackend(lm, mode="reference", max_length=max_length)
    choices = [reference.encode(c) for c in ("紅藻類", "京都の伏見", "いいえ", "1884年", "純白の羽毛")]
    items = [
        ChoiceItem(tuple(reference.encode(q)), tuple(tuple(c) for c in choices[: 2 + i % 4]))
        for i, q in enumerate(questions())
    ]
    expected = reference.loglikelihoods(items)
    for size in SIZES:
        for share in (True, False):
            backend = LocalBackend(lm, batch_size=size, max_length=max_length, share_prefix=share)
            got = backend.loglikelihoods(items)
            for ref_row, row in zip(expected, got, strict=True):
                assert row == pytest.approx(ref_row, abs=ATOL)
                assert row.index(max(row)) == ref_row.index(max(ref_row))
            assert (backend.stats.prefix_tokens_reused > 0) == (share and max_length == 2048)


# ------------------------------------------------------------------ pieces


def test_slot_cache_writes_each_row_at_its_own_position() -> None:
    cache = SlotCache(num_layers=1, slots=3, capacity=8)
    layer = cache.layers[0]
    states = torch.arange(2 * 4, dtype=torch.float32).reshape(1, 1, 4, 2)  # [batch, heads, q, head_dim]
    cache.prefill(slot=1, start=2)
    keys, _ = layer.update(states, states)
    assert keys.shape == (1, 1, 6, 2) and torch.equal(layer.keys[1, 0, 2:6], states[0, 0])
    cache.copy_slot(1, 0, 6)
    assert torch.equal(layer.keys[0], layer.keys[1])
    step = torch.full((2, 1, 2, 2), 7.0)  # two rows, two tokens each (the newest and one draft)
    cache.decode(torch.tensor([6, 3]), q=2)
    keys, _ = layer.update(step, step)
    assert keys.shape == (2, 1, 8, 2)
    assert torch.equal(layer.keys[0, 0, 6:8], step[0, 0]) and torch.equal(layer.keys[1, 0, 3:5], step[1, 0])
    assert torch.equal(layer.keys[1, 0, 2:3], states[0, 0, :1])  # untouched before the row's length
    with pytest.raises(ValueError, match="overflows a KV cache of 8"):
        cache.decode(torch.tensor([7]), q=2)


def test_drafts_follow_the_latest_occurrence_and_loops() -> None:
    index = NgramIndex([5, 1, 2, 9, 1, 2])
    assert index.draft(3) == [9, 1, 2]  # "1 2" was last followed by 9
    index.append(7)
    assert index.draft(4) == []  # 7 never appeared before
    assert NgramIndex([3, 1, 2, 1, 2]).draft(5) == [1, 2, 1, 2, 1]  # a loop continues with its period
    assert NgramIndex([4, 4]).draft(3) == [4, 4, 4] and NgramIndex([4, 4]).draft(0) == []
    assert accepted([1, 2, 3], [1, 2, 9, 8]) == [1, 2, 9]  # agree twice, then the model's own token
    assert accepted([], [6, 0]) == [6] and accepted([1], [1, 5]) == [1, 5]


def test_shared_prefix_rules() -> None:
    head = tuple(range(MIN_SHARED_PREFIX + 4))
    assert common_prefix_length([(*head, 1, 2), (*head, 1, 3), head]) == len(head)
    assert shared_prefix_length([(*head, 1, 2), (*head, 1, 3)]) == len(head) + 1
    assert shared_prefix_length([(*head, 1), head]) == len(head) - 1  # never a whole sequence
    assert shared_prefix_length([(*head, 1)]) == 0  # nothing to share with
    assert shared_prefix_length([(1, 2, 3), (1, 2, 4)]) == 0  # too short to be worth a pass


def test_thread_record_and_restriction() -> None:
    from stxlib.jglue import use_cpu_threads
    from stxlib.jglue.results import cpu_cores

    before = torch.get_num_threads()
    try:
        record = use_cpu_threads(EvalSection(cpu_threads=64))  # more than the machine has: all cores
        assert record == {"cpu_threads": 64, "torch_threads": cpu_cores(), "cpu_cores": cpu_cores()}
        assert use_cpu_threads(EvalSection(cpu_threads=1))["torch_threads"] == 1
        assert use_cpu_threads(EvalSection())["torch_threads"] == 1  # null leaves the threads as they are
    finally:
        torch.set_num_threads(before)
