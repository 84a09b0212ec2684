"""Shisa's tokenizer extension on the tiny model: which tokens are added, the rebuilt tokenizer, the resized and
initialised model, and that the result is a normal model folder (fp32 and 4-bit loads, forward/backward)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import FIXTURES, run_stx

from stxlib.config import CorpusRef, ExtensionSection
from stxlib.io import read_json
from stxlib.tokenizer.efficiency import load_tokenizer, measure_corpora
from stxlib.tokenizer.extend import extend_tokenizer_and_model
from stxlib.tokenizer.extension import (
    ExtensionError,
    backend_json,
    derive_merges,
    digits_or_punctuation,
    merge_vocab,
    shisa_skips,
    train_bpe,
)

TOK = FIXTURES / "tokenizer"
TRAIN = CorpusRef(name="ja-train", path=str(TOK / "ja_train.jsonl"))
HELD = CorpusRef(name="ja-heldout", path=str(TOK / "ja_heldout.jsonl"))


def settings(**changes) -> ExtensionSection:
    values = {"enabled": True, "corpus": TRAIN, "vocab_size": 1000, "min_frequency": 2} | changes
    return ExtensionSection(**values)


@pytest.fixture(scope="module")
def extended(tiny_model_dir: Path, tmp_path_factory, one_cpu_thread) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("ext")
    summary = extend_tokenizer_and_model(settings(), str(tiny_model_dir), root / "extended", root / "extension.json")
    return root / "extended", summary


def test_skip_rules() -> None:
    # Shisa's regex: a digit, and nothing but digits and non-word characters
    for token in ("2023", "▁1,000", "1.", "(3)", "１"):
        assert shisa_skips(token) == (token != "１"), token  # a full-width digit is not [0-9]
    for token in ("1月1日", "2年", "」。", "▁(", "東京", "▁the"):
        assert not shisa_skips(token), token
    assert digits_or_punctuation("」。") and digits_or_punctuation("▁(") and digits_or_punctuation("2023")
    assert not digits_or_punctuation("東京") and not digits_or_punctuation("1月1日")


def test_merges_are_every_split_into_two_tokens() -> None:
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "1": 6, "2": 7, "12": 8, "a1": 9}
    assert derive_merges(["abc", "12", "a1", "ab"], vocab) == [["a", "bc"], ["ab", "c"], ["a", "1"], ["a", "b"]]


def test_merge_adds_only_missing_non_digit_tokens(tiny_model_dir: Path) -> None:
    base = load_tokenizer(str(tiny_model_dir))
    docs = [
        "二〇二三年の駅前は2023年も2024年も、12345人が訪れた。" * 3,
        "みどり町の図書館では、本を読む会が開かれます。" * 3,
        "」。」。」。」。",
    ]
    trained = train_bpe(base, [docs], vocab_size=1200, max_token_length=24)
    merged = merge_vocab(base, trained)
    vocab = base.get_vocab()
    assert merged.added and merged.first_new_id == len(base) == 3002  # after <|end_of_turn|> and <|PAD|>
    assert not any(token in vocab for token in merged.added)
    assert not any(shisa_skips(token) for token in merged.added)
    assert merged.skipped and all(shisa_skips(token) for token in merged.skipped)
    trained_vocab = backend_json(trained)["model"]["vocab"]
    assert set(merged.added) | set(merged.skipped) == {t for t in trained_vocab if t not in vocab}
    new_vocab = merged.tokenizer_json["model"]["vocab"]
    assert [new_vocab[t] for t in merged.added] == list(range(3002, 3002 + len(merged.added)))
    assert all(new_vocab[t] == i for t, i in backend_json(base)["model"]["vocab"].items())  # base ids kept
    strict = merge_vocab(base, trained, skip="digits_or_punctuation")
    assert "」。" in merged.added and "」。" not in strict.added


def test_extended_tokenizer(extended, tiny_model_dir: Path) -> None:
    folder, summary = extended
    base = load_tokenizer(str(tiny_model_dir))
    tok = load_tokenizer(str(folder))
    assert not (folder / "tokenizer.model").exists()
    assert len(tok) == len(base) + summary["added"] == summary["tokenizer_len"]
    # stx-tiny's two added tokens join the model vocabulary at their ids 3000-3001, so vocab_size counts them
    assert tok.vocab_size == base.vocab_size + 2 + summary["added"] == summary["vocab_size"]
    added = summary["added_tokens"]
    assert [tok.convert_tokens_to_ids(t) for t in added] == list(range(3002, 3002 + len(added)))
    assert tok.convert_tokens_to_ids(["<|end_of_turn|>", "<|PAD|>"]) == [3000, 3001]  # special tokens kept
    held = [json.loads(line)["text"] for line in (TOK / "ja_heldout.jsonl").read_text().splitlines()[:3]]
    for text in [*held, "English stays, 数字1,400も。🙂"]:
        ids = tok(text)["input_ids"]
        assert ids[0] == tok.bos_token_id
        assert tok.decode(ids, skip_special_tokens=True) == text  # round trip, byte fallback included
    rows = measure_corpora({"base": base, "ext": tok}, [HELD])
    assert rows[1].chars == rows[0].chars and rows[1].chars_per_token > rows[0].chars_per_token * 1.2


def test_embeddings_padded_and_initialised_from_pieces(extended, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    folder, summary = extended
    old = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))
    new = AutoModelForCausalLM.from_pretrained(str(folder))
    old_tok = load_tokenizer(str(tiny_model_dir))
    rows = new.get_input_embeddings().weight.shape[0]
    assert rows % 64 == 0 and rows - 64 < summary["tokenizer_len"] <= rows == new.config.vocab_size
    assert new.get_output_embeddings().weight.shape[0] == rows
    old_in, new_in = old.get_input_embeddings().weight, new.get_input_embeddings().weight
    old_out, new_out = old.get_output_embeddings().weight, new.get_output_embeddings().weight
    assert torch.equal(new_in[:3002], old_in) and torch.equal(new_out[:3002], old_out)
    multi = 0
    for offset, token in enumerate(summary["added_tokens"]):
        pieces = old_tok.convert_tokens_to_ids(_pieces(old_tok, token))
        multi += len(pieces) > 1
        row = 3002 + offset
        torch.testing.assert_close(new_in[row], old_in[pieces].mean(dim=0))
        torch.testing.assert_close(new_out[row], old_out[pieces].mean(dim=0))
    assert multi > 100  # most new tokens are several old pieces
    pad = slice(summary["tokenizer_len"], rows)
    torch.testing.assert_close(new_in[pad], old_in.mean(dim=0).expand(rows - summary["tokenizer_len"], -1))


def _pieces(tokenizer, token: str) -> list[str]:
    """The old tokenizer's pieces of a vocabulary string: its BPE model alone (the string has its `▁` already)."""
    return [t.value for t in tokenizer.backend_tokenizer.model.tokenize(token)]


