"""`stx run`: execute the stage notebooks with papermill into the run folder, in order."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stxlib.config import StxConfig, dump_params, load_params, parse_override_list
from stxlib.paths import RunPaths, repo_root
from stxlib.runner.kernel import ensure_kernel
from stxlib.runner.lock import RunLock
from stxlib.runner.manifest import Manifest, now
from stxlib.runner.plan import check_stage_configs, plan_stages
from stxlib.runner.render import render_html
from stxlib.stages import Stage


class StageFailedError(RuntimeError):
    """A stage notebook raised; the message names the notebook and the cell."""


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def run_pipeline(
    params_file: str | Path,
    stages: str | None = None,
    run_dir: str | Path | None = None,
    overrides: Sequence[str] | None = None,
    force: bool = False,
    log_output: bool = False,
    notebook_dir: Path | None = None,
    echo: Callable[[str], None] = print,
) -> RunPaths:
    """Run the selected stages; raises StageFailedError (after saving the executed notebook).

    Bad params, stage names or stage-specific settings (each stage's `check_config`) raise `ParamsError`
    before the run folder is created or changed.
    """
    override_list = parse_override_list(overrides)
    config = load_params(params_file, override_list)
    selected = plan_stages(config, stages)
    check_stage_configs(config, selected)
    paths = RunPaths.for_config(config, run_dir)
    nb_dir = notebook_dir or notebooks_dir()
    with RunLock(paths.root):
        dump_params(config, paths.params)
        manifest = Manifest(paths.manifest)
        manifest.start_run(config.to_dict(), str(Path(params_file).resolve()), override_list)
        kernel = ensure_kernel()
        echo(f"stx run: {config.run.name} -> {paths.root}")
        upstream_ran = False
        for stage in selected:
            ran = _run_stage(stage, config, paths, manifest, nb_dir, kernel, force, upstream_ran, log_output, echo)
            upstream_ran = upstream_ran or ran
    return paths


def _run_stage(
    stage: Stage,
    config: StxConfig,
    paths: RunPaths,
    manifest: Manifest,
    nb_dir: Path,
    kernel: str,
    force: bool,
    upstream_ran: bool,
    log_output: bool,
    echo: Callable[[str], None],
) -> bool:
    source = nb_dir / f"{stage.notebook}.ipynb"
    if not source.is_file():
        manifest.set_stage(stage.name, status="not_implemented", notebook=None)
        echo(f"[{stage.name}] not implemented: {source} does not exist")
        return False
    fingerprint = config.fingerprint(stage.keys)
    previous = manifest.stage(stage.name)
    missing = stage.missing_outputs(paths, config)
    same_params = previous.get("fingerprint") == fingerprint
    if not force and not upstream_ran and not missing and same_params and previous.get("status") == "done":
        echo(f"[{stage.name}] complete, skipped (outputs present, params unchanged; --force re-runs it)")
        manifest.set_stage(stage.name, last_skipped=now())
        return False
    if force or upstream_ran or not same_params:
        if force:
            reason = "forced"
        elif upstream_ran:
            reason = "an earlier stage re-ran"
        else:
            reason = "params changed since the last run" if previous.get("fingerprint") else "first run"
        for path in stage.workdirs(paths):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    else:
        reason = (
            "outputs incomplete, continuing (" + ", ".join(p.name for p in missing[:3]) + " missing)"
            if missing
            else "the last run did not finish, running again"
        )
    echo(f"[{stage.name}] running {source.name} ({reason})")
    output = paths.notebook(stage.notebook)
    html = output.with_suffix(".html")
    html.unlink(missing_ok=True)
    started = time.time()
    manifest.set_stage(
        stage.name,
        status="running",
        fingerprint=fingerprint,
        started=now(),
        ended=None,
        seconds=None,
        notebook=output.name,
        html=None,
        error=None,
    )
    try:
        _execute(source, output, paths, kernel, nb_dir, log_output)
        still_missing = stage.missing_outputs(paths, config)
        if still_missing:
            raise StageFailedError(
                f"stage {stage.name!r}: {source.name} finished but did not write "
                + ", ".join(str(p.relative_to(paths.root)) for p in still_missing)
            )
    except Exception as err:
        message = describe_failure(stage, source, output, err)
        if output.is_file():
            _try_render(output, html)
        manifest.set_stage(
            stage.name,
            status="failed",
            ended=now(),
            seconds=round(time.time() - started, 1),
            error=message,
            html=html.name if html.is_file() else None,
        )
        raise StageFailedError(message) from err
    render_html(output, html)
    seconds = round(time.time() - started, 1)
    manifest.set_stage(stage.name, status="done", ended=now(), seconds=seconds, html=html.name)
    echo(f"[{stage.name}] done in {seconds:.1f} s -> {html}")
    return True


def _execute(source: Path, output: Path, paths: RunPaths, kernel: str, nb_dir: Path, log_output: bool) -> None:
    import papermill

    env_before = dict(os.environ)
    os.environ.setdefault("TQDM_MININTERVAL", "5" if log_output else "1")
    os.environ["STX_RUN_DIR"] = str(paths.root)
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters={"params_file": str(paths.params), "run_dir": str(paths.root)},
            kernel_name=kernel,
            cwd=str(nb_dir),
            log_output=log_output,
            progress_bar=not log_output,
        )
    finally:
        os.environ.clear()
        os.environ.update(env_before)


def describe_failure(stage: Stage, source: Path, output: Path, err: Exception) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, StageFailedError):
        return str(err)
    kept = f"executed notebook with the error: {output}" if output.is_file() else "no notebook was written"
    if isinstance(err, PapermillExecutionError):
        cell = f"cell {err.cell_index}" + (f" (In [{err.exec_count}])" if err.exec_count else "")
        return f"stage {stage.name!r} failed in {source.name}, {cell}: {err.ename}: {err.evalue}\n{kept}"
    return f"stage {stage.name!r} failed in {source.name}: {type(err).__name__}: {err}\n{kept}"


def _try_render(output: Path, html: Path) -> None:
    with contextlib.suppress(Exception):  # the error notebook itself is what matters
        render_html(output, html)
