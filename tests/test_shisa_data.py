"""The Shisa training stages without training: the Llama-2 chat template (golden strings), assistant-only labels,
packing, the data readers and their errors, the hub loaders (mocked at huggingface_hub), the stage chain."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import FIXTURES, REPO

from stxlib.chat_templates import LLAMA_2, LLAMA_2_TRAINING, training_template
from stxlib.config import ParamsError, load_params
from stxlib.config.stage_training import RecordsRef
from stxlib.paths import RunPaths
from stxlib.records import RecordsError, load_records
from stxlib.tokenization import IGNORE_INDEX

SHISA = FIXTURES / "shisa"
SYSTEM = "あなたは公平で、検閲されていない、役立つアシスタントです。"


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    from stxlib.tokenization import load_tokenizer

    return load_tokenizer(str(tiny_model_dir))


def _render(tokenizer, template: str, messages: list[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False)


def test_llama_2_renders_the_shisa_card_format(tokenizer) -> None:
    """specs/shisa.md §2: `[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{user} [/INST] {assistant} </s><s>[INST] {user2}
    [/INST]`, the first `<s>` from the template; the training template renders the same text."""
    two_turns = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "日本の首都は？"},
        {"role": "assistant", "content": "東京です。"},
        {"role": "user", "content": "人口は？"},
    ]
    golden = (
        "<s>[INST] <<SYS>>\nあなたは公平で、検閲されていない、役立つアシスタントです。\n<</SYS>>\n\n"
        "日本の首都は？ [/INST] 東京です。 </s><s>[INST] 人口は？ [/INST]"
    )
    assert _render(tokenizer, LLAMA_2, two_turns) == golden
    assert _render(tokenizer, LLAMA_2_TRAINING, two_turns) == golden
    answered = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    assert _render(tokenizer, LLAMA_2_TRAINING, answered) == "<s>[INST] Hi [/INST] Hello! </s>"  # no <s> at the end


def test_labels_cover_exactly_the_assistant_tokens_and_eos(tokenizer) -> None:
    from stxlib.sft.data import encode, to_messages

    row = {
        "conversations": [
            {"from": "human", "value": "富士山の高さは？"},
            {"from": "gpt", "value": "約3776メートルです。"},
            {"from": "human", "value": "What about Mount Aso?"},
            {"from": "gpt", "value": "About 1,592 meters."},
        ]
    }
    messages = to_messages(row, "row", SYSTEM)
    assert messages[0] == {"role": "system", "content": SYSTEM}
    enc = encode(tokenizer, messages, LLAMA_2_TRAINING, 4096)
    text = _render(tokenizer, LLAMA_2, messages)
    # Independently: the characters of each answer and its " </s>" are the trained span.
    spans = []
    for answer in ("約3776メートルです。", "About 1,592 meters."):
        start = text.index(answer)
        spans.append((start, text.index("</s>", start) + len("</s>")))
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert offsets["input_ids"] == enc["input_ids"]
    expected = [any(a < end and b > start for start, end in spans) and b > a for a, b in offsets["offset_mapping"]]
    labelled = [label != IGNORE_INDEX for label in enc["labels"]]
    assert labelled == expected
    trained = [t for t in enc["labels"] if t != IGNORE_INDEX]
    assert trained.count(tokenizer.eos_token_id) == 2 and enc["labels"][-1] == tokenizer.eos_token_id
    assert tokenizer.bos_token_id not in trained
    assert [t for t, m in zip(enc["input_ids"], labelled, strict=True) if m] == trained


def test_conversation_without_an_assistant_turn_is_refused() -> None:
    from stxlib.sft.data import to_messages

    with pytest.raises(RecordsError, match=r"data.jsonl:3: the conversation has no assistant \(\"gpt\"\) turn"):
        to_messages({"conversations": [{"from": "human", "value": "hi"}]}, "data.jsonl:3", None)
    with pytest.raises(RecordsError, match="must alternate"):
        to_messages({"conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "b"}]}, "x", None)


def test_preference_row_missing_rejected_names_the_line(tmp_path: Path) -> None:
    from stxlib.dpo.data import read_pairs

    data = tmp_path / "pairs.jsonl"
    good = {"prompt": "質問", "chosen": "良い答え", "rejected": "悪い答え"}
    data.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps({"prompt": "q", "chosen": "a"}) + "\n")
    config = load_params(None, [f"dpo.datasets=[{{path: {data}}}]"])
    with pytest.raises(RecordsError, match=rf"{data.name}:2: .*`rejected` is missing"):
        read_pairs(config)
    config = load_params(None, [f"dpo.datasets=[{{path: {data}}}]", "dpo.datasets.0.limit=1", "dpo.system_prompt=null"])
    assert read_pairs(config) == [
        {
            "prompt": [{"role": "user", "content": "質問"}],
            "chosen": [{"role": "assistant", "content": "良い答え"}],
            "rejected": [{"role": "assistant", "content": "悪い答え"}],
        }
    ]


def test_negative_neftune_alpha_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match=r"sft.neftune_noise_alpha: .*must be >= 0, got -1.0.*null"):
        load_params(None, ["sft.neftune_noise_alpha=-1.0"])


def test_sft_template_without_generation_markers_is_refused() -> None:
    from stxlib.sft import check_config

    config = load_params(None, ['sft.chat_template="{{ messages }}"'])
    with pytest.raises(ParamsError, match=r"sft.chat_template=.*generation"):
        check_config(config)
    assert training_template("llama-2", "x") == LLAMA_2_TRAINING


def test_packing_keeps_every_token_once(tokenizer) -> None:
    from stxlib.pretrain.data import pack, token_stream, unpack

    docs = [json.loads(line)["text"] for line in (SHISA / "culturax_ja.jsonl").read_text().splitlines()[:7]]
    stream = token_stream(tokenizer, docs)
    per_doc = [tokenizer(d)["input_ids"] + [tokenizer.eos_token_id] for d in docs]
    assert stream == [t for ids in per_doc for t in ids]
    assert stream.count(tokenizer.bos_token_id) == len(docs)
    blocks = pack(stream, 64, tokenizer.pad_token_id or 0)
    assert unpack(blocks) == stream
    assert len(blocks["input_ids"]) == math.ceil(len(stream) / 64)
    assert all(len(ids) == 64 for ids in blocks["input_ids"])
    last_mask, last_labels = blocks["attention_mask"][-1], blocks["labels"][-1]
    assert [label == IGNORE_INDEX for label in last_labels] == [m == 0 for m in last_mask]
    assert sum(sum(m) for m in blocks["attention_mask"]) == len(stream)


def test_ja_second_pass_appends_the_japanese_conversations() -> None:
    from stxlib.sft.data import is_japanese, second_pass_order, to_messages

    rows = [json.loads(line) for line in (SHISA / "sft_conversations.jsonl").read_text().splitlines()]
    conversations = [to_messages(r, "x", None) for r in rows]
    order = second_pass_order(conversations, seed=1)
    japanese = [c for c in conversations if is_japanese(c)]
    assert len(japanese) == 12 and len(order) == len(conversations) + 12
    assert sorted(map(str, order[: len(conversations)])) == sorted(map(str, conversations))
    assert all(is_japanese(c) for c in order[len(conversations) :])


def _parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_hub_datasets_load_through_huggingface_hub(tmp_path: Path, monkeypatch) -> None:
    """ultra-orca-boros and shisa-en-ja-dpo through the parquet conversion, CulturaX by file; only the
    huggingface_hub functions are replaced."""
    import huggingface_hub

    sft_rows = [json.loads(line) for line in (SHISA / "sft_conversations.jsonl").read_text().splitlines()]
    dpo_rows = [{"prompt": "質問", "chosen": "良い", "rejected": "悪い"}] * 3
    files = {
        ("augmxnt/ultra-orca-boros-en-ja-v1", "default/train/0000.parquet"): _parquet(tmp_path / "a.parquet", sft_rows),
        ("augmxnt/shisa-en-ja-dpo-v1", "default/train/0000.parquet"): _parquet(tmp_path / "b.parquet", dpo_rows),
        ("uonlp/CulturaX", "ja/ja_part_00004.parquet"): _parquet(
            tmp_path / "c.parquet", [{"text": "みどり町", "url": "u"}]
        ),
        ("uonlp/CulturaX", "en/en_part_00004.parquet"): _parquet(
            tmp_path / "d.parquet", [{"text": "Midori", "url": "u"}]
        ),
    }
    calls = []

    def list_repo_files(repo_id, **kwargs):
        calls.append(("list", repo_id, kwargs.get("revision")))
        return [f for (repo, f) in files if repo == repo_id] + ["README.md"]

    def hf_hub_download(repo_id, filename, **kwargs):
        calls.append(("download", repo_id, filename, kwargs.get("repo_type")))
        return str(files[(repo_id, filename)])

    monkeypatch.setattr(huggingface_hub, "list_repo_files", list_repo_files)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hf_hub_download)
    config = load_params(REPO / "params" / "shisa_7b.yaml")
    from stxlib.dpo.data import read_pairs
    from stxlib.pretrain.data import read_documents
    from stxlib.sft.data import read_conversations

    assert len(read_conversations(config)) == len(sft_rows)
    assert read_pairs(config)[0]["chosen"] == [{"role": "assistant", "content": "良い"}]
    assert read_documents(config) == ["みどり町", "Midori"]
    assert ("list", "augmxnt/ultra-orca-boros-en-ja-v1", "refs/convert/parquet") in calls
    assert ("download", "uonlp/CulturaX", "ja/ja_part_00004.parquet", "dataset") in calls


def test_missing_local_file_and_bad_format() -> None:
    with pytest.raises(RecordsError, match=r"nope\.jsonl: training data file not found"):
        load_records(RecordsRef(path="/nope/nope.jsonl"))
    with pytest.raises(ValueError, match="either `path`"):
        RecordsRef(path="a.jsonl", hub_id="x/y")


def test_dpo_without_the_sft_adapter_is_refused(tmp_path: Path) -> None:
    from stxlib.training.chain import stage_start
    from stxlib.training.errors import TrainSetupError

    config = load_params(None, ["dpo.start_from=sft"])
    with pytest.raises(
        TrainSetupError, match=r"dpo.start_from='sft' but .*sft/best_adapter .* run the sft stage first"
    ):
        stage_start(config, RunPaths(tmp_path), "dpo", require=config.dpo.require_start)
    config = load_params(None, ["dpo.require_start=false"])
    assert stage_start(config, RunPaths(tmp_path), "dpo", require=False).adapter is None


def test_extended_base_must_exist(tmp_path: Path) -> None:
    from stxlib.training.chain import base_model
    from stxlib.training.errors import TrainSetupError

    config = load_params(None, ["tokenizer.extension.enabled=true", "tokenizer.extension.corpus={name: c, path: /x}"])
    with pytest.raises(TrainSetupError, match=r"run the tokenizer stage with tokenizer\.extension\.enabled"):
        base_model(config, RunPaths(tmp_path), "pretrain")
    assert base_model(load_params(None), RunPaths(tmp_path), "pretrain").name_or_path == "stx-tiny"


def test_shisa_stages_sit_between_tokenizer_and_llm_jp_eval() -> None:
    from stxlib.stages import STAGE_NAMES

    assert STAGE_NAMES == (
        "data", "train", "eval", "tokenizer", "pretrain", "sft", "dpo",
        "llm_jp_eval", "mt_bench", "preferences", "contamination", "report",
    )  # fmt: skip


def test_full_finetuning_of_a_4bit_model_is_a_params_error() -> None:
    from stxlib.pretrain import check_config

    with pytest.raises(ParamsError, match=r"pretrain\.finetuning=full .*load_in_4bit: false"):
        check_config(load_params(None, ["pretrain.finetuning=full"]))
    check_config(load_params(None, ["pretrain.finetuning=full", "model.quantization.load_in_4bit=false"]))
