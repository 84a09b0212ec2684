"""Load a params YAML, merge it over the defaults, apply `--set` overrides, validate.

Relative paths written in a params file are relative to that file's folder; relative paths given
with `--set` are relative to the current directory. Every path ends up absolute in the config.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import hashlib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from stxlib.config.base import ParamsError, Section
from stxlib.config.contamination import ContaminationSection
from stxlib.config.dpo import DpoSection
from stxlib.config.evaluation import EvalSection
from stxlib.config.llm_jp_eval import LlmJpEvalSection
from stxlib.config.model import ModelSection
from stxlib.config.mt_bench import MtBenchSection
from stxlib.config.preferences import PreferencesSection
from stxlib.config.pretrain import PretrainSection
from stxlib.config.report import ReportSection
from stxlib.config.sections import DataSection, RunSection
from stxlib.config.sft import SftSection
from stxlib.config.stats import StatsSection
from stxlib.config.tokenizer import TokenizerSection
from stxlib.config.training import LoraSection, TrainSection
from stxlib.modeling import is_run_adapter_name
from stxlib.paths import looks_local


class StxConfig(Section):
    """The whole experiment: one params file merged over these defaults."""

    run: RunSection = Field(default_factory=RunSection)
    data: DataSection = Field(default_factory=DataSection)
    model: ModelSection = Field(default_factory=ModelSection)
    lora: LoraSection = Field(default_factory=LoraSection)
    train: TrainSection = Field(default_factory=TrainSection)
    eval: EvalSection = Field(default_factory=EvalSection)
    tokenizer: TokenizerSection = Field(default_factory=TokenizerSection)
    pretrain: PretrainSection = Field(default_factory=PretrainSection)
    sft: SftSection = Field(default_factory=SftSection)
    dpo: DpoSection = Field(default_factory=DpoSection)
    llm_jp_eval: LlmJpEvalSection = Field(default_factory=LlmJpEvalSection)
    mt_bench: MtBenchSection = Field(default_factory=MtBenchSection)
    preferences: PreferencesSection = Field(default_factory=PreferencesSection)
    contamination: ContaminationSection = Field(default_factory=ContaminationSection)
    stats: StatsSection = Field(default_factory=StatsSection)
    report: ReportSection = Field(default_factory=ReportSection)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self, sections: Iterable[str]) -> str:
        """Stable hash of the named sections (dotted paths allowed, e.g. `run.seed`)."""
        data = self.to_dict()
        picked = {key: _get_path(data, key.split(".")) for key in sorted(sections)}
        blob = json.dumps(picked, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# Keys holding filesystem paths. "local-looking" keys may also hold hub ids: they are resolved only
# when the value starts with ".", "/" or "~", or names something that exists.
_PATH_KEYS = [
    "run.output_root",
    "data.cache_dir",
    "data.sources.*.train_files.*",
    "data.sources.*.validation_files.*",
    "eval.data_dir",
    "eval.shots_dir",
    "tokenizer.corpora.*.path",
    "tokenizer.extension.corpus.path",
    "llm_jp_eval.data_dir",
    "mt_bench.question_file",
    "mt_bench.judge.reference_answers",
    "preferences.answers.*",
    "preferences.questions",
    "contamination.training_files.*.path",
    "contamination.jglue_dir",
    "contamination.llm_jp_eval_dir",
    "contamination.mt_bench_questions.*",
    "pretrain.corpora.*.path",
    "sft.datasets.*.path",
    "dpo.datasets.*.path",
]
_MAYBE_PATH_KEYS = [
    "model.name_or_path",
    "model.tokenizer",
    "*.models.*.model",  # every ModelRef list (eval.models, mt_bench.models, ...)
    "*.models.*.adapter",
    "tokenizer.tokenizers.*.name",
    "tokenizer.extension.base_model",
    "mt_bench.judge.model",
    "pretrain.base",
    "sft.base",
    "dpo.base",
]


# Keys whose default follows other keys (eval.num_fewshot: each of eval.tasks' own count).
_DERIVED_DEFAULTS = ["eval.num_fewshot"]


def load_params(path: str | Path | None = None, overrides: Sequence[str] | str | None = None) -> StxConfig:
    """Read `path` (or only the defaults when None), apply `overrides` (`a.b=c`), validate."""
    data = StxConfig().to_dict()
    for key in _DERIVED_DEFAULTS:  # null again, so that the section derives them from the merged values
        _set_path(data, key.split("."), None, create=False)
    origin = "the defaults"
    places: dict[str, str] = {}  # dotted key -> where the user set it ("FILE, line N" or "--set ...")
    if path is not None:
        path = Path(path).expanduser()
        origin = str(path)
        user, places = _read_yaml(path)
        _resolve_paths(user, path.resolve().parent)
        _deep_merge(data, user)
    override_list = parse_override_list(overrides)
    if override_list:
        origin += " with --set " + " ".join(override_list)
    for item in override_list:
        key, value = parse_override(item)
        fragment: dict[str, Any] = {}
        _set_path(fragment, key, value, create=True)
        _resolve_paths(fragment, Path.cwd())
        _set_path(data, key, _get_path(fragment, key), create=True, origin=item)
        places = {k: v for k, v in places.items() if not _under(k, ".".join(key))}
        places[".".join(key)] = f"--set {item}"
    return validate_params(data, origin, places)


def validate_params(data: dict[str, Any], origin: str = "params", places: dict[str, str] | None = None) -> StxConfig:
    try:
        return StxConfig.model_validate(data)
    except ValidationError as err:
        raise ParamsError(format_validation_error(err, origin, data, places)) from None


def _under(key: str, prefix: str) -> bool:
    return key == prefix or key.startswith(prefix + ".")


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `2e-4` (no dot) as a string; researchers write learning rates that way."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)[eE][-+]?\d+$|^[-+]?\d[\d_]*\.[\d_]*$|^[-+]?\.\d[\d_]*$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, except that `1e-4`-style numbers are floats."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: safe


def parse_override_list(overrides: Sequence[str] | str | None) -> list[str]:
    """Overrides as a list; a string may hold several separated by `;` or newlines."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [p.strip() for p in overrides.replace("\n", ";").split(";") if p.strip()]
    return [str(o).strip() for o in overrides if str(o).strip()]


