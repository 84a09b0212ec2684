"""The n-gram overlap check: planted overlaps found exactly, clean pairs clean, normalisation, real extractors."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from stxlib.contamination import (
    ContaminationDataError,
    EvalSet,
    TrainingSource,
    check_overlap,
    jglue_sets,
    llm_jp_eval_sets,
    mt_bench_set,
    normalize,
)
from stxlib.contamination.ngrams import _BASE, _mix, normalize_many, polynomial_hashes

KANA = [chr(c) for c in range(0x3041, 0x3094)]


def random_text(rng: random.Random, length: int, alphabet: list[str] = KANA) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def training(path: Path, rows: list[dict], fields: tuple[str, ...] = ("input", "output")) -> TrainingSource:
    return TrainingSource(path.name, write_jsonl(path, rows), "jsonl", fields)


def eval_set(name: str, docs: list[str]) -> EvalSet:
    out = EvalSet(name, "memory")
    for index, text in enumerate(docs):
        out.add(f"d{index}", text)
    return out


def test_a_planted_overlap_is_found_with_its_exact_length(tmp_path: Path) -> None:
    rng = random.Random(0)
    planted = random_text(rng, 37, KANA[:40])  # training and eval use disjoint alphabets around the plant
    docs = [random_text(rng, 120, KANA[40:60]) for _ in range(8)]
    docs[2] = docs[2][:50] + planted + docs[2][50:]
    docs[5] = docs[5][:10] + planted[:25] + docs[5][10:]
    rows = [{"input": random_text(rng, 300, KANA[60:]), "output": random_text(rng, 40, KANA[60:])} for _ in range(30)]
    rows[17]["input"] = rows[17]["input"][:100] + planted + rows[17]["input"][100:]
    result = check_overlap([training(tmp_path / "train.jsonl", rows)], [eval_set("set", docs)], n=20, examples=5)
    entry = result["eval_sets"][0]
    assert (entry["documents"], entry["contaminated"], entry["share"]) == (8, 2, 0.25)
    assert entry["overlaps"] == {"d2": 37, "d5": 25} and entry["longest"] == 37
    first, second = entry["examples"]
    assert (first["id"], first["longest"], first["text"]) == ("d2", 37, planted)
    assert first["training"] == {"source": "train.jsonl", "row": 17}
    assert (second["id"], second["text"]) == ("d5", planted[:25])
    assert result["training"]["rows"] == 30 and result["training"]["rows_with_overlap"] == 1
    # shorter than n: not an overlap
    shorter = check_overlap([training(tmp_path / "train.jsonl", rows)], [eval_set("set", docs)], n=26)
    assert shorter["eval_sets"][0]["overlaps"] == {"d2": 37}


def test_a_clean_pair_finds_nothing(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = [{"input": random_text(rng, 400, KANA[:40]), "output": ""} for _ in range(50)]
    docs = [random_text(rng, 200, KANA[40:]) for _ in range(20)]
    result = check_overlap([training(tmp_path / "t.jsonl", rows)], [eval_set("clean", docs)], n=13)
    entry = result["eval_sets"][0]
    assert (entry["contaminated"], entry["share"], entry["longest"], entry["examples"]) == (0, 0.0, 0, [])
    assert result["training"]["rows_with_overlap"] == 0


def test_normalisation_full_width_half_width_and_whitespace(tmp_path: Path) -> None:
    assert normalize("ＡＢＣ　１２３\nｶﾞｷﾞ（テスト）\t！") == "ABC123ガギ(テスト)!"
    eval_text = "東京タワーは1958年に完成した電波塔で、高さは333mです。ｶﾞｲﾄﾞ付きツアーもあります。"
    train_text = "東京タワーは　１９５８年に完成した\n電波塔で、 高さは３３３ｍです。ガイド付き ツアーもあります。"
    rows = [{"input": "前置き" * 5, "output": train_text}]
    result = check_overlap([training(tmp_path / "t.jsonl", rows)], [eval_set("e", [eval_text])], n=15)
    entry = result["eval_sets"][0]
    assert entry["contaminated"] == 1 and entry["longest"] == len(normalize(eval_text))


def test_fast_normalisation_equals_unicodedata_on_real_and_tricky_text(shared: Path) -> None:
    texts = [
        "ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ", "Ａ\u0301Ｂ\u0308", "㍿㌔①Ⅻ", "ｱ\u3099", "한국어 가", "ﬁ ﬂ ＼ ￥ ～", "\u3000　\u00a0x", "",
        "e\u0301\u0327", "＂＃＄％＆＇＊＋，－．／：；＜＝＞？＠［］＾＿｀｛｜｝", "𠮷野家 🍣",
    ]  # fmt: skip
    data = shared / "data"
    for entry in [*jglue_sets(data / "jglue-v1.1"), *llm_jp_eval_sets(data / "llm-jp-eval-1.1")]:
        texts += [segment for doc in entry.segments for segment in doc]
    texts += [t for doc in mt_bench_set(data / "japanese-mt-bench" / "question_full.jsonl").segments for t in doc]
    rng = random.Random(5)
    pool = [chr(c) for c in [*range(0x20, 0x7F), *range(0x3000, 0x3100), *range(0xFF00, 0xFFEF), 0x0301, 0x3099]]
    texts += [random_text(rng, 30, pool) for _ in range(300)]
    expected = ["".join(unicodedata.normalize("NFKC", t).split()) for t in texts]
    assert normalize_many(texts) == expected


def test_hashes_match_the_polynomial_definition() -> None:
    codes = _mix(np.random.default_rng(0).integers(0, 0x10000, size=90).astype(np.uint64))
    for n in (1, 5, 13, 20, 31):
        direct = []
        for i in range(len(codes) - n + 1):
            value = 0
            for k in range(n):
                value = (value * int(_BASE) + int(codes[i + k])) % (1 << 64)
            direct.append(value)
        assert [int(h) for h in polynomial_hashes(codes, n)] == direct


def test_fields_and_rows_are_never_bridged_and_chunks_do_not_matter(tmp_path: Path) -> None:
    rng = random.Random(3)
    left, right = random_text(rng, 15, KANA[:30]), random_text(rng, 15, KANA[30:60])
    doc = left + right
    rows = [{"input": "ん" * 10 + left, "output": right + "ゔ" * 10}]  # the doc's text spans two fields
    rows += [{"input": random_text(rng, 200, KANA[60:]), "output": ""} for _ in range(40)]
    source = training(tmp_path / "t.jsonl", rows)
    result = check_overlap([source], [eval_set("e", [doc])], n=20)
    assert result["eval_sets"][0]["contaminated"] == 0
    rows[25]["input"] = rows[25]["input"][:50] + doc + rows[25]["input"][50:]
    source = training(tmp_path / "t.jsonl", rows)
    whole = check_overlap([source], [eval_set("e", [doc])], n=20)
    chunked = check_overlap([source], [eval_set("e", [doc])], n=20, chunk_chars=300)
    whole.pop("seconds"), chunked.pop("seconds")
    assert whole == chunked and whole["eval_sets"][0]["examples"][0]["training"]["row"] == 25


def test_training_formats_and_their_errors(tmp_path: Path) -> None:
    sharegpt = write_jsonl(
        tmp_path / "sft.jsonl",
        [{"conversations": [{"from": "human", "value": "質問"}, {"from": "gpt", "value": "回答"}]}],
    )
    messages = write_jsonl(tmp_path / "m.jsonl", [{"messages": [{"role": "user", "content": "こんにちは"}]}])
    dpo = write_jsonl(
        tmp_path / "dpo.jsonl",
        [{"prompt": "p", "chosen": [{"role": "assistant", "content": "良い"}], "rejected": "悪い"}],
    )  # fmt: skip
    assert list(TrainingSource("s", sharegpt, "sharegpt").rows()) == [["質問", "回答"]]
    assert list(TrainingSource("m", messages, "messages").rows()) == [["こんにちは"]]
    assert list(TrainingSource("d", dpo, "dpo").rows()) == [["p", "良い", "悪い"]]
    with pytest.raises(ContaminationDataError, match=rf"{messages}:1: expected conversations"):
        list(TrainingSource("x", messages, "sharegpt").rows())
    with pytest.raises(ContaminationDataError, match=rf"{messages}:1: no field text \(fields: messages\)"):
        list(TrainingSource("x", messages, "jsonl").rows())
    (tmp_path / "bad.jsonl").write_text('{"text": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ContaminationDataError, match=rf"{tmp_path / 'bad.jsonl'}:2: not valid JSON"):
        list(TrainingSource("x", tmp_path / "bad.jsonl").rows())


def test_evaluation_sets_read_from_the_real_files(shared: Path) -> None:
    data = shared / "data"
    jglue = {s.name: s for s in jglue_sets(data / "jglue-v1.1")}
    assert {name: len(s.ids) for name, s in jglue.items()} == {
        "jglue/jsquad": 4442,
        "jglue/jcommonsenseqa": 1119,
        "jglue/jnli": 2434,
    }
    squad = jglue["jglue/jsquad"]
    assert len(squad.segments[0]) == 2 and "[SEP]" in squad.segments[0][0]  # context + question
    assert len(jglue["jglue/jcommonsenseqa"].segments[0]) == 6  # question + 5 choices
    llm = llm_jp_eval_sets(data / "llm-jp-eval-1.1")
    assert len(llm) == 10 and all(len(s.ids) == 100 for s in llm)
    questions = mt_bench_set(data / "japanese-mt-bench" / "question_full.jsonl")
    assert len(questions.ids) == 80 and len(questions.segments[0]) == 2
    with pytest.raises(ContaminationDataError, match="JGLUE folder not found"):
        jglue_sets(data / "missing")


def test_jcqa_train_against_its_validation_shows_the_known_shared_definitions(shared: Path) -> None:
    folder = shared / "data" / "jglue-v1.1" / "jcommonsenseqa-v1.1"
    fields = ("question", "choice0", "choice1", "choice2", "choice3", "choice4")
    source = TrainingSource("jcqa-train", folder / "train-v1.1.json", "jsonl", fields)
    result = check_overlap([source], jglue_sets(shared / "data" / "jglue-v1.1"), n=20)
    by_name = {e["name"]: e for e in result["eval_sets"]}
    assert by_name["jglue/jnli"]["contaminated"] == 0
    jcqa = by_name["jglue/jcommonsenseqa"]
    assert jcqa["contaminated"] == 2 and jcqa["longest"] == 67  # two validation questions reuse train wording
