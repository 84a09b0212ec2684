"""llm-jp-eval 1.1 on the engine's real local backend and the tiny model's real tokenizer: BOS handling, Shisa's
literal `<s>`, stopping at the first newline, and 1.1's pipeline decoding against decoding the new tokens alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stxlib.engine import GenerationRequest, LocalModelSpec
from stxlib.io import read_json
from stxlib.llm_jp_eval.data import fixtures_dir, load_eval_file
from stxlib.llm_jp_eval.generation import open_local_backend, output_texts, pipeline_text
from stxlib.llm_jp_eval.prompts import HEADER, dataset_template, render_prompt
from stxlib.llm_jp_eval.runner import RunSettings, evaluate_model, prepare

SPEC = LocalModelSpec("stx-tiny", dtype="float32")


@pytest.fixture(scope="module")
def backend(one_cpu_thread):
    backend = open_local_backend(SPEC, 4)
    yield backend
    backend.close()


def _prompt(shisa_bos: bool) -> str:
    data = load_eval_file(fixtures_dir() / "jamp.json", "jamp")
    return render_prompt(dataset_template(data, 4, shisa_bos=shisa_bos), data.samples[0].input)


def test_the_engine_honours_add_special_tokens(backend) -> None:
    bos = backend.tokenizer.bos_token_id
    prompt = _prompt(shisa_bos=False)
    without = backend.prompt_ids(GenerationRequest(prompt=prompt, add_special_tokens=False))
    with_bos = backend.prompt_ids(GenerationRequest(prompt=prompt, add_special_tokens=True))
    assert bos not in without  # 1.1's pipeline: no BOS
    assert with_bos == [bos, *without]  # the fix: the tokenizer's BOS at the start, nothing else changed


def test_shisas_literal_bos_becomes_the_bos_id_mid_prompt(backend) -> None:
    tokenizer, bos = backend.tokenizer, backend.tokenizer.bos_token_id
    ids = backend.prompt_ids(GenerationRequest(prompt=_prompt(shisa_bos=True), add_special_tokens=False))
    assert ids.count(bos) == 1 and ids.index(bos) > 0
    before = tokenizer.decode(ids[: ids.index(bos)])
    assert before == HEADER + "\n### 指示\n"  # right after `### 指示\n`, as Shisa's patch put it
    assert "<s>" not in tokenizer.convert_ids_to_tokens(ids[: ids.index(bos)])  # no piece spells it out
    both = backend.prompt_ids(GenerationRequest(prompt=_prompt(shisa_bos=True), add_special_tokens=True))
    assert both == [bos, *ids]


def test_pipeline_decoding_keeps_what_decoding_alone_drops(backend) -> None:
    """1.1's text = the new tokens decoded after the prompt (a SentencePiece `▁` at the start stays a space) with
    transformers 4's clean-up (`" ,"` -> `","`), which transformers 5 skips for BPE tokenizers."""
    tokenizer = backend.tokenizer
    prompt = tokenizer.encode(_prompt(shisa_bos=True), add_special_tokens=False)
    for text, alone, in_context in [("yes", "yes", " yes"), ("a , b", "a , b", " a, b"), ("中立", "中立", " 中立")]:
        new = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.convert_ids_to_tokens(new)[0].startswith("▁")
        assert tokenizer.decode(new, skip_special_tokens=True) == alone
        assert pipeline_text(tokenizer, prompt, new) == in_context
    # a new token that does not start a word decodes the same both ways; EOS is skipped
    new = [*tokenizer.encode("\n中立", add_special_tokens=False)[1:], tokenizer.eos_token_id]
    assert pipeline_text(tokenizer, prompt, new) == tokenizer.decode(new, skip_special_tokens=True)


def test_stopping_at_the_first_newline_and_decoding_leave_pred_unchanged_on_the_tiny_model(backend, shared) -> None:
    """Greedy generation with and without the stop string give the same predictions, under both decodings;
    on the tiny model the two decodings agree too (its first new token never starts with `▁` here). The real
    1.1 files: niilc's third sample makes the tiny model write a newline."""
    data = shared / "data" / "llm-jp-eval-1.1" / "test"
    prepared = prepare(RunSettings(data_dir=str(data), datasets=("jamp", "niilc"), limit=3))
    preds: dict[tuple[bool, str], list[str]] = {}
    reasons = []
    for stop in (True, False):
        for item in prepared:
            requests = item.requests(add_special_tokens=False)
            if not stop:
                requests = [replace(r, stop=()) for r in requests]
            generations = backend.generate(requests)
            reasons += [g.finish_reason for g in generations] if stop else []
            for g in generations:  # the engine's token ids are what its text was decoded from
                decoded = backend.tokenizer.decode(list(g.token_ids), skip_special_tokens=True)
                assert g.text == (decoded.split("\n")[0] if stop else decoded)
            for decoding in ("pipeline", "new_tokens"):
                texts, used = output_texts(backend, requests, generations, decoding)
                assert used == decoding
                preds.setdefault((stop, decoding), []).extend(r["pred"] for r in item.records(texts))
    assert len(preds) == 4 and len({tuple(p) for p in preds.values()}) == 1
    assert "stop" in reasons and any(preds[(True, "pipeline")])  # a stop fired; the tiny model says something


def test_a_run_on_the_local_backend_records_its_decoding(tmp_path, one_cpu_thread) -> None:
    settings = RunSettings(datasets=("jsts",), limit=2, shisa_bos=True, batch_size=2)
    result = evaluate_model("tiny", SPEC, settings, tmp_path, progress=False)
    part = read_json(tmp_path / "parts" / "jsts.json")
    assert part["decoding"] == "pipeline" and part["backend"] == "local" and part["truncated"] == 0
    info = result.run_info
    assert info["loaded"]["torch_dtype"] == "float32" and info["decoding"] == "pipeline"
    assert not any("returned text only" in w for w in info["warnings"])
    assert [r["pred"] for r in result.output["jsts"]] == [t.split("\n")[0] for t in part["raw_outputs"]]