def parse_override(item: str) -> tuple[list[str], Any]:
    """`train.max_steps=5` -> (["train", "max_steps"], 5); the value is read as a YAML scalar."""
    if "=" not in item:
        raise ParamsError(f"override {item!r} is not of the form key.path=value (e.g. train.max_steps=20)")
    key, raw = item.split("=", 1)
    parts = [p for p in key.strip().split(".")]
    if not all(parts):
        raise ParamsError(f"override {item!r} has an empty key part; use dotted keys like train.max_steps")
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        raise ParamsError(f"override {item!r}: value is not valid YAML ({yaml_error_text(err)})") from None
    return parts, value


def dump_params(config: StxConfig, path: Path) -> None:
    """Write the merged, resolved params as YAML (what the stage notebooks load)."""
    from stxlib.io import atomic_write_text

    text = yaml.safe_dump(config.to_dict(), allow_unicode=True, sort_keys=False)
    atomic_write_text(path, text)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The params mapping of `path`, and where each key is written (`FILE, line N`)."""
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.yaml"))[:5]
        hint = f" (YAML files there: {', '.join(found)})" if found else ""
        raise ParamsError(
            f"params path {path} is a folder, not a file: pass a YAML file such as params/smoke.yaml{hint}"
        )
    if not path.is_file():
        raise ParamsError(f"params file not found: {path} (pass a YAML file such as params/smoke.yaml)")
    text = path.read_text(encoding="utf-8")
    try:
        loaded = load_yaml(text)
        node = yaml.compose(text, Loader=_Loader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as err:
        raise ParamsError(f"params file {path} is not valid YAML: {yaml_error_text(err)}") from None
    if loaded is None:
        return {}, {}
    if not isinstance(loaded, dict):
        raise ParamsError(f"params file {path} must hold a mapping of sections, got {type(loaded).__name__}")
    return loaded, {key: f"{path}, line {line}" for key, line in _node_lines(node)}


def yaml_error_text(err: yaml.YAMLError) -> str:
    """PyYAML's error in plain words: line and column (from 1), the problem, and what it was inside."""
    if not isinstance(err, yaml.MarkedYAMLError) or err.problem_mark is None:
        return str(err).replace('in "<unicode string>", ', "")
    mark = err.problem_mark
    problem = (err.problem or "unexpected text").replace("'<stream end>'", "the end of the file")
    text = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    if err.context and err.context_mark is not None:
        where = f"line {err.context_mark.line + 1}, column {err.context_mark.column + 1}"
        text += f" ({err.context} that starts at {where})"
    return text