def test_hand_picked_token_is_the_mean_of_its_characters(extended, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    folder, summary = extended
    assert "電車" in summary["added_tokens"]
    old_tok = load_tokenizer(str(tiny_model_dir))
    assert old_tok.tokenize("電車") == ["▁", "電", "車"]  # two old pieces after the word-start marker
    old = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)).get_input_embeddings().weight
    new = AutoModelForCausalLM.from_pretrained(str(folder)).get_input_embeddings().weight
    den, sha = old_tok.convert_tokens_to_ids(["電", "車"])
    row = load_tokenizer(str(folder)).convert_tokens_to_ids("電車")
    torch.testing.assert_close(new[row], (old[den] + old[sha]) / 2)


def test_extended_model_is_a_normal_model_folder(extended) -> None:
    from transformers import AutoModelForCausalLM

    from stxlib.config.model import QuantizationSection
    from stxlib.modeling import load_causal_lm

    folder, _ = extended
    tok = load_tokenizer(str(folder))
    batch = tok(["みどり町の図書館では、本を読む会が開かれます。"], return_tensors="pt")
    model = AutoModelForCausalLM.from_pretrained(str(folder))
    out = model(**batch, labels=batch["input_ids"])
    out.loss.backward()
    grad = model.get_input_embeddings().weight.grad
    assert torch.isfinite(out.loss) and grad is not None and grad[batch["input_ids"][0]].abs().sum() > 0
    quant = QuantizationSection(compute_dtype="float32")
    q = load_causal_lm(str(folder), dtype="float32", quantization=quant)
    assert type(q.model.layers[0].mlp.down_proj).__name__ == "Linear4bit"
    with torch.no_grad():
        logits = q(**batch).logits
    assert logits.shape[-1] == model.config.vocab_size and torch.isfinite(logits).all()


