"""Evaluation protocols for frozen or fine-tuned encoders."""

from tfssl.evaluation.features import extract_features
from tfssl.evaluation.linear_probe import linear_probe

__all__ = ["extract_features", "linear_probe"]
