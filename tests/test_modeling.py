"""Model and tokenizer loading on the floor: the one tokenizer loader, model/adapter checks, `ModelRef` -> what
an evaluation stage loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from stxlib.config import ModelRef, ModelSection
from stxlib.engine import LocalModelSpec
from stxlib.modeling import ModelLoadError
from stxlib.tokenization import load_tokenizer


def test_one_tokenizer_loader_for_names_and_the_model_section(tiny_model_dir: Path) -> None:
    by_name = load_tokenizer("stx-tiny")
    by_section = load_tokenizer(ModelSection(name_or_path=str(tiny_model_dir)))
    text = "寒天は何から作られる食品か？"
    assert by_name.encode(text) == by_section.encode(text) and by_name.eos_token == "</s>"
    assert by_name.pad_token is None  # as shipped: nothing added here


def test_tokenizer_errors_name_the_tokenizer_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError) as info:
        load_tokenizer(str(tmp_path / "empty"))
    message = str(info.value)
    assert f"cannot load the tokenizer {str(tmp_path / 'empty')!r}" in message and "stx-tiny" in message
    with pytest.raises(ModelLoadError, match=r"model\.tokenizer"):
        load_tokenizer(ModelSection(name_or_path="no-such-org/no-such-model"))


def test_model_refs_become_local_specs(tmp_path: Path) -> None:
    base = ModelSection(name_or_path="stx-tiny", tokenizer="some/tokenizer", revision="abc")
    spec = LocalModelSpec.from_ref(ModelRef(label="base"), base, dtype="float32")
    assert spec == LocalModelSpec("stx-tiny", dtype="float32", tokenizer="some/tokenizer", revision="abc")
    other = LocalModelSpec.from_ref(ModelRef(label="x", model="org/other", adapter="~/a", load_in_4bit=True), base)
    assert (other.model, other.tokenizer, other.revision) == ("org/other", None, None)  # not the base's settings
    assert other.adapter == str(Path("~/a").expanduser())
    assert other.quantization == base.quantization.model_copy(update={"load_in_4bit": True})

    adapter = tmp_path / "sft" / "best_adapter"
    with pytest.raises(ModelLoadError) as info:
        LocalModelSpec.from_ref(ModelRef(label="chat", adapter="sft"), base, run_root=tmp_path, key="mt_bench.models.1")
    message = str(info.value)
    assert "mt_bench.models.1 ('chat')" in message and str(adapter) in message
    assert "stx run PARAMS --stages sft" in message and "mt_bench.models=[{label: base}]" in message
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    spec = LocalModelSpec.from_ref(ModelRef(label="chat", adapter="sft"), base, run_root=tmp_path)
    assert spec.adapter == str(adapter) and spec.to_dict()["adapter_fingerprint"] is None  # no weights yet
    with pytest.raises(ModelLoadError, match="names an adapter of a run"):
        LocalModelSpec.from_ref(ModelRef(label="chat", adapter="best"), base)


def test_checks_fail_before_any_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model path not found"):
        LocalModelSpec(str(tmp_path / "nope")).check()
    with pytest.raises(ModelLoadError, match=r"has no adapter_config\.json"):
        LocalModelSpec("stx-tiny", adapter=str(tmp_path)).check()
    LocalModelSpec("org/hub-model").check()  # a hub id is checked when loading, not here
