"""Typed, validated params: YAML files merged over defaults, `--set` overrides."""

from stxlib.config.base import ParamsError, Section
from stxlib.config.contamination import ContaminationSection, TrainingFileSection
from stxlib.config.evaluation import EvalSection
from stxlib.config.llm_jp_eval import LlmJpEvalSection
from stxlib.config.model import ModelSection
from stxlib.config.models import ModelRef
from stxlib.config.mt_bench import MtBenchJudgeSection, MtBenchSection
from stxlib.config.params import StxConfig, dump_params, load_params, parse_override_list
from stxlib.config.preferences import PreferencesSection
from stxlib.config.report import ReportSection
from stxlib.config.sections import DataSection, RunSection, SourceSection
from stxlib.config.stats import StatsSection
from stxlib.config.tokenizer import CorpusRef, ExtensionSection, TokenizerRef, TokenizerSection
from stxlib.config.training import LoraSection, TrainSection

__all__ = [
    "ContaminationSection",
    "CorpusRef",
    "DataSection",
    "EvalSection",
    "ExtensionSection",
    "LlmJpEvalSection",
    "LoraSection",
    "ModelRef",
    "ModelSection",
    "MtBenchJudgeSection",
    "MtBenchSection",
    "ParamsError",
    "PreferencesSection",
    "ReportSection",
    "RunSection",
    "Section",
    "SourceSection",
    "StatsSection",
    "StxConfig",
    "TokenizerRef",
    "TokenizerSection",
    "TrainSection",
    "TrainingFileSection",
    "dump_params",
    "load_params",
    "parse_override_list",
]
