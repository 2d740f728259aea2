"""Evaluation protocols for frozen or fine-tuned encoders."""

from tfssl.evaluation.clustering_metrics import ari, clustering_accuracy, contingency_table, nmi
from tfssl.evaluation.features import extract_features, split_features
from tfssl.evaluation.knn import knn_predict
from tfssl.evaluation.label_fraction import class_balanced_subset
from tfssl.evaluation.linear_probe import linear_probe
from tfssl.evaluation.protocols import (
    classifier_protocol,
    evaluate_linear,
    knn_protocol,
    linear_protocol,
    other_classifier_results,
)

__all__ = [
    "ari",
    "class_balanced_subset",
    "classifier_protocol",
    "clustering_accuracy",
    "contingency_table",
    "evaluate_linear",
    "extract_features",
    "knn_predict",
    "knn_protocol",
    "linear_probe",
    "linear_protocol",
    "nmi",
    "other_classifier_results",
    "split_features",
]