def _node_lines(node: Any, prefix: str = "") -> Iterable[tuple[str, int]]:
    """(dotted key, line from 1) of every mapping key and list item under a composed YAML node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            key = f"{prefix}{key_node.value}"
            yield key, key_node.start_mark.line + 1
            yield from _node_lines(value, key + ".")
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield f"{prefix}{index}", item.start_mark.line + 1
            yield from _node_lines(item, f"{prefix}{index}.")


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _get_path(data: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _set_path(data: dict[str, Any], parts: Sequence[str], value: Any, *, create: bool, origin: str = "") -> None:
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = _list_item(node, part, where, origin)
            continue
        if part not in node or node[part] is None:
            if not create:
                raise ParamsError(f"{where}: unknown key")
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict | list):
            raise ParamsError(f"override {origin!r}: {where} is a value, not a section; set {where}=... instead")
    last = parts[-1]
    if isinstance(node, list):
        index = _index(last, ".".join(parts), origin)
        if index >= len(node):
            raise ParamsError(f"override {origin!r}: index {index} is past the end of a list of {len(node)}")
        node[index] = value
    else:
        node[last] = value


def _list_item(node: list[Any], part: str, where: str, origin: str) -> Any:
    index = _index(part, where, origin)
    if index >= len(node):
        raise ParamsError(f"override {origin!r}: {where} is past the end of a list of {len(node)}")
    return node[index]


def _index(part: str, where: str, origin: str) -> int:
    if not part.isdigit():
        raise ParamsError(f"override {origin!r}: {where} indexes a list; use a number (e.g. eval.models.0.label)")
    return int(part)


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    for dotted, value in list(_iter_leaves(data)):
        if not (isinstance(value, str) and value):
            continue
        is_path = any(fnmatch.fnmatchcase(dotted, pat) for pat in _PATH_KEYS)
        maybe = any(fnmatch.fnmatchcase(dotted, pat) for pat in _MAYBE_PATH_KEYS)
        if maybe and dotted.endswith(".adapter") and is_run_adapter_name(value):
            continue  # `dpo` names this run's adapter, even where the run folder (params.yaml's) has a dpo/
        if is_path or (maybe and looks_local(value, base)):
            _set_leaf(data, dotted, _absolute(value, base))


def _absolute(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _iter_leaves(data: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _iter_leaves(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _iter_leaves(value, f"{prefix}{index}.")
    else:
        yield prefix[:-1], data


def _set_leaf(data: Any, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    parent = _get_path(data, parts[:-1])
    if isinstance(parent, list):
        parent[int(parts[-1])] = value
    else:
        parent[parts[-1]] = value


# ---------------------------------------------------------------- error messages


def format_validation_error(
    err: ValidationError, origin: str, data: Any = None, places: dict[str, str] | None = None
) -> str:
    """One line per wrong key, in plain words: the key, the problem, the value, and where it was set.

    pydantic names the members of a union in its locations (`constrained-int`, `literal['all']`); those are
    dropped, and the alternatives of one key merge into one line ("... greater than or equal to 1, or 'all'").
    """
    lines = [f"invalid params ({origin}):"]
    merged: dict[str, list[str]] = {}  # key -> its problems (a union's alternatives in order)
    shown: dict[str, str] = {}  # key -> " (got VALUE)"
    for item in err.errors():
        loc = _key_loc(item["loc"], data) if data is not None else [str(p) for p in item["loc"]]
        key = ".".join(loc) or "(top level)"
        texts = merged.setdefault(key, [])
        if item["type"] == "extra_forbidden":
            hint = suggest_key(loc)
            text = "unknown key" + (f" (did you mean '{hint}'?)" if hint else "")
        elif item["type"] == "missing":
            text = "required key is missing"
        else:
            text = item["msg"].removeprefix("Value error, ")
            if texts and text.startswith("Input should be "):
                text = text.removeprefix("Input should be ")
            got = item.get("input")
            if not isinstance(got, dict | list):
                shown[key] = f" (got {got!r})"
        if text not in texts:
            texts.append(text)
    for key, texts in merged.items():
        where = _place(key, places or {})
        lines.append(f"  {key}: {', or '.join(texts)}{shown.get(key, '')}" + (f" [{where}]" if where else ""))
    return "\n".join(lines)


def _key_loc(loc: Sequence[Any], data: Any) -> list[str]:
    """The location's parts that are keys or indexes of `data`; pydantic's union member tags are dropped."""
    out: list[str] = []
    node = data
    for depth, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            node = node[part]
        elif isinstance(node, dict) and depth == len(loc) - 1:
            pass  # a missing key: the last part, not in the data
        else:
            continue  # a union member tag such as `constrained-int`
        out.append(str(part))
    return out


def _place(key: str, places: dict[str, str]) -> str | None:
    """Where `key` (or the nearest section above it) was set."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        found = places.get(".".join(parts[:end]))
        if found:
            return found
    return None


def suggest_key(loc: Sequence[str]) -> str | None:
    """The closest valid dotted key for an unknown key at `loc`."""
    parent = _model_at(StxConfig, loc[:-1])
    wrong = loc[-1]
    if parent is not None:
        match = difflib.get_close_matches(wrong, list(parent.model_fields), n=1, cutoff=0.6)
        if match:
            return ".".join([*loc[:-1], match[0]])
    # Maybe the key lives in another section (e.g. `train.lora_r` for `lora.r`).
    leaves = {p.rsplit(".", 1)[-1]: p for p in _schema_paths(StxConfig, "")}
    match = difflib.get_close_matches(wrong, list(leaves), n=1, cutoff=0.75)
    return leaves[match[0]] if match else None


def _model_at(model: type[BaseModel], loc: Sequence[str]) -> type[BaseModel] | None:
    current: Any = model
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _container_item(field.annotation)
        if isinstance(current, tuple):  # dict[str, Model] / list[Model]: skip the key or index
            current = current[0]
            if parts:
                parts.pop(0)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _container_item(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (dict, list):
        return (_first_model(args[-1]) or args[-1],)
    if origin in (typing.Union, types.UnionType):
        return _first_model(annotation) or annotation
    return annotation


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _schema_paths(model: type[BaseModel], prefix: str) -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        sub = _first_model(field.annotation)
        if sub is not None and typing.get_origin(field.annotation) not in (dict, list):
            paths.extend(_schema_paths(sub, f"{prefix}{name}."))
        else:
            paths.append(f"{prefix}{name}")
    return paths
