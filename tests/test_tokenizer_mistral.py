"""The real 32k Mistral-7B-v0.1 tokenizer (`stx-mistral-tokenizer`, copied out of the mistral-common wheel by
`make venv`): its efficiency on real Japanese text, and Shisa's extension on it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from helpers import FIXTURES

from stxlib.config import CorpusRef, ExtensionSection
from stxlib.io import write_jsonl
from stxlib.tokenizer.efficiency import load_tokenizer, measure, measure_corpora
from stxlib.tokenizer.extend import extend_tokenizer_and_model
from stxlib.tokenizer.offline import (
    MISTRAL_TOKENIZER_NAME,
    WHEEL_MEMBER,
    MissingOfflineTokenizerError,
    install_from_wheel,
    is_installed,
    mistral_tokenizer_dir,
    require_mistral_tokenizer,
)

needs_mistral = pytest.mark.skipif(
    not is_installed(),
    reason=f"{MISTRAL_TOKENIZER_NAME} is not in the stx cache ({mistral_tokenizer_dir()}): run `make venv`",
)


@pytest.fixture(scope="module")
def mistral():
    return load_tokenizer(MISTRAL_TOKENIZER_NAME)


def jsquad_contexts(shared: Path) -> list[str]:
    data = json.loads((shared / "data" / "jglue-v1.1" / "jsquad-v1.1" / "valid-v1.1.json").read_text("utf-8"))
    return [p["context"] for article in data["data"] for p in article["paragraphs"]]


def mt_bench_turns(shared: Path) -> list[str]:
    lines = (shared / "data" / "japanese-mt-bench" / "question.jsonl").read_text("utf-8").splitlines()
    return [turn for line in lines for turn in json.loads(line)["turns"]]


@needs_mistral
def test_it_is_a_32k_byte_fallback_llama_tokenizer(mistral) -> None:
    assert type(mistral).__name__ == "LlamaTokenizer"
    assert mistral.vocab_size == len(mistral) == 32000
    ids = mistral("難しい")["input_ids"]
    assert ids[0] == mistral.bos_token_id == 1  # a default call adds BOS, as Mistral-7B-v0.1's does
    assert any(t.startswith("<0x") for t in mistral.convert_ids_to_tokens(ids))  # 難 is not in the vocabulary
    assert mistral.decode(ids, skip_special_tokens=True) == "難しい"


@needs_mistral
def test_mt_bench_efficiency_matches_sentencepiece(mistral, shared: Path) -> None:
    """Golden check against SentencePiece itself on the 120 turns of the 60 JA MT-Bench questions: one BOS plus
    the SentencePiece pieces per turn. (shisa.md §9 quotes about 1.013 for "the MT-Bench texts"; these turns give
    0.9085 with BOS, 0.9176 without, see docs/tokenizer.md.)"""
    import sentencepiece as spm

    turns = mt_bench_turns(shared)
    sp = spm.SentencePieceProcessor(model_file=str(require_mistral_tokenizer() / "tokenizer.model"))
    expected_tokens = sum(len(sp.encode(t)) + 1 for t in turns)
    result = measure(mistral, turns)
    assert result.documents == 120 and result.chars == sum(len(t) for t in turns)
    assert result.tokens == expected_tokens
    assert result.chars_per_token == pytest.approx(0.9085, abs=5e-5)


@needs_mistral
def test_extension_beats_the_base_on_held_out_jglue(mistral, shared: Path, tmp_path: Path) -> None:
    """Shisa's extension (tokenizer only) trained on 900 JSQuAD contexts, measured on the other 245."""
    contexts = jsquad_contexts(shared)
    assert len(contexts) == 1145
    write_jsonl(tmp_path / "train.jsonl", [{"text": t} for t in contexts[:900]])
    write_jsonl(tmp_path / "held.jsonl", [{"text": t} for t in contexts[900:]])
    ext = ExtensionSection(
        enabled=True,
        corpus=CorpusRef(name="jsquad-train", path=str(tmp_path / "train.jsonl")),
        vocab_size=8000,
        resize_model=False,
    )
    summary = extend_tokenizer_and_model(
        ext, MISTRAL_TOKENIZER_NAME, tmp_path / "ext" / "extended", tmp_path / "s.json"
    )
    assert summary["first_new_id"] == 32000 and summary["added"] > 1000
    assert summary["vocab_size"] == 32000 + summary["added"] and summary["embedding_rows"] % 64 == 0
    extended = load_tokenizer(str(tmp_path / "ext" / "extended"))
    held = CorpusRef(name="jsquad-held-out", path=str(tmp_path / "held.jsonl"))
    english = CorpusRef(name="en", path=str(FIXTURES / "tokenizer" / "en.jsonl"), lang="en")
    rows = {(r.tokenizer, r.corpus): r for r in measure_corpora({"base": mistral, "ext": extended}, [held, english])}
    before, after = rows[("base", "jsquad-held-out")], rows[("ext", "jsquad-held-out")]
    assert after.chars == before.chars and after.chars_per_token > 1.5 * before.chars_per_token
    assert rows[("ext", "en")].chars_per_token >= 0.98 * rows[("base", "en")].chars_per_token  # English kept
    for text in contexts[900:920]:
        assert extended.decode(extended(text)["input_ids"], skip_special_tokens=True) == text


def test_install_copies_the_file_out_of_the_wheel(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(MissingOfflineTokenizerError, match="run `make venv`"):
        require_mistral_tokenizer(cache)
    wrong = tmp_path / "mistral_common-1.13.1-py3-none-any.whl"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr(WHEEL_MEMBER, b"not the model")
    with pytest.raises(ValueError, match="sha256"):
        install_from_wheel(tmp_path, cache)
    assert not mistral_tokenizer_dir(cache).exists()  # nothing half-written
    with pytest.raises(FileNotFoundError, match=r"pip download --no-deps mistral-common==1\.13\.1"):
        install_from_wheel(tmp_path / "empty-dir-that-is-missing", cache)
    if not is_installed():
        pytest.skip(f"{MISTRAL_TOKENIZER_NAME} is not installed: run `make venv` to test a real install")
    real = (require_mistral_tokenizer() / "tokenizer.model").read_bytes()
    wheel = tmp_path / "wheels" / "mistral_common-1.13.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(WHEEL_MEMBER, real)
    folder = install_from_wheel(wheel.parent, cache)
    assert (folder / "tokenizer.model").read_bytes() == real
    assert is_installed(cache) and require_mistral_tokenizer(cache) == folder
