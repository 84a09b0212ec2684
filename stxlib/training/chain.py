"""Where a Shisa training stage starts: the base it loads (the run's base model, the tokenizer stage's extended
model, or a folder) and the earlier stage it continues (`start_from`: its LoRA adapter, or its whole `final/`
model after full fine-tuning). Shared by `pretrain`, `sft` and `dpo`, which never import each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stxlib.config import LoraSection, ModelSection
from stxlib.config.stage_training import StageTrainerSettings
from stxlib.modeling import TRAINING_STAGES, check_adapter_dir, run_adapter_dir
from stxlib.paths import RunPaths
from stxlib.training.errors import TrainSetupError
from stxlib.training.kind import TrainingSpec

if TYPE_CHECKING:
    from stxlib.config import StxConfig

EXTENDED = "extended"


@dataclass(frozen=True)
class StageStart:
    """The model a stage loads and the adapter it continues (None: a fresh adapter, or full fine-tuning)."""

    model: ModelSection
    adapter: Path | None
    description: str


def extended_dir(paths: RunPaths) -> Path:
    """The tokenizer stage's extended tokenizer and resized model (`tokenizer/extended/`)."""
    return paths.root / "tokenizer" / EXTENDED


def base_model(config: StxConfig, paths: RunPaths, section: str) -> ModelSection:
    """`model` with `name_or_path` replaced by the stage's `base` (`auto`, `model`, `extended` or a folder/id)."""
    settings: StageTrainerSettings = getattr(config, section)
    base = settings.base
    if base == "auto":
        base = EXTENDED if config.tokenizer.extension.enabled else "model"
    if base == "model":
        return config.model
    if base == EXTENDED:
        folder = extended_dir(paths)
        if not (folder / "config.json").is_file():
            raise TrainSetupError(
                f"{section}.base={settings.base!r} means the extended model {folder}, which does not exist yet: run "
                "the tokenizer stage with tokenizer.extension.enabled: true (and resize_model: true) first, or set "
                f"{section}.base: model"
            )
        return config.model.model_copy(update={"name_or_path": str(folder), "tokenizer": None, "revision": None})
    return config.model.model_copy(update={"name_or_path": base, "tokenizer": None, "revision": None})


def stage_start(config: StxConfig, paths: RunPaths, section: str, *, require: bool = True) -> StageStart:
    """The stage's base and starting adapter. `start_from` naming a stage that has not run is an error when
    `require` (else the stage starts fresh)."""
    settings: StageTrainerSettings = getattr(config, section)
    model = base_model(config, paths, section)
    start = settings.start_from
    if start is None:
        return StageStart(model, None, f"fresh from {model.name_or_path}")
    if start in TRAINING_STAGES:
        dirs = paths.training(start)
        if (dirs.best_adapter / "adapter_config.json").is_file():
            return StageStart(model, dirs.best_adapter, f"{start}'s adapter on {model.name_or_path}")
        if (dirs.final / "config.json").is_file():
            whole = model.model_copy(update={"name_or_path": str(dirs.final), "tokenizer": None, "revision": None})
            return StageStart(whole, None, f"{start}'s fully fine-tuned model")
        if require:
            raise TrainSetupError(
                f"{section}.start_from={start!r} but {dirs.best_adapter} (or {dirs.final}) does not exist: run the "
                f"{start} stage first, or set {section}.start_from: null to train a fresh adapter on the base"
            )
        return StageStart(model, None, f"fresh from {model.name_or_path} ({start} has not run)")
    adapter = run_adapter_dir(start, paths.root)
    assert adapter is not None
    try:
        check_adapter_dir(adapter)
    except Exception as err:
        raise TrainSetupError(f"{section}.start_from: {err}") from None
    return StageStart(model, adapter, f"adapter {adapter} on {model.name_or_path}")


def stage_spec(config: StxConfig, paths: RunPaths, section: str, start: StageStart, **hints: Any) -> TrainingSpec:
    """The session settings of a Shisa training stage (`<section>/` in the run folder)."""
    settings: StageTrainerSettings = getattr(config, section)
    lora: LoraSection | None = None if settings.finetuning == "full" else settings.lora
    if start.adapter is not None and lora is None:
        raise TrainSetupError(
            f"{section}.finetuning=full but {section}.start_from gives a LoRA adapter ({start.adapter}); "
            f"start from a fully fine-tuned stage, or set {section}.finetuning: lora"
        )
    return TrainingSpec(
        section=section,
        dirs=paths.training(section),
        model=start.model,
        trainer=settings,
        lora=lora,
        seed=config.run.seed,
        init_adapter=start.adapter,
        **hints,
    )


def start_fingerprint(start: StageStart) -> str:
    """A hash of the starting adapter's weights (or the base's name), so a re-trained earlier stage is noticed."""
    import hashlib

    digest = hashlib.sha256(start.model.model_dump_json().encode())
    if start.adapter is not None:
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            file = start.adapter / name
            if file.is_file():
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def check_stage_config(config: StxConfig, section: str) -> None:
    """A Shisa training stage's settings that need no data or model (`ParamsError` naming the key)."""
    from stxlib.config import ParamsError
    from stxlib.training.checks import check_settings

    settings: StageTrainerSettings = getattr(config, section)
    try:
        check_settings(settings, section)
    except TrainSetupError as err:
        raise ParamsError(str(err)) from None
    if settings.finetuning == "full" and config.model.quantization.load_in_4bit:
        raise ParamsError(
            f"{section}.finetuning=full trains every weight, which a 4-bit model cannot: set "
            f"model.quantization.load_in_4bit: false (and model.dtype), or {section}.finetuning: lora"
        )


def prepare_stage_session(
    config: StxConfig,
    paths: RunPaths,
    section: str,
    make_kind: Any,
    *,
    require_start: bool = True,
    callbacks: Any = (),
    echo: Any = print,
    disable_tqdm: bool = False,
    **hints: Any,
) -> Any:
    """Resolve the stage's start, build its spec and `make_kind(config, paths, start)`, prepare the session."""
    from stxlib.training.session import prepare_session

    start = stage_start(config, paths, section, require=require_start)
    spec = stage_spec(config, paths, section, start, **hints)
    kind = make_kind(config, paths, start)
    return prepare_session(spec, kind, callbacks=callbacks, echo=echo, disable_tqdm=disable_tqdm)
