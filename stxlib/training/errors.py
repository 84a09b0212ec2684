"""The errors of a training session (every training stage raises these)."""

from __future__ import annotations


class TrainSetupError(ValueError):
    """Training cannot start (or resume) with these settings; the message names the problem and the fix."""


class TrainingDivergedError(RuntimeError):
    """The training loss or gradient norm became NaN or infinite."""
