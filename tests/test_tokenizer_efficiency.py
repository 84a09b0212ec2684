"""Characters per token (Shisa's definition), corpus reading and its errors, `stx tokenizer stats`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import FIXTURES, run_stx

from stxlib.config import CorpusRef
from stxlib.io import read_json
from stxlib.tokenizer.corpus import CorpusError, corpus_batches, iter_batches, iter_documents
from stxlib.tokenizer.efficiency import RESULT_KEYS, load_tokenizer, measure, measure_corpora

TOK = FIXTURES / "tokenizer"


@pytest.fixture(scope="module")
def tiny_tokenizer(tiny_model_dir: Path):
    return load_tokenizer(str(tiny_model_dir))


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_efficiency_by_hand(tiny_tokenizer) -> None:
    texts = ["みどり町の駅", "図書館", "abc 12"]
    # what the stage must count: code points, and every id of a default call (BOS included)
    ids = [tiny_tokenizer(t)["input_ids"] for t in texts]
    assert all(row[0] == tiny_tokenizer.bos_token_id for row in ids)
    bare = [tiny_tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    assert [len(r) for r in ids] == [len(b) + 1 for b in bare]
    chars = 6 + 3 + 6  # len() of each text in code points
    tokens = sum(len(b) for b in bare) + len(texts)  # one BOS per document
    result = measure(tiny_tokenizer, texts, label="tiny", corpus="three")
    assert (result.documents, result.chars, result.tokens) == (3, chars, tokens)
    assert result.chars_per_token == pytest.approx(chars / tokens)
    assert result.vocab_size == tiny_tokenizer.vocab_size == 3000  # base vocabulary, not len() (3002)


def test_batched_equals_one_call_per_document(tiny_tokenizer) -> None:
    texts = [json.loads(line)["text"] for line in (TOK / "ja_heldout.jsonl").read_text().splitlines()]
    one_by_one = sum(len(tiny_tokenizer(t)["input_ids"]) for t in texts)
    for size in (1, 5, 1000):
        result = measure_corpora({"t": tiny_tokenizer}, [CorpusRef(name="j", path=str(TOK / "ja_heldout.jsonl"))], size)
        assert result[0].tokens == one_by_one and result[0].documents == len(texts) == 18


def test_formats_give_the_same_documents(tmp_path: Path) -> None:
    docs = ["一つ目の文書です。", "two\tcolumns stay", "三つ目"]
    jsonl = write_jsonl(tmp_path / "c.jsonl", [{"text": d, "id": i} for i, d in enumerate(docs)])
    pq.write_table(pa.table({"id": [1, 2, 3], "text": docs}), tmp_path / "c.parquet", row_group_size=2)
    (tmp_path / "c.txt").write_text("\n".join(docs[:2]) + "\n\n" + docs[2] + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(jsonl.read_text(encoding="utf-8"))
    for path in (jsonl, tmp_path / "c.parquet", tmp_path / "c.txt", tmp_path / "c.jsonl.gz"):
        assert list(iter_documents(path)) == docs, path.name
    assert list(iter_documents(tmp_path / "c.txt", "text")) == docs


def test_limit_takes_the_first_documents(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": str(i)} for i in range(10)])
    batches = list(corpus_batches(CorpusRef(name="c", path=str(path), limit=7), batch_size=3))
    assert batches == [["0", "1", "2"], ["3", "4", "5"], ["6"]]
    with pytest.raises(CorpusError, match="positive"):
        list(iter_batches(iter(["a"]), 2, limit=0))


def test_bad_corpora_name_the_file_and_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(CorpusError, match=r"file not found: .*nope\.jsonl"):
        list(corpus_batches(CorpusRef(name="c", path=str(missing)), 4))
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"text": "ok"}, {"body": "no text here"}])
    with pytest.raises(CorpusError, match=r"rows\.jsonl:2: no 'text' field \(found: body\)"):
        list(iter_documents(rows))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:3: not valid JSON"):
        list(iter_documents(bad))
    nums = write_jsonl(tmp_path / "nums.jsonl", [{"text": 5}])
    with pytest.raises(CorpusError, match=r"nums\.jsonl:1: 'text' is int, not a string"):
        list(iter_documents(nums))
    pq.write_table(pa.table({"content": ["x"]}), tmp_path / "p.parquet")
    with pytest.raises(CorpusError, match=r"p\.parquet: no 'text' column \(columns: content\)"):
        list(iter_documents(tmp_path / "p.parquet"))
    odd = tmp_path / "c.csv"
    odd.write_text("text\nx\n")
    with pytest.raises(CorpusError, match="set the corpus `format`"):
        list(iter_documents(odd))


def test_hub_corpus_downloads_the_named_file(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub

    local = tmp_path / "ja_part_00004.parquet"
    pq.write_table(pa.table({"text": ["日本語の文書", "二つ目"], "url": ["u1", "u2"]}), local)
    calls = []

    def fake_download(repo_id, filename, **kwargs):
        calls.append((repo_id, filename, kwargs["repo_type"], kwargs["revision"]))
        return str(local)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    corpus = CorpusRef(name="culturax-ja", hub_id="uonlp/CulturaX", hub_file="ja/ja_part_00004.parquet", limit=1)
    assert list(corpus_batches(corpus, 8)) == [["日本語の文書"]]
    assert calls == [("uonlp/CulturaX", "ja/ja_part_00004.parquet", "dataset", None)]

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(CorpusError, match=r"cannot download ja/ja_part_00004\.parquet from dataset uonlp/CulturaX"):
        list(corpus_batches(corpus, 8))


def test_corpus_params_need_one_origin() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs `path`"):
        CorpusRef(name="c")
    with pytest.raises(ValidationError, match="not both"):
        CorpusRef(name="c", path="a.jsonl", hub_id="x/y", hub_file="f.parquet")
    with pytest.raises(ValidationError):
        CorpusRef(name="c", path="a.jsonl", limit=0)


def test_cli_stats_writes_the_contract(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "eff.json"
    ja, en = TOK / "ja_heldout.jsonl", TOK / "en.jsonl"
    proc = run_stx(
        "tokenizer", "stats", "--tokenizer", str(tiny_model_dir), "--corpus", str(ja), "--corpus", str(en),
        "--limit", "5", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = read_json(out)["results"]
    assert [(r["corpus"], r["documents"]) for r in rows] == [("ja_heldout", 5), ("en", 5)]
    assert all(list(r) == list(RESULT_KEYS) for r in rows)
    texts = [json.loads(line)["text"] for line in ja.read_text().splitlines()[:5]]
    assert rows[0]["chars"] == sum(len(t) for t in texts)
    assert rows[0]["chars_per_token"] == pytest.approx(rows[0]["chars"] / rows[0]["tokens"])
    assert "chars_per_token" in proc.stdout and "ja_heldout" in proc.stdout

    bad = run_stx("tokenizer", "stats", "--tokenizer", str(tiny_model_dir), "--corpus", str(ja), "--limit", "0")
    assert bad.returncode == 2 and "positive number of documents" in bad.stderr
    gone = run_stx("tokenizer", "stats", "--tokenizer", str(tiny_model_dir), "--corpus", str(tmp_path / "x.jsonl"))
    assert gone.returncode == 1 and "file not found" in gone.stderr and "x.jsonl" in gone.stderr


def test_unknown_tokenizer_says_what_to_give(tmp_path: Path) -> None:
    from stxlib.modeling import ModelLoadError

    with pytest.raises(ModelLoadError, match=r"cannot load the tokenizer 'no-such-org/no-such-model'.*stx-tiny"):
        load_tokenizer("no-such-org/no-such-model")  # the tests run with HF_HUB_OFFLINE=1
    with pytest.raises(ModelLoadError, match=r"cannot load the tokenizer .*holds no tokenizer.*not a saved tokenizer"):
        load_tokenizer(str(tmp_path))  # an empty folder
