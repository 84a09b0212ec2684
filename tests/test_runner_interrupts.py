"""`stx run` as a researcher meets it: Ctrl-C and SIGTERM on a real subprocess, streamed progress versus
`--quiet`, a corrupt artifact re-running its stage, a stale lock taken over. Stand-in stage notebooks keep it
to seconds; `test_runner.py` covers the rest of the runner."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO, SMOKE, write_notebook

from stxlib.runner import run_pipeline
from stxlib.runner.check import output_problem
from stxlib.runner.lock import LOCK_NAME, RunLock

# The data stage, slowly: prints, a tqdm bar of 30 steps of {pause} s, then its outputs.
DATA = """
import json, time
from stxlib.notebook import start_stage
ctx = start_stage("data", params_file, run_dir, overrides)
from tqdm.auto import tqdm  # a text bar under `stx run`, whether ipywidgets is installed or not
print("preparing the mix", flush=True)
for step in tqdm(range(30), desc="mixing"):
    time.sleep({pause})
for path in (ctx.paths.train_file, ctx.paths.validation_file):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({{"source": "s", "input": "i", "output": "o"}}) + "\\n")
ctx.paths.mix_stats.write_text(json.dumps({{"sources": {{}}}}))
(ctx.paths.plots).mkdir(parents=True, exist_ok=True)
(ctx.paths.plots / "data_mix.png").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n")
print("mix written", flush=True)
"""

# `stx run` in its own process, its notebooks from `folder` (the CLI has no such flag).
DRIVER = """
import sys
from pathlib import Path
import stxlib.runner.pipeline as pipeline
pipeline.notebooks_dir = lambda: Path({folder!r})
from stxlib.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    write_notebook(folder / "01_data_mixing.ipynb", DATA.format(pause=0.2))
    return folder


@pytest.fixture
def fast_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "fast"
    write_notebook(folder / "01_data_mixing.ipynb", DATA.format(pause=0))
    return folder


def start_stx(notebooks: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(folder=str(notebooks)), "run", str(SMOKE), "--stages", "data", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen[str], needle: str, timeout: float = 120) -> list[str]:
    """stdout lines up to (and with) the first that contains `needle`."""
    lines: list[str] = []
    done = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if needle in line:
                done.set()
                return
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(timeout), f"no {needle!r} within {timeout} s: {lines}"
    assert any(needle in line for line in lines), f"stx ended before {needle!r}: {lines}"
    return lines


def stage_entry(run: Path, name: str = "data") -> dict:
    return json.loads((run / "manifest.json").read_text())["stages"][name]


