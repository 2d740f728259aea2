"""Evaluation protocols for frozen or fine-tuned encoders."""

from tfssl.evaluation.clustering_metrics import ari, clustering_accuracy, contingency_table, nmi
from tfssl.evaluation.features import extract_features
from tfssl.evaluation.knn import knn_predict
from tfssl.evaluation.label_fraction import class_balanced_subset
from tfssl.evaluation.linear_probe import linear_probe

__all__ = [
    "ari",
    "class_balanced_subset",
    "clustering_accuracy",
    "contingency_table",
    "extract_features",
    "knn_predict",
    "linear_probe",
    "nmi",
]