def test_unchanged_settings_reuse_the_folder(extended, tiny_model_dir: Path, capsys) -> None:
    folder, summary = extended
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    again = extend_tokenizer_and_model(settings(), str(tiny_model_dir), folder, folder.parent / "extension.json")
    assert again == read_json(folder.parent / "extension.json") and again["added"] == summary["added"]
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp and "reusing" in capsys.readouterr().out


def test_append_merges_keep_the_base_tokenisation(tiny_model_dir: Path, tmp_path: Path) -> None:
    """`merges: rebuild` (Shisa) drops the base's digit merges (both halves are digit pieces: "400" becomes
    "4", "0", "0" in stx-tiny); `append` keeps every base merge first."""
    base = load_tokenizer(str(tiny_model_dir))
    ext = settings(resize_model=False, merges="append")
    extend_tokenizer_and_model(ext, str(tiny_model_dir), tmp_path / "a", tmp_path / "a.json")
    extend_tokenizer_and_model(settings(resize_model=False), str(tiny_model_dir), tmp_path / "r", tmp_path / "r.json")
    text = "約1,400万人"
    assert "400" in base.tokenize(text) and "400" in load_tokenizer(str(tmp_path / "a")).tokenize(text)
    assert "400" not in load_tokenizer(str(tmp_path / "r")).tokenize(text)
    assert not (tmp_path / "a" / "config.json").exists()  # tokenizer only


def test_extension_errors(tiny_model_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ExtensionError, match="no documents"):
        extend_tokenizer_and_model(
            settings(corpus=CorpusRef(name="e", path=str(empty))),
            str(tiny_model_dir),
            tmp_path / "x",
            tmp_path / "x.json",
        )
    tokenizer_only = tmp_path / "tok"
    load_tokenizer(str(tiny_model_dir)).save_pretrained(str(tokenizer_only))
    with pytest.raises(ExtensionError, match="resize_model=false"):
        extend_tokenizer_and_model(settings(), str(tokenizer_only), tmp_path / "y", tmp_path / "y.json")
    assert not (tmp_path / "y").exists() and not (tmp_path / "y.json").exists()  # nothing half-written


@pytest.mark.slow
def test_cli_extend(tiny_model_dir: Path, tmp_path: Path) -> None:
    proc = run_stx(
        "tokenizer", "extend", "--base", str(tiny_model_dir), "--corpus", str(TOK / "ja_train.jsonl"),
        "--vocab-size", "1000", "--min-frequency", "2", "--out", str(tmp_path / "out"),
        "--eval-corpus", str(TOK / "ja_heldout.jsonl"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "extended" / "config.json").is_file()
    summary = read_json(tmp_path / "out" / "extension.json")
    rows = {r["tokenizer"]: r for r in read_json(tmp_path / "out" / "efficiency.json")["results"]}
    assert rows["extended"]["chars_per_token"] > rows["base"]["chars_per_token"]
    assert f"added {summary['added']} tokens" in proc.stdout and "ja_heldout" in proc.stdout
