"""Is a stage's output still what the stage wrote? Parse checks by file type and content hashes.

When a stage finishes, the manifest records the SHA-256 of each of its outputs (`Stage.outputs`) next to the
stage's params fingerprint. A later `stx run` skips the stage only when every output still exists, parses
(JSON, JSON lines, YAML, safetensors header, PNG signature) and has the recorded hash.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

CHUNK = 1 << 20


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def parse_problem(path: Path) -> str | None:
    """Why `path` does not parse as its file type says, or None (also for types without a check)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif suffix == ".jsonl":
            with path.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            json.loads(line)
                        except ValueError as err:
                            return f"does not parse: line {number} is not JSON: {err}"
        elif suffix in (".yaml", ".yml"):
            import yaml

            yaml.safe_load(path.read_text(encoding="utf-8"))
        elif suffix == ".safetensors":
            return _safetensors_problem(path)
        elif suffix == ".png":
            with path.open("rb") as fh:
                if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                    return "not a PNG image"
        elif suffix == ".html" and "</html>" not in path.read_text(encoding="utf-8", errors="replace")[-4096:].lower():
            return "the page is cut short (no closing </html>)"
    except UnicodeDecodeError as err:
        return f"not UTF-8 text ({err.reason} at byte {err.start})"
    except ValueError as err:  # json.JSONDecodeError and yaml.YAMLError subclasses
        return f"does not parse: {err}"
    except Exception as err:  # yaml.YAMLError is not a ValueError
        return f"does not parse: {type(err).__name__}: {err}"
    return None


def _safetensors_problem(path: Path) -> str | None:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return "shorter than a safetensors header"
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            return "safetensors header longer than the file (cut short?)"
        header = json.loads(fh.read(length))
    ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    if 8 + length + max(ends, default=0) > size:
        return "safetensors data cut short"
    return None


def output_problem(path: Path, recorded: str | None) -> str | None:
    """Why the stage's output `path` cannot be trusted (missing, unparsable, changed), or None."""
    if not path.is_file():
        return "missing" if not path.exists() else "not a file"
    problem = parse_problem(path)
    if problem:
        return problem
    if recorded is not None and file_hash(path) != recorded:
        return "changed since the stage wrote it"
    return None


def hashes(root: Path, paths: list[Path]) -> dict[str, str]:
    """`{relative path: sha256}` of the outputs that exist."""
    return {_rel(root, p): file_hash(p) for p in paths if p.is_file()}


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def recorded_hash(entry: dict, root: Path, path: Path) -> str | None:
    recorded = entry.get("outputs")
    return recorded.get(_rel(root, path)) if isinstance(recorded, dict) else None