def lock_is_free(run: Path) -> bool:
    fd = os.open(run / LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_stage_cleanly_and_the_next_run_resumes(
    tmp_path: Path, notebooks: Path, sig: signal.Signals, code: int
) -> None:
    run = tmp_path / "run"
    proc = start_stx(notebooks, "--run-dir", str(run))
    try:
        seen = read_until(proc, "[data] preparing the mix")  # the stage's own line, then 6 s of its bar
        time.sleep(1)
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out = "".join(seen) + rest
    assert proc.returncode == code, (out, err)
    assert "[data] preparing the mix" in out and "[data] running 01_data_mixing.ipynb (first run)" in out
    assert "Executing" not in out + err, "papermill's cell bar is not shown"
    stopped = [line for line in (out + err).splitlines() if "interrupted by" in line]
    assert len(stopped) == 1 and sig.name in stopped[0] and "during stage 'data'" in stopped[0]
    assert f"--run-dir {run}" in stopped[0] and "to resume" in stopped[0]
    assert "Traceback" not in err and "ZMQError" not in err and "KeyboardInterrupt" not in err, err
    assert "TCP without encryption" not in err
    entry = stage_entry(run)
    assert entry["status"] == "interrupted" and entry["interrupted"] and entry["error"] == f"stopped by {sig.name}"
    assert lock_is_free(run) and (run / LOCK_NAME).read_text() == ""
    assert not (run / "data" / "train.jsonl").exists(), "the cell was stopped before it wrote anything"
    assert entry["html"] == "01_data_mixing.html" and (run / "01_data_mixing.html").is_file()

    # the next run says what happened and finishes: streamed (the stage's lines, its bar thinned out to a few
    # states ending in the final one), or with --quiet only the runner's lines
    quiet = sig == signal.SIGINT
    again = start_stx(notebooks, "--run-dir", str(run), *(["--quiet"] if quiet else []))
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, (out, err)
    assert f"[data] running 01_data_mixing.ipynb (interrupted at {entry['interrupted']}, continuing" in out
    assert "[data] done in" in out and stage_entry(run)["status"] == "done"
    lines = out.splitlines()
    bars = [line for line in lines if line.startswith("[data] mixing:")]
    if quiet:
        assert "preparing the mix" not in out and not bars, out
    else:
        assert bars and "30/30" in bars[-1] and len(bars) < 10, bars
        assert sum("30/30" in bar for bar in bars) == 1, bars  # the final state once
        assert lines.index("[data] preparing the mix") < lines.index(bars[-1])  # (stdout and stderr: no order)
    assert "Executing" not in out + err and "TCP without encryption" not in err
    assert not [p.name for p in notebooks.iterdir() if p.name != "01_data_mixing.ipynb"], "no socket files left"
    # the executed notebook keeps the bar's final state only, not one line per refresh
    nb = json.loads((run / "01_data_mixing.ipynb").read_text())
    stderr = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr")
    assert stderr.count("mixing:") == 1 and "30/30" in stderr, stderr


# A quick train stage: writes the outputs its registry entry asks for, each parseable as its type.
TRAIN = """
import json, struct
from stxlib.notebook import start_stage
from stxlib.stages import get_stage
ctx = start_stage("train", params_file, run_dir, overrides)
for path in get_stage("train").outputs(ctx.paths, ctx.config):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        header = json.dumps({"__metadata__": {}}).encode()
        path.write_bytes(struct.pack("<Q", len(header)) + header)
    else:
        path.write_text("{}")
"""


@pytest.mark.slow
def test_a_corrupt_artifact_reruns_its_stage_and_the_later_ones_and_says_why(
    tmp_path: Path, fast_notebooks: Path
) -> None:
    notebooks = fast_notebooks
    write_notebook(notebooks / "02_qlora_training.ipynb", TRAIN)
    run = tmp_path / "run"
    lines: list[str] = []

    def stx_run(stages: str = "data,train") -> dict[str, str]:
        lines.clear()
        run_pipeline(SMOKE, stages, run, notebook_dir=notebooks, echo=lines.append)
        return {
            line[1 : line.index("]")]: line.split(" (", 1)[1][:-1] if " running " in line else line.split("] ", 1)[1]
            for line in lines
            if line.startswith("[") and ("running" in line or "skipped" in line)
        }

    assert stx_run() == {"data": "first run", "train": "first run"}
    recorded = stage_entry(run)["outputs"]
    assert set(recorded) == {"data/train.jsonl", "data/validation.jsonl", "data/mix_stats.json", "plots/data_mix.png"}
    assert all(len(digest) == 64 for digest in recorded.values())
    skipped = "complete, skipped (outputs intact, params unchanged; --force re-runs it)"
    assert stx_run() == {"data": skipped, "train": skipped}

    stats = run / "data" / "mix_stats.json"
    stats.write_text(stats.read_text()[:5])  # truncated
    reasons = stx_run()
    assert reasons["data"].startswith("data/mix_stats.json does not parse: Unterminated string"), reasons
    assert reasons["train"] == "data ran after it"
    assert json.loads(stats.read_text()) == {"sources": {}}

    # a missing rendered page is rendered again from the executed notebook, without running the stage
    (run / "01_data_mixing.html").unlink()
    assert stx_run("data") == {"data": "complete, skipped; re-rendered 01_data_mixing.html (it was missing)"}
    assert "preparing the mix" in (run / "01_data_mixing.html").read_text()

    # a missing executed notebook re-runs the stage
    (run / "01_data_mixing.ipynb").unlink()
    assert stx_run("data") == {"data": "its executed notebook 01_data_mixing.ipynb is missing"}
    assert stage_entry(run, "train")["status"] == "done"  # not selected: due on the next run (data ran after it)

    # an edited file that still parses no longer matches the hash the manifest recorded
    train = run / "data" / "train.jsonl"
    assert output_problem(train, stage_entry(run)["outputs"]["data/train.jsonl"]) is None
    train.write_text('{"source": "s", "input": "edited", "output": "o"}\n')
    assert output_problem(train, stage_entry(run)["outputs"]["data/train.jsonl"]) == "changed since the stage wrote it"


def test_a_stale_lock_of_a_dead_process_is_reported_and_taken_over(tmp_path: Path) -> None:
    run = tmp_path / "run"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    run.mkdir()
    (run / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": "here", "started": "2026-01-01T00:00:00"}))
    said: list[str] = []
    with RunLock(run, echo=said.append) as lock:
        assert json.loads((run / LOCK_NAME).read_text())["pid"] == os.getpid()
        assert lock.stale and lock.stale["pid"] == pid
    assert len(said) == 1 and f"stale lock of {run}: pid {pid} on here" in said[0]
    assert "no longer running" in said[0]
    assert (run / LOCK_NAME).read_text() == ""  # released cleanly: nothing stale left for the next run
    with RunLock(run, echo=said.append) as lock:
        assert lock.stale is None and len(said) == 1


def test_omp_wait_policy_passive_unless_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stxlib.cli import main
    from stxlib.runner.execute import kernel_env

    monkeypatch.setenv("OMP_WAIT_POLICY", "unset below; restored after the test")
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert kernel_env(False)["OMP_WAIT_POLICY"] == "PASSIVE"
    assert main(["run", str(tmp_path / "none.yaml")]) != 0
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE", "the CLI sets it before any handler loads torch"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert main(["run", str(tmp_path / "none.yaml")]) != 0
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE" and kernel_env(False)["OMP_WAIT_POLICY"] == "ACTIVE"
