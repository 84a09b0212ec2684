"""The embedded tiny Llama: deterministic, small, Llama-like tokenizer with byte fallback."""

from __future__ import annotations

from pathlib import Path

from helpers import run_stx

from stxlib.tiny_model import ADDED_TOKENS, resolve_model_path


def test_cli_build_is_deterministic(tmp_path: Path, tiny_model_dir: Path) -> None:
    result = run_stx("tiny-model", str(tmp_path / "tiny"))
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in (tmp_path / "tiny").iterdir())
    assert built == sorted(p.name for p in tiny_model_dir.iterdir())
    for name in built:
        assert (tmp_path / "tiny" / name).read_bytes() == (tiny_model_dir / name).read_bytes(), name
    size = sum(p.stat().st_size for p in (tmp_path / "tiny").iterdir())
    assert size < 5 * 2**20


def test_model_and_tokenizer_mirror_the_real_base(tiny_model_dir: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(tiny_model_dir)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert config.model_type == "llama" and config.architectures == ["LlamaForCausalLM"]
    assert config.vocab_size == len(tok)
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id) == (0, 1, 2)
    assert tok.pad_token is None  # like Llama-2 / OpenOrca: qlora adds [PAD]
    assert [tok.convert_ids_to_tokens(tok.convert_tokens_to_ids(t)) for t in ADDED_TOKENS] == ADDED_TOKENS
    assert tok("東京").input_ids[0] == tok.bos_token_id  # BOS by default, like Llama
    # byte fallback: a character never seen in the fixtures still round-trips
    rare = "𠮷野家"
    ids = tok.encode(rare, add_special_tokens=False)
    assert any(t.startswith("<0x") for t in tok.convert_ids_to_tokens(ids))
    assert tok.decode(ids) == rare
    # SentencePiece-style word start on a lone continuation
    assert tok.convert_ids_to_tokens(tok.encode("東京", add_special_tokens=False))[0].startswith("▁")


def test_resolve_model_path(tiny_model_dir: Path) -> None:
    assert Path(resolve_model_path("stx-tiny")) == tiny_model_dir
    assert resolve_model_path("Open-Orca/OpenOrcaxOpenChat-Preview2-13B") == "Open-Orca/OpenOrcaxOpenChat-Preview2-13B"


def test_stx_tiny_is_hashed_once_per_process_and_a_deleted_cache_is_rebuilt(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    import shutil

    import stxlib.tiny_model as tiny

    hashed: list[int] = []
    real_fingerprint = tiny.corpus_fingerprint
    monkeypatch.setattr(tiny, "corpus_fingerprint", lambda files: hashed.append(1) or real_fingerprint(files))
    built: list[Path] = []
    monkeypatch.setattr(tiny, "build_tiny_model", lambda out: built.append(out) or shutil.copytree(tiny_model_dir, out))
    monkeypatch.setenv("STX_CACHE", str(tmp_path / "cache"))
    tiny._fixture_fingerprint.cache_clear()
    try:
        first = Path(resolve_model_path("stx-tiny"))
        assert first.parent == tmp_path / "cache" and first.name == tiny_model_dir.name
        assert [Path(resolve_model_path("stx-tiny")) for _ in range(3)] == [first] * 3
        assert len(hashed) == 1 and built == [first]  # the fixtures hashed once, the model built once
        shutil.rmtree(first)
        assert Path(resolve_model_path("stx-tiny")) == first and (first / "stx_tiny.json").is_file()
        assert built == [first, first] and len(hashed) == 1  # rebuilt without hashing again
    finally:
        tiny._fixture_fingerprint.cache_clear()


def test_the_demo_variant_is_pretrained_on_the_fixture_text(tiny_model_dir: Path) -> None:
    """stx-tiny-pretrained: the same tokenizer, weights that learned (the demo's loss then falls visibly)."""
    import json

    from safetensors.torch import load_file

    pretrained = Path(resolve_model_path("stx-tiny-pretrained"))
    assert pretrained != tiny_model_dir and pretrained.name.startswith("tiny-llama-pretrained-")
    info = json.loads((pretrained / "stx_tiny.json").read_text())
    assert info["pretrain"]["steps"] >= 100
    assert info["pretrain"]["last_loss"] < info["pretrain"]["first_loss"] - 1.5  # ~8.0 (ln 3000) -> ~5.6
    assert (pretrained / "tokenizer.json").read_bytes() == (tiny_model_dir / "tokenizer.json").read_bytes()
    random_head = load_file(tiny_model_dir / "model.safetensors")["lm_head.weight"]
    assert not load_file(pretrained / "model.safetensors")["lm_head.weight"].equal(random_head)
