"""`stx publish`: the folder a researcher uploads (the trained model, `README.md` model card, loss-curve image,
the run's params) and its upload to the Hugging Face Hub.

The folder is written atomically (default `RUN_DIR/publish/`). With a `merge` callable (the CLI passes the
training stage's `merge_adapter`) the folder's root holds the merged bf16 model and the adapter goes to
`adapter/`. The upload authenticates the way `huggingface_hub` does by itself (the `HF_TOKEN` environment
variable or `hf auth login`); stx never takes a token as an argument and never writes one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from stxlib.io import atomic_dir, atomic_write_text
from stxlib.publish.card import LOSS_IMAGE, PARAMS_FILE, render_card
from stxlib.publish.licenses import LicenseChoice, choose_license
from stxlib.publish.run import PublishError, RunForPublishing
from stxlib.training.checkpoints import ADAPTER_FILES

#: Files of an exported full model that are not weights for sharing.
SKIP_FILES = ("stx_best.json",)


@dataclass
class PublishFolder:
    path: Path
    license: LicenseChoice
    files: list[str]  # relative paths, sorted


def _copy_model(run: RunForPublishing, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    names = ADAPTER_FILES if run.model.adapter else [p.name for p in run.model.folder.iterdir() if p.is_file()]
    for name in names:
        if name not in SKIP_FILES:
            shutil.copy2(run.model.folder / name, dest / name)


def _loss_image(run: RunForPublishing, dest: Path) -> bool:
    """The run's loss plot (`plots/loss_curves.png` for the STX stage), else drawn from the stage's history."""
    drawn = run.paths.plots / LOSS_IMAGE
    if run.model.stage == "train" and drawn.is_file():
        shutil.copy2(drawn, dest)
        return True
    if not run.model.log_history:
        return False
    import matplotlib.pyplot as plt

    from stxlib.plots.loss_curves import plot_loss_curves

    fig = plot_loss_curves(run.model.log_history, run.config.run.name, run.model.summary.get("best_step"))
    fig.savefig(dest, dpi=120)
    plt.close(fig)
    return True


def build_folder(
    run: RunForPublishing,
    repo_id: str,
    out: str | Path | None = None,
    *,
    merge: Callable[[Path], None] | None = None,
    example: Mapping[str, str] | None = None,
    license: str | None = None,
    stx_repo: str = "",
) -> PublishFolder:
    """Write the upload folder for `repo_id` (default `RUN_DIR/publish/`) and return what it holds.

    `merge(dir)` writes the merged model into `dir` (then the adapter goes to `adapter/`); `example` is a
    `{"context", "question"}` closed-QA row for the usage snippet; `license` overrides the data-licence rule.
    """
    if "/" not in repo_id or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"--repo-id must look like USER/NAME, got {repo_id!r}")
    if merge is not None and not run.model.adapter:
        raise PublishError(f"{run.model.folder} is a fully fine-tuned model already: drop --merged")
    chosen = choose_license(run.sources, license)
    out = Path(out) if out else run.paths.root / "publish"
    with atomic_dir(out) as tmp:
        if merge is not None:
            merge(tmp / "merged")
            for item in (tmp / "merged").iterdir():
                item.rename(tmp / item.name)
            (tmp / "merged").rmdir()
            _copy_model(run, tmp / "adapter")
        else:
            _copy_model(run, tmp)
        has_plot = _loss_image(run, tmp / LOSS_IMAGE)
        params = yaml.safe_dump(run.config.to_dict(), allow_unicode=True, sort_keys=False)
        atomic_write_text(tmp / PARAMS_FILE, params)
        card = render_card(run, repo_id, chosen, merged=merge is not None, example=example, stx_repo=stx_repo)
        if not has_plot:
            card = card.replace(f"![Loss curves]({LOSS_IMAGE})", "No loss history in the run.")
        atomic_write_text(tmp / "README.md", card)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return PublishFolder(out, chosen, files)


def upload_folder(folder: PublishFolder, repo_id: str, *, private: bool = False) -> str:
    """Create (or reuse) the model repository and upload the folder in one commit; returns the commit URL.

    The token is whatever `huggingface_hub` finds itself (`HF_TOKEN`, or the login); none is passed or written.
    """
    from huggingface_hub import HfApi, get_token

    if get_token() is None:
        raise PublishError("no Hugging Face token: run `hf auth login` or set HF_TOKEN, then publish again")
    api = HfApi()
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        repo_type="model",
        folder_path=str(folder.path),
        commit_message=f"stx publish: {folder.path.parent.name}",
    )
    return str(getattr(info, "commit_url", info))
