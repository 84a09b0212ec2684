"""Hugging Face Hub access for script-based datasets, through the hub's parquet conversion.

`datasets` >= 4 cannot run loading scripts, so stx reads the automatic parquet export on the
`refs/convert/parquet` revision (`PARQUET_REVISION`, the one definition the params defaults use). Two
layouts exist: `<config>/<split>/0000.parquet` (current) and `<config>/<name>-<split>.parquet` (older); both
are accepted. This is the only module that talks to the hub for data; tests replace `list_repo_files` /
`hf_hub_download` here. `huggingface_hub` is imported on the first call, so config can import this module
cheaply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PARQUET_REVISION = "refs/convert/parquet"


def list_repo_files(repo_id: str, **kwargs: Any) -> list[str]:
    """`huggingface_hub.list_repo_files` (the hub boundary)."""
    import huggingface_hub

    return huggingface_hub.list_repo_files(repo_id, **kwargs)


def hf_hub_download(repo_id: str, filename: str, **kwargs: Any) -> str:
    """`huggingface_hub.hf_hub_download` (the hub boundary)."""
    import huggingface_hub

    return huggingface_hub.hf_hub_download(repo_id, filename, **kwargs)


class HubUnavailableError(RuntimeError):
    """The hub could not be reached (offline, no token, repository gone)."""


def select_parquet_files(files: list[str], config: str, split: str) -> list[str]:
    """Pick the parquet files of one config/split from a repository listing (either layout)."""
    current = sorted(f for f in files if re.fullmatch(rf"{re.escape(config)}/{re.escape(split)}/\d+\.parquet", f))
    if current:
        return current
    older = re.compile(rf"{re.escape(config)}/[^/]+-{re.escape(split)}(-\d{{5}}-of-\d{{5}})?\.parquet")
    return sorted(f for f in files if older.fullmatch(f))


def download_parquet_split(
    repo_id: str,
    config: str,
    split: str,
    revision: str = PARQUET_REVISION,
    cache_dir: str | None = None,
) -> list[Path]:
    """Download the parquet files of `repo_id` / `config` / `split`; returns local paths."""
    try:
        listing = list_repo_files(repo_id, repo_type="dataset", revision=revision)
    except Exception as err:  # offline, auth, missing repo: all end the same way for the caller
        raise HubUnavailableError(f"cannot list {repo_id}@{revision} on the Hugging Face Hub ({_short(err)})") from err
    chosen = select_parquet_files(listing, config, split)
    if not chosen:
        configs = sorted({f.split("/", 1)[0] for f in listing if f.endswith(".parquet")})
        raise FileNotFoundError(
            f"{repo_id}@{revision} has no parquet files for config {config!r} split {split!r} "
            f"(configs there: {', '.join(configs) or 'none'})"
        )
    paths = []
    for filename in chosen:
        try:
            local = hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision, cache_dir=cache_dir)
        except Exception as err:
            raise HubUnavailableError(f"cannot download {repo_id}/{filename} ({_short(err)})") from err
        paths.append(Path(local))
    return paths


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"[:300]
