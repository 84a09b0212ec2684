"""The error type of the training stage."""

from __future__ import annotations


class TrainSetupError(ValueError):
    """Training cannot start (or resume) with these settings; the message names the problem and the fix."""
