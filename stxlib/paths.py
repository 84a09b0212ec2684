"""Paths: the run-folder layout of design.md in one place, the checkout root, and whether a model name
is a local path or a hub id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config imports this module (looks_local); the config type is only an annotation here
    from stxlib.config import StxConfig


def repo_root() -> Path:
    """The stx checkout that holds this package (editable install): notebooks/, params/, tests/fixtures/."""
    return Path(__file__).resolve().parents[1]


def looks_local(name_or_path: str, base: Path | None = None) -> bool:
    """Whether a model/tokenizer/adapter name means a local path rather than a hub id: it starts with ".",
    "/" or "~", or names something that exists (relative to `base`, default the current directory)."""
    if name_or_path.startswith((".", "/", "~")):
        return True
    path = Path(name_or_path)
    return (base / path if base is not None else path).exists()


@dataclass(frozen=True)
class TrainingDirs:
    """One training stage's folder (`train/`, later `pretrain/`, `sft/`, `dpo/`), laid out alike."""

    root: Path

    @property
    def checkpoints(self) -> Path:
        """The Trainer's `checkpoint-N/` folders and `stx_fingerprint.json`."""
        return self.root / "checkpoints"

    @property
    def best_adapter(self) -> Path:
        """LoRA training: the adapter of the best step (argmin eval_loss)."""
        return self.root / "best_adapter"

    @property
    def final(self) -> Path:
        """Full fine-tuning: the whole model (weights, config, tokenizer) of the best step."""
        return self.root / "final"

    @property
    def log_history(self) -> Path:
        return self.root / "log_history.json"

    @property
    def train_summary(self) -> Path:
        return self.root / "train_summary.json"


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @classmethod
    def for_config(cls, config: StxConfig, run_dir: str | Path | None = None) -> RunPaths:
        """`run_dir` when given, else `<run.output_root>/<run.name>`."""
        if run_dir:
            return cls(Path(run_dir).expanduser().resolve())
        return cls((Path(config.run.output_root).expanduser() / config.run.name).resolve())

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def params(self) -> Path:
        return self.root / "params.yaml"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def train_file(self) -> Path:
        return self.data_dir / "train.jsonl"

    @property
    def validation_file(self) -> Path:
        return self.data_dir / "validation.jsonl"

    @property
    def mix_stats(self) -> Path:
        return self.data_dir / "mix_stats.json"

    def training(self, stage: str) -> TrainingDirs:
        """The folder of a training stage (`train`, `pretrain`, `sft`, `dpo`)."""
        return TrainingDirs(self.root / stage)

    @property
    def train_dir(self) -> Path:
        return self.root / "train"

    @property
    def checkpoints(self) -> Path:
        return self.train_dir / "checkpoints"

    @property
    def best_adapter(self) -> Path:
        return self.train_dir / "best_adapter"

    @property
    def log_history(self) -> Path:
        return self.train_dir / "log_history.json"

    @property
    def train_summary(self) -> Path:
        return self.train_dir / "train_summary.json"

    @property
    def eval_root(self) -> Path:
        return self.root / "eval"

    def eval_dir(self, label: str) -> Path:
        return self.eval_root / label

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    def notebook(self, stem: str) -> Path:
        return self.root / f"{stem}.ipynb"
