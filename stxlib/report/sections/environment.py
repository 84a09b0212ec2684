"""Where and how the run ran (not a stage's section): code version, machine and packages from
`manifest.json`, and the merged params as YAML."""

from __future__ import annotations

import yaml

from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt


def environment_table(run: RunArtifacts) -> Table:
    manifest = run.manifest or {}
    git = manifest.get("git") if isinstance(manifest.get("git"), dict) else {}
    hw = manifest.get("hardware") if isinstance(manifest.get("hardware"), dict) else {}
    gpus = hw.get("gpus") if isinstance(hw.get("gpus"), list) else []
    gpu_text = ", ".join(f"{g.get('name')} ({g.get('memory_gib')} GiB)" for g in gpus if isinstance(g, dict))
    commit = git.get("commit")
    rows: list[list[Cell | str]] = [
        ["stx version", fmt(manifest.get("stx_version"))],
        [
            "git commit",
            fmt(commit[:12] if isinstance(commit, str) else None)
            + (" (uncommitted changes)" if git.get("dirty") else ""),
        ],
        ["git branch", fmt(git.get("branch"))],
        ["params file", fmt(manifest.get("params_file"))],
        ["overrides", fmt(manifest.get("overrides"))],
        ["created / updated", f"{fmt(manifest.get('created'))} / {fmt(manifest.get('updated'))}"],
        ["python", fmt(hw.get("python"))],
        ["platform", fmt(hw.get("platform"))],
        ["CPU", f"{fmt(hw.get('cpu'))} ({fmt(hw.get('cpu_count'))} cores)"],
        ["memory (GiB)", fmt(hw.get("memory_gib"), 1)],
        [
            "torch / CUDA",
            f"{fmt(hw.get('torch'))} / {fmt(hw.get('cuda_version')) if hw.get('cuda_available') else 'no CUDA'}",
        ],
        ["GPUs", gpu_text or "none"],
        ["bf16 supported by the hardware", fmt(hw.get("bf16_supported"))],
    ]
    return Table(["", "value"], rows, note="" if manifest else "manifest.json not available")


def packages_table(run: RunArtifacts) -> Table:
    packages = (run.manifest or {}).get("packages")
    packages = packages if isinstance(packages, dict) else {}
    rows: list[list[Cell | str]] = [
        [name, fmt(version) if version else "not installed"] for name, version in packages.items()
    ]
    return Table(["package", "version"], rows)


def render(run: RunArtifacts) -> str:
    return "\n".join(
        [
            '<div class="grid"><div>',
            h.render_table(environment_table(run)),
            "</div><div>",
            h.render_table(packages_table(run)),
            "</div></div>",
        ]
    )


def params_yaml(run: RunArtifacts) -> str:
    """The merged params, collapsed."""
    if not run.params:
        return h.paragraph("params not available", "note")
    text = yaml.safe_dump(run.params, allow_unicode=True, sort_keys=False)
    return f'<details><summary>Show all params</summary><pre class="params">{h.esc(text)}</pre></details>'


FILES = [
    ("params.yaml", "merged params of the run"),
    ("manifest.json", "params, code version, environment, stage status"),
]
