"""Pairing two samples files by item id, and deltas from the files stx writes (JGLUE, MT-Bench, llm-jp-eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stxlib.stats import (
    AlignmentError,
    align_items,
    jglue_delta,
    jglue_intervals,
    mt_bench_delta,
    mt_bench_intervals,
    output_eval_delta,
    paired_bootstrap,
    read_item_values,
    samples_delta,
)
from stxlib.stats.judgments import JudgeRating, read_judge_ratings

JSQUAD = "jsquad-1.1-0.3"
JCQA = "jcommonsenseqa-1.1-0.3"


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_eval(root: Path, label: str, acc: list[int], em: list[int]) -> None:
    write_rows(root / label / f"samples_{JCQA}.jsonl", [{"doc_id": i, "acc": a} for i, a in enumerate(acc)])
    write_rows(root / label / f"samples_{JSQUAD}.jsonl", [{"doc_id": i, "exact_match": e} for i, e in enumerate(em)])


def test_align_pairs_by_id_whatever_the_file_order() -> None:
    aligned = align_items({3: 1.0, 1: 0.0, 2: 1.0}, {1: 1.0, 2: 1.0, 3: 0.0})
    assert aligned.ids == [1, 2, 3]
    assert aligned.base.tolist() == [0.0, 1.0, 1.0] and aligned.new.tolist() == [1.0, 1.0, 0.0]


def test_mismatched_item_sets_are_refused_with_the_ids() -> None:
    base = {i: 1.0 for i in range(10)}
    new = {i: 1.0 for i in range(3, 12)}
    with pytest.raises(AlignmentError) as err:
        align_items(base, new, base_name="eval/base", new_name="eval/finetuned")
    message = str(err.value)
    assert "(10 vs 9)" in message
    assert "3 only in eval/base (0, 1, 2)" in message
    assert "2 only in eval/finetuned (10, 11)" in message
    assert "same documents" in message


def test_bad_samples_rows_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"doc_id": 0, "acc": 1}\n\n{"doc_id": 1, "acc": 1\n', encoding="utf-8")
    with pytest.raises(AlignmentError, match=rf"{path}:3: not valid JSON"):
        read_item_values(path, id_key="doc_id", value_key="acc")
    path.write_text('{"doc_id": 0, "acc": 1}\n{"doc_id": 1}\n', encoding="utf-8")
    with pytest.raises(AlignmentError, match=rf"{path}:2: no 'acc' field \(fields: doc_id\)"):
        read_item_values(path, id_key="doc_id", value_key="acc")
    path.write_text('{"doc_id": 0, "acc": "yes"}\n', encoding="utf-8")
    with pytest.raises(AlignmentError, match=rf"{path}:1: acc must be a finite number, got 'yes'"):
        read_item_values(path, id_key="doc_id", value_key="acc")
    path.write_text('{"doc_id": 0, "acc": 1}\n{"doc_id": 0, "acc": 0}\n', encoding="utf-8")
    with pytest.raises(AlignmentError, match=rf"{path}:2: doc_id 0 already appeared on line 1"):
        read_item_values(path, id_key="doc_id", value_key="acc")
    with pytest.raises(AlignmentError, match="samples file not found"):
        read_item_values(tmp_path / "missing.jsonl", id_key="doc_id", value_key="acc")


def test_jglue_deltas_from_samples_files(tmp_path: Path) -> None:
    root = tmp_path / "eval"
    base_acc = [0, 1, 0, 1, 0, 0, 1, 0] * 10
    new_acc = [1, 1, 0, 1, 1, 0, 1, 0] * 10
    write_eval(root, "base", base_acc, [0, 100, 0, 0] * 5)
    write_eval(root, "finetuned", new_acc, [100, 100, 0, 0] * 5)
    acc = jglue_delta(root / "base", root / "finetuned", JCQA, resamples=500, seed=1)
    assert acc.delta == pytest.approx(sum(new_acc) / 80 - sum(base_acc) / 80)
    assert acc == paired_bootstrap(base_acc, new_acc, resamples=500, seed=1)
    em = jglue_delta(root / "base", root / "finetuned", JSQUAD, resamples=500, seed=1)
    assert em.delta == pytest.approx(25.0)  # exact match on jp-stable's 0–100 scale
    assert em.scaled(0.01).delta == pytest.approx(0.25)
    table = jglue_intervals(root, "base", resamples=500, seed=1)
    assert list(table) == ["finetuned"] and set(table["finetuned"]) == {JCQA, JSQUAD}
    assert table["finetuned"][JCQA] == acc


def test_a_limited_run_against_a_full_one_is_refused(tmp_path: Path) -> None:
    write_eval(tmp_path, "base", [1, 0, 1, 0], [0])
    write_eval(tmp_path, "finetuned", [1, 0], [0])
    with pytest.raises(AlignmentError, match="2 only in"):
        jglue_delta(tmp_path / "base", tmp_path / "finetuned", JCQA)


def test_mt_bench_delta_on_the_recorded_gpt4_judgments(shared: Path) -> None:
    folder = shared / "data" / "japanese-mt-bench" / "model_judgment" / "gpt-4_single"
    shisa, gpt4 = folder / "shisa-7b-v1-fullprompt__1turn.jsonl", folder / "gpt-4__1turn.jsonl"
    interval, dropped = mt_bench_delta(shisa, gpt4, resamples=1000, seed=0)
    assert dropped == 0 and interval.n == 60
    assert interval.base == pytest.approx(5.2333, abs=1e-4) and interval.new == pytest.approx(9.4)
    assert interval.delta == pytest.approx(9.4 - 314 / 60)
    assert interval.excludes_zero and interval.low > 3


def test_mt_bench_unparsable_ratings_drop_the_question_from_both(tmp_path: Path) -> None:
    def judgments(label: str, scores: list[float]) -> Path:
        rows = [
            {"question_id": 81 + i, "model": label, "judge": ["judge-x", "single-v1"], "score": s, "turn": 1}
            for i, s in enumerate(scores)
        ]
        rows.append({"question_id": 81, "model": label, "judge": ["judge-x", "single-v1"], "score": 9, "turn": 2})
        return write_rows(tmp_path / label / "judgments.jsonl", rows)

    base = judgments("base", [3, 4, -1, 5])
    new = judgments("finetuned", [6, -1, 7, 5])
    interval, dropped = mt_bench_delta(base, new, resamples=200, seed=0)
    assert dropped == 2 and interval.n == 2  # questions 82 and 83 are unparsable on one side
    assert interval.delta == pytest.approx(((6 + 5) - (3 + 5)) / 2)
    assert list(mt_bench_intervals(tmp_path, "base", resamples=200, seed=0)) == ["finetuned"]
    other = write_rows(
        tmp_path / "other.jsonl", [{"question_id": 81, "judge": ["judge-y", "single-v1"], "score": 5, "turn": 1}]
    )
    with pytest.raises(AlignmentError, match=r"'judge-x'.*'judge-y'.*not comparable"):
        mt_bench_delta(base, other)


def test_llm_jp_eval_output_files_pair_by_position(shared: Path, tmp_path: Path) -> None:
    logs = shared / "data" / "golden" / "llm-jp-eval-1.1-logs"
    shisa, mistral = logs / "shisa-mega-dpo-7b-v1.1" / "output_eval.json", logs / "mistral-7b-v0.1" / "output_eval.json"

    def exact(pred: str, gold: str) -> float:
        return float(pred.strip() == gold.strip())

    interval = output_eval_delta(mistral, shisa, "jnli", exact, resamples=300, seed=0)
    records = json.loads(shisa.read_text(encoding="utf-8"))["jnli"]
    assert interval.n == 100
    assert interval.new == pytest.approx(sum(exact(r["pred"], r["gold"]) for r in records) / 100)
    broken = json.loads(mistral.read_text(encoding="utf-8"))
    broken["jnli"][5]["input"] = "something else"
    (tmp_path / "broken.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(AlignmentError, match="jnli: sample 5 has different inputs"):
        output_eval_delta(tmp_path / "broken.json", shisa, "jnli", exact)
    with pytest.raises(AlignmentError, match="no dataset 'nope'"):
        output_eval_delta(mistral, shisa, "nope", exact)


def test_generic_samples_files_with_a_row_filter(tmp_path: Path) -> None:
    base = write_rows(tmp_path / "a.jsonl", [{"id": f"q{i}", "score": i % 2, "keep": i < 6} for i in range(10)])
    new = write_rows(tmp_path / "b.jsonl", [{"id": f"q{i}", "score": 1, "keep": i < 6} for i in range(10)])
    interval = samples_delta(base, new, id_key="id", value_key="score", keep=lambda r: r["keep"], resamples=100)
    assert interval.n == 6 and interval.delta == pytest.approx(0.5)


def test_judge_ratings_of_one_turn_and_their_errors(tmp_path: Path) -> None:
    row = {"question_id": 81, "judge": ["judge-x", "single-v1"], "score": 7, "turn": 1, "tstamp": 1700000000.5}
    rows = [row, row | {"turn": 2, "score": 3}, row | {"question_id": 82, "score": -1}]
    path = write_rows(tmp_path / "j.jsonl", rows)
    ratings = read_judge_ratings(path)
    assert ratings[81] == JudgeRating(7.0, "judge-x", 1700000000.5) and not ratings[82].parsed
    assert read_judge_ratings(path, turn=2)[81].score == 3.0
    twice = write_rows(tmp_path / "twice.jsonl", [row, row | {"judge": ["judge-y", "single-v1"]}])
    with pytest.raises(AlignmentError, match=rf"{twice}:2: question 81 turn 1 is judged twice \(by judge-x and"):
        read_judge_ratings(twice, error=AlignmentError)
    nameless = write_rows(tmp_path / "nameless.jsonl", [row | {"judge": []}])
    with pytest.raises(ValueError, match=rf"{nameless}:1: no judge name"):
        read_judge_ratings(nameless)
