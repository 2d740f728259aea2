"""Linear probe: L2-regularised multinomial logistic regression on frozen features, its
regulariser chosen on a held-out part of the train split (never on test)."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def _top_k_accuracy(probabilities, labels, classes, k):
    top = classes[np.argsort(-probabilities, axis=1)[:, :k]]
    return float(np.mean(np.any(top == labels[:, None], axis=1)))


def _fit(features, labels, c, max_iter):
    scaler = StandardScaler().fit(features)
    classifier = LogisticRegression(C=c, max_iter=max_iter).fit(scaler.transform(features), labels)
    return scaler, classifier


def linear_probe(
    train_features,
    train_labels,
    test_features,
    test_labels,
    c_grid=(0.01, 0.1, 1.0, 10.0),
    held_out_fraction=0.2,
    max_iter=1000,
    seed=0,
):
    """Selects C on a stratified held-out part of the train split, refits on all of it, and
    scores the test split.

    Returns:
      dict with `top1`, `top5` (test), `best_c` and `validation_top1` (held-out, at best_c).
    """
    fit_x, val_x, fit_y, val_y = train_test_split(
        train_features,
        train_labels,
        test_size=held_out_fraction,
        stratify=train_labels,
        random_state=seed,
    )
    scores = {}
    for c in c_grid:
        scaler, classifier = _fit(fit_x, fit_y, c, max_iter)
        scores[c] = classifier.score(scaler.transform(val_x), val_y)
    best_c = max(c_grid, key=lambda c: scores[c])
    scaler, classifier = _fit(train_features, train_labels, best_c, max_iter)
    probabilities = classifier.predict_proba(scaler.transform(test_features))
    return {
        "top1": _top_k_accuracy(probabilities, test_labels, classifier.classes_, 1),
        "top5": _top_k_accuracy(probabilities, test_labels, classifier.classes_, 5),
        "best_c": float(best_c),
        "validation_top1": float(scores[best_c]),
    }
