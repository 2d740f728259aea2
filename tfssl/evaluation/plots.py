"""PNG pictures of a representation: nearest-neighbour retrieval grid, 2-D embedding and the
training curve. Drawn with matplotlib's non-interactive Agg backend (no display needed)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402


def nearest_neighbours(train_features, query_features, k=8):
    """Indices [Q, k] of each query's k most cosine-similar train features."""
    normalise = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)  # noqa: E731
    similarity = normalise(query_features) @ normalise(train_features).T  # [Q, N]
    return np.argsort(-similarity, axis=1, kind="stable")[:, :k]


def retrieval_grid(query_images, neighbour_images, path, query_labels=None, neighbour_labels=None):
    """One row per query: the query image, then its neighbours (uint8 [Q, H, W, 3] and
    [Q, k, H, W, 3]); a neighbour's title is its label, red when it differs from the query's."""
    num_queries, k = neighbour_images.shape[:2]
    figure, axes = plt.subplots(
        num_queries, k + 1, figsize=(1.2 * (k + 1), 1.2 * num_queries), squeeze=False
    )
    for q in range(num_queries):
        row = [query_images[q]] + list(neighbour_images[q])
        for j, image in enumerate(row):
            ax = axes[q, j]
            ax.imshow(np.asarray(image).astype(np.uint8))
            ax.set_xticks([])
            ax.set_yticks([])
            if query_labels is not None:
                label = query_labels[q] if j == 0 else neighbour_labels[q, j - 1]
                wrong = j > 0 and label != query_labels[q]
                ax.set_title(
                    ("query " if j == 0 else "") + str(label),
                    fontsize=7,
                    color="red" if wrong else "black",
                )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def embed_2d(features, method="pca", seed=0):
    """[N, D] features → [N, 2] by PCA or t-SNE (on the first 50 principal components)."""
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(features)
    reduced = PCA(
        n_components=min(50, features.shape[1], len(features)), random_state=seed
    ).fit_transform(features)
    return TSNE(
        n_components=2, init="pca", random_state=seed, perplexity=min(30.0, len(features) - 1.0)
    ).fit_transform(reduced)


def embedding_plot(features, labels, path, method="pca", seed=0):
    """Scatter plot of the 2-D embedding of `features`, coloured by label."""
    points = embed_2d(features, method, seed)
    figure, ax = plt.subplots(figsize=(6, 6))
    scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=4)
    ax.legend(*scatter.legend_elements(), fontsize=7, loc="best", title="label")
    ax.set_title(f"{method.upper()} of encoder features")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def training_curve(history, path):
    """Loss (and every other logged metric but throughput) and learning rate against step, from
    `ProgressLogger.history` (a list of dicts with `step`)."""
    steps = [entry["step"] for entry in history]
    names = [n for n in history[0] if n not in ("step", "learning_rate", "images_per_sec")]
    figure, (ax_loss, ax_lr) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    for name in names:
        ax_loss.plot(steps, [entry[name] for entry in history], label=name)
    ax_loss.legend(fontsize=8)
    ax_loss.set_ylabel("value")
    ax_lr.plot(steps, [entry["learning_rate"] for entry in history], color="black")
    ax_lr.set_ylabel("learning rate")
    ax_lr.set_xlabel("step")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path
