"""`stx publish RUN_DIR --repo-id USER/NAME [--merged] [--private] [--dry-run] [--out DIR] [--license ID]`: a run's
trained model, model card and loss curves as a Hub repository (docs/publishing.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from stxlib.cli.common import fail, guarded


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "publish",
        help="write a run's model + model card into an upload folder and upload it to the Hugging Face Hub",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by `stx run`, e.g. results/smoke")
    parser.add_argument("--repo-id", required=True, metavar="USER/NAME", help="the Hub model repository")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--dry-run", action="store_true", help="write the folder only; upload nothing")
    parser.add_argument(
        "--merged", action="store_true", help="also merge the adapter into a bf16 copy of the base (needs its RAM)"
    )
    parser.add_argument("--out", default=None, metavar="DIR", help="the upload folder (default: RUN_DIR/publish)")
    parser.add_argument(
        "--license", default=None, metavar="ID", help="Hub licence id, overriding the rule from the data licences"
    )
    parser.set_defaults(handler=guarded(_publish, OSError, ValueError))


def _publish(args: argparse.Namespace) -> int:
    from stxlib.colab import GITHUB_REPO
    from stxlib.publish import PublishError, build_folder, read_run, upload_folder

    try:
        run = read_run(args.run_dir)
        merge = _merger(run) if args.merged else None
        folder = build_folder(
            run,
            args.repo_id,
            args.out,
            merge=merge,
            example=_example(run),
            license=args.license,
            stx_repo=GITHUB_REPO,
        )
    except PublishError as err:
        return fail(str(err))
    print(f"model: {run.model.folder} (stage {run.model.stage}); licence {folder.license.license}")
    print(f"upload folder: {folder.path} ({len(folder.files)} files)")
    if args.dry_run:
        print("dry run: nothing uploaded")
        return 0
    try:
        url = upload_folder(folder, args.repo_id, private=args.private)
    except PublishError as err:
        return fail(str(err))
    print(f"uploaded: {url}")
    return 0


def _merger(run):
    """`merge(dir)`: the training stage's bf16 merge of this run's adapter into its base."""
    from stxlib.train import merge_adapter

    model = run.config.model.model_copy(update={"name_or_path": run.model.base_source})

    def merge(out: Path) -> None:
        merge_adapter(model, run.model.folder, out)

    return merge


def _example(run) -> dict[str, str] | None:
    """The first closed-QA validation row of the STX mix (context and question), for the card's snippet."""
    if run.model.stage != "train" or not run.paths.validation_file.is_file():
        return None
    from stxlib.io import read_jsonl
    from stxlib.train.inference import qa_examples

    found = qa_examples(read_jsonl(run.paths.validation_file), n=1)
    return found[0] if found else None
