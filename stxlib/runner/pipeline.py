"""`stx run`: execute the stage notebooks with papermill into the run folder, in order.

A stage is skipped only when its last run finished with the same params (fingerprint), no earlier stage of
the recipe ran after it, its executed notebook exists and every output still parses and has the hash the
manifest recorded (`stxlib.runner.check`). Otherwise it runs, and its line says why.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stxlib.config import StxConfig, dump_params, load_params, parse_override_list
from stxlib.paths import RunPaths, repo_root
from stxlib.runner.check import hashes, output_problem, recorded_hash
from stxlib.runner.console import StageConsole
from stxlib.runner.execute import RunInterrupted, execute_stage_notebook, kernel_env, stop_on_signals
from stxlib.runner.kernel import ensure_kernel
from stxlib.runner.lock import RunLock
from stxlib.runner.manifest import Manifest, now
from stxlib.runner.plan import check_stage_configs, plan_stages, stage_package
from stxlib.runner.render import render_html
from stxlib.stages import Stage, get_stage, select_stages


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
    quiet: bool = True,
) -> RunPaths:
    """Run the selected stages; raises StageFailedError (after saving the executed notebook), or
    `RunInterrupted` on Ctrl-C/SIGTERM (after marking the stage `interrupted` and releasing the lock).

    Bad params, stage names or stage-specific settings (each stage's `check_config`) raise `ParamsError`
    before the run folder is created or changed. `quiet=False` streams each stage's own lines and progress
    bars to the terminal (`stx run` does; `--quiet` turns it off).
    """
    override_list = parse_override_list(overrides)
    config = load_params(params_file, override_list)
    selected = plan_stages(config, stages)
    check_stage_configs(config, selected)
    paths = RunPaths.for_config(config, run_dir)
    nb_dir = notebook_dir or notebooks_dir()
    run = _Run(config, paths, nb_dir, force, log_output, echo, quiet)
    with stop_on_signals(), RunLock(paths.root, echo=echo):
        try:
            dump_params(config, paths.params)
            run.manifest = Manifest(paths.manifest)
            run.manifest.start_run(config.to_dict(), str(Path(params_file).resolve()), override_list)
            run.kernel = ensure_kernel()
            echo(f"stx run: {config.run.name} -> {paths.root}")
            for stage in selected:
                run.stage(stage)
        except RunInterrupted as err:
            run.interrupted(err, params_file)
            raise
        finally:
            if run.manifest is not None:
                run.refresh_stale_report()
    return paths


class _Run:
    """The state of one `stx run`: what ran, what is running."""

    def __init__(
        self,
        config: StxConfig,
        paths: RunPaths,
        nb_dir: Path,
        force: bool,
        log_output: bool,
        echo: Callable[[str], None],
        quiet: bool,
    ) -> None:
        self.config, self.paths, self.nb_dir = config, paths, nb_dir
        self.force, self.log_output, self.echo, self.quiet = force, log_output, echo, quiet
        self.manifest: Manifest | None = None
        self.kernel = ""
        self.current: Stage | None = None
        self.ran: list[str] = []

    # ------------------------------------------------------------------ deciding

    def stage(self, stage: Stage) -> None:
        source = self.nb_dir / f"{stage.notebook}.ipynb"
        if not source.is_file():
            self.manifest.set_stage(stage.name, status="not_implemented", notebook=None)
            self.echo(f"[{stage.name}] not implemented: {source} does not exist")
            return
        reason, fresh = self.why_run(stage)
        html = self.paths.notebook(stage.notebook).with_suffix(".html")
        if reason is None:
            if not html.is_file():
                render_html(self.paths.notebook(stage.notebook), html)
                self.manifest.set_stage(stage.name, html=html.name)
                self.echo(f"[{stage.name}] complete, skipped; re-rendered {html.name} (it was missing)")
            else:
                self.echo(f"[{stage.name}] complete, skipped (outputs intact, params unchanged; --force re-runs it)")
            self.manifest.set_stage(stage.name, last_skipped=now())
            return
        if fresh:
            for path in stage.workdirs(self.paths):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        self.execute(stage, source, reason)

    def why_run(self, stage: Stage) -> tuple[str | None, bool]:
        """(why the stage runs, whether it starts from empty work folders), or (None, False) to skip it."""
        previous = self.manifest.stage(stage.name)
        fingerprint = self.config.fingerprint(stage.keys)
        if self.force:
            return "forced", True
        if not previous or previous.get("status") in (None, "not_implemented"):
            return "first run", True
        if previous.get("fingerprint") != fingerprint:
            return "params changed since the last run", True
        newer = self.upstream_newer(stage, previous)
        if newer:
            return f"{newer} ran after it", True
        status = previous.get("status")
        if status == "interrupted":
            return f"interrupted at {previous.get('interrupted')}, continuing where it stopped", False
        if status == "failed":
            return "it failed last time, running again", False
        if status != "done":
            return "the last run did not finish, continuing", False
        problems = self.output_problems(stage, previous)
        if problems:
            for path, _ in problems:  # a corrupt file must not be mistaken for finished work
                if path.is_file():
                    path.unlink()
            return "; ".join(f"{self.rel(p)} {why}" for p, why in problems[:3]), False
        if not self.paths.notebook(stage.notebook).is_file():
            return f"its executed notebook {stage.notebook}.ipynb is missing", False
        return None, False

    def upstream_newer(self, stage: Stage, previous: dict) -> str | None:
        """The latest earlier stage of the recipe that finished after this one (or ran in this `stx run`)."""
        mine = previous.get("serial", 0)
        recipe = [s.name for s in select_stages(self.config.run.stages)]
        for name in reversed(recipe[: recipe.index(stage.name)]):
            other = self.manifest.stage(name)
            if name in self.ran or other.get("serial", 0) > mine:
                return name
        return None

    def output_problems(self, stage: Stage, previous: dict) -> list[tuple[Path, str]]:
        found = []
        for path in stage.outputs(self.paths, self.config):
            problem = output_problem(path, recorded_hash(previous, self.paths.root, path))
            if problem:
                found.append((path, problem))
        return found

    def rel(self, path: Path) -> str:
        with contextlib.suppress(ValueError):
            return path.relative_to(self.paths.root).as_posix()
        return str(path)

    # ------------------------------------------------------------------ running

    def execute(self, stage: Stage, source: Path, reason: str) -> None:
        self.echo(f"[{stage.name}] running {source.name} ({reason})")
        output = self.paths.notebook(stage.notebook)
        html = output.with_suffix(".html")
        html.unlink(missing_ok=True)
        started = time.time()
        self.current = stage
        self.manifest.set_stage(
            stage.name,
            status="running",
            fingerprint=self.config.fingerprint(stage.keys),
            started=now(),
            ended=None,
            seconds=None,
            notebook=output.name,
            html=None,
            error=None,
            interrupted=None,
            outputs=None,
        )
        self.ran.append(stage.name)
        console = StageConsole(stage.name, quiet=self.quiet or self.log_output)
        kernel_log = self.paths.root / "logs" / f"{stage.name}.kernel.log"
        kernel_log.unlink(missing_ok=True)
        try:
            execute_stage_notebook(
                source,
                output,
                {"params_file": str(self.paths.params), "run_dir": str(self.paths.root)},
                self.kernel,
                self.nb_dir,
                console,
                log_output=self.log_output,
                env={**kernel_env(self.log_output), "STX_RUN_DIR": str(self.paths.root)},
                kernel_log=kernel_log,
            )
            missing = [p for p in stage.outputs(self.paths, self.config) if output_problem(p, None)]
            if missing:
                raise StageFailedError(
                    f"stage {stage.name!r}: {source.name} finished but did not write "
                    + ", ".join(f"{self.rel(p)}" + _why(p) for p in missing)
                )
        except RunInterrupted:
            raise
        except Exception as err:
            message = describe_failure(stage, source, output, err)
            if output.is_file():
                _try_render(output, html)
            self.manifest.set_stage(
                stage.name,
                status="failed",
                ended=now(),
                seconds=round(time.time() - started, 1),
                error=message,
                html=html.name if html.is_file() else None,
            )
            self.current = None
            raise StageFailedError(message) from err
        render_html(output, html)
        seconds = round(time.time() - started, 1)
        self.manifest.set_stage(
            stage.name,
            status="done",
            ended=now(),
            seconds=seconds,
            html=html.name,
            serial=self.next_serial(),
            outputs=hashes(self.paths.root, stage.outputs(self.paths, self.config)),
        )
        self.current = None
        self.echo(f"[{stage.name}] done in {seconds:.1f} s -> {html}")

    def next_serial(self) -> int:
        return 1 + max((s.get("serial", 0) for s in self.manifest.data["stages"].values()), default=0)

    def interrupted(self, err: RunInterrupted, params_file: str | Path) -> None:
        stage = self.current
        if stage is not None and self.manifest is not None:
            output = self.paths.notebook(stage.notebook)
            html = output.with_suffix(".html")
            if output.is_file():
                _try_render(output, html)
            self.manifest.set_stage(
                stage.name,
                status="interrupted",
                interrupted=now(),
                ended=now(),
                error=f"stopped by {err.signame}",
                html=html.name if html.is_file() else None,
            )
        where = f"during stage {stage.name!r}" if stage else "between stages"
        again = f"stx run {params_file} --run-dir {self.paths.root}"
        self.echo(
            f"stx run: interrupted by {err.signame} {where}; the lock is released. Run `{again}` to resume "
            "(finished stages are skipped, training continues from its last checkpoint)."
        )

    def refresh_stale_report(self) -> None:
        """After stages re-ran without the report, rebuild `report.html` from the files (no dead links);
        its stage stays due, so the next `stx run` re-runs the report notebook."""
        if "report" not in self.config.run.stages or "report" in self.ran or not self.ran:
            return
        if not self.paths.report.is_file():
            return
        with contextlib.suppress(Exception):  # the page is a convenience here; the stages' outcome stands
            build = stage_package(get_stage("report")).build_report
            build(self.paths.root, self.config, allow_issues=True)
            self.echo(f"[report] {self.paths.report.name} rebuilt from the current files (its notebook runs next time)")


def _why(path: Path) -> str:
    problem = output_problem(path, None)
    return "" if problem == "missing" else f" ({problem})"


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
