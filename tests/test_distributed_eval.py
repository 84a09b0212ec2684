"""Data-parallel evaluation: two gloo ranks under torchrun write the same files as one process (JGLUE through
`stx eval` and `eval.processes`, llm-jp-eval, MT-Bench answers), and the sharding helpers themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, REPO, SMOKE

from stxlib.cli import main
from stxlib.distributed import interleave, shard, torchrun_command
from stxlib.engine.sharded import ShardedBackend, shard_backend
from stxlib.io import read_json, read_jsonl

EVAL = [
    "eval", "--model", "stx-tiny", "--data-dir", str(FIXTURES / "jglue"), "--tasks", "marc_ja,jsquad",
    "--num-fewshot", "3,2", "--limit", "3", "--batch-size", "2", "--dtype", "float32", "--threads", "1",
]  # fmt: skip
LLM_JP = [
    "llm-jp-eval", "run", "--model", "stx-tiny", "--datasets", "jamp,jemhopqa", "--limit", "3",
    "--batch-size", "2", "--dtype", "float32", "--threads", "1",
]  # fmt: skip
MT_BENCH = [
    "mt-bench", "generate", "--model", "stx-tiny", "--question-set", "shisa-fork", "--chat-template", "llama-2",
    "--limit", "3", "--max-new-tokens", "8", "--batch-size", "3",
]  # fmt: skip


def test_shards_cover_every_item_once_and_interleave_restores_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    items = list(range(7))
    parts = []
    for rank in range(3):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "3")
        parts.append(shard(items))
    assert parts == [[0, 3, 6], [1, 4], [2, 5]]
    assert interleave(parts, 7) == items
    with pytest.raises(RuntimeError, match="rank 1 returned 1 results for its 2 items"):
        interleave([[0, 3, 6], [1], [2, 5]], 7)


def test_one_process_uses_the_backend_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    backend = object()
    assert shard_backend(backend) is backend and not isinstance(shard_backend(backend), ShardedBackend)
    command = torchrun_command(2, "stxlib.jglue", ["p.yaml"])
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc_per_node=2" in command and command[-3:] == ["-m", "stxlib.jglue", "p.yaml"][-3:]


def _torchrun(*commands: list[str]) -> subprocess.CompletedProcess[str]:
    argv = [arg for command in commands for arg in ["--next", *command]][1:]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += [str(REPO / "tests" / "torchrun_cli.py"), *argv]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)


def _answers(path: Path) -> list[tuple]:
    """Answer rows without FastChat's random answer id and time stamp."""
    return [(r["question_id"], r["model_id"], r["choices"], r["generate_params"]) for r in read_jsonl(path)]


@pytest.mark.slow
def test_two_ranks_write_what_one_process_writes(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for out in (one, two):
        out.mkdir()
    done = _torchrun(
        [*EVAL, "--out", str(two / "jglue")],
        [*LLM_JP, "--out", str(two / "llm_jp")],
        [*MT_BENCH, "--out", str(two / "answers.jsonl")],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count(f"wrote {two / 'jglue' / 'results.json'}") == 1  # rank 0 prints, rank 1 is silent
    assert main([*EVAL, "--out", str(one / "jglue")]) == 0
    assert main([*LLM_JP, "--out", str(one / "llm_jp")]) == 0
    assert main([*MT_BENCH, "--out", str(one / "answers.jsonl")]) == 0

    jglue = [read_json(out / "jglue" / "results.json") for out in (one, two)]
    assert jglue[0]["results"] == jglue[1]["results"] and jglue[0]["headline"] == jglue[1]["headline"]
    for task in ("marc_ja-1.1-0.3", "jsquad-1.1-0.3"):
        name = f"samples_{task}.jsonl"
        assert (one / "jglue" / name).read_bytes() == (two / "jglue" / name).read_bytes()
    for name in ("output_eval.json", "score_eval.json", "per_sample.jsonl"):
        assert (one / "llm_jp" / name).read_bytes() == (two / "llm_jp" / name).read_bytes()
    assert sorted(p.name for p in (two / "llm_jp").iterdir()) == sorted(p.name for p in (one / "llm_jp").iterdir())
    assert _answers(one / "answers.jsonl") == _answers(two / "answers.jsonl")
    assert [r["question_id"] for r in read_jsonl(two / "answers.jsonl")] == [11, 12, 13]
    assert not (two / "answers.jsonl.partial").exists()


@pytest.mark.slow
def test_eval_processes_runs_the_stage_under_torchrun(tmp_path: Path) -> None:
    from stxlib.config import load_params
    from stxlib.jglue import run_stage
    from stxlib.paths import RunPaths

    overrides = ["eval.models=[{label: base}]", "eval.tasks=[marc_ja]", "eval.num_fewshot=[3]", "eval.limit=3"]
    one = run_stage(load_params(SMOKE, overrides), RunPaths(tmp_path / "one"))
    two = run_stage(load_params(SMOKE, [*overrides, "eval.processes=2"]), RunPaths(tmp_path / "two"))
    assert one["base"]["results"] == two["base"]["results"]
    name = "eval/base/samples_marc_ja-1.1-0.3.jsonl"
    # The smoke model (stx-tiny-pretrained) packs each rank's shard into other batches than one process does:
    # every field and prediction is identical, log-likelihoods equal up to float32 summation order.
    rows_one, rows_two = read_jsonl(tmp_path / "one" / name), read_jsonl(tmp_path / "two" / name)
    assert [_without_floats(r) for r in rows_one] == [_without_floats(r) for r in rows_two]
    assert max(abs(a - b) for a, b in zip(_floats(rows_one), _floats(rows_two), strict=True)) < 1e-5
    assert sorted(p.name for p in (tmp_path / "two" / "eval").iterdir()) == ["base"]  # no params file left


def _without_floats(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_floats(v) for v in value]
    return "<float>" if isinstance(value, float) else value


def _floats(value: object) -> list[float]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []
