"""MixMatch (Berthelot et al. 2019): sharpened label guesses averaged over K weak views, MixUp of
labeled and unlabeled images with partners drawn from both, soft cross-entropy on the mixed
labeled rows and a squared error on the mixed unlabeled ones."""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.methods.registry import register_method
from tfssl.models.layers import frozen_batch_statistics
from tfssl.ops import distributed
from tfssl.semi.base import SemiSupervisedModel
from tfssl.semi.consistency import mixup, sharpen, soft_cross_entropy, softmax_mse


def global_rows(parts):
    """Where this replica's rows sit in the global concatenation of `parts`.

    Args:
      parts: per-replica tensors [n_k, ...]; one device would hold their global versions
        concatenated in this order.

    Returns:
      (int32 [Σ n_k] global row of each local row of concat(parts), int32 N the global total).
    """
    rows, start = [], tf.constant(0, tf.int32)
    for part in parts:
        local = tf.shape(part)[0]
        rows.append(start + distributed.global_offset(local) + tf.range(local))
        start += distributed.global_batch_size(local)
    return tf.concat(rows, axis=0), start


def mixup_partners(parts, seed):
    """MixMatch's W = shuffle(concat(X̂, Û_1, …, Û_K)) over the global batch: for every local row
    of concat(parts), the row of W at the same global position.

    The permutation is drawn from the stateless `seed` once for the whole global batch, so each
    replica picks the partners one device would pick for the same rows (the replica rule); the
    partners may come from other replicas, hence the all-gather.

    Args:
      parts: list of (images [n_k, ...], targets [n_k, C]) per-replica pairs.
      seed: [2] int stateless seed.

    Returns:
      (partner images, partner targets), each with Σ n_k rows.
    """
    gathered = [
        tf.concat([distributed.all_gather(part[i]) for part in parts], axis=0) for i in range(2)
    ]  # images [N, ...], targets [N, C] in the one-device order
    rows, total = global_rows([images for images, _ in parts])
    permutation = tf.random.experimental.stateless_shuffle(tf.range(total), seed)  # [N]
    partners = tf.gather(permutation, rows)
    return tuple(tf.gather(values, partners) for values in gathered)


def beta_draws(rows, total, alpha, seed):
    """λ ~ Beta(α, α) for the given global `rows` of a global batch of `total`, drawn for the
    whole global batch from `seed` (so a row's λ does not depend on the replica split)."""
    gamma_seeds = tf.random.experimental.stateless_split(seed, 2)
    a, b = (tf.random.stateless_gamma([total], s, alpha=alpha) for s in tf.unstack(gamma_seeds))
    return tf.gather(a / (a + b), rows)


@register_method("mixmatch")
class MixMatch(SemiSupervisedModel):
    """MixMatch with `num_guess_views` (K) weak views per unlabeled image.

    The label guess is sharpen(mean_k softmax(f(û_k)), `sharpen_temperature`) from a
    training-mode forward of the unlabeled views under `frozen_batch_statistics()` (the paper's
    guess uses batch statistics and discards its BN updates). The mixed images then go through
    **one** concatenated forward, [X′, U′_1, …, U′_K]: batch norm normalises and updates with
    statistics of labeled and unlabeled rows alike, which the paper's interleave trick only
    approximates for its three separate forwards, and under synchronised BN a step on R replicas
    equals one device. λ ~ Beta(`mixup_alpha`, `mixup_alpha`) per row, λ′ = max(λ, 1 − λ); the
    partners are a global-batch permutation of all labeled and unlabeled rows (`mixup_partners`).

    loss = soft CE(X′) + unsup_weight · ramp · mean over unlabeled rows and classes of
    (q′ − softmax(f(u′)))².
    """

    options = SemiSupervisedModel.options + (
        "num_guess_views",
        "sharpen_temperature",
        "mixup_alpha",
    )

    def __init__(
        self, *args, num_guess_views=2, sharpen_temperature=0.5, mixup_alpha=0.75, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.num_guess_views = num_guess_views
        self.unlabeled_views = num_guess_views
        self.sharpen_temperature = sharpen_temperature
        self.mixup_alpha = mixup_alpha

    def guess_labels(self, views):
        """Sharpened mean prediction over the K views, [u, C], without gradient."""
        with frozen_batch_statistics():
            logits = self.logits(tf.concat(views, axis=0), training=True)  # [K·u, C]
        probabilities = tf.nn.softmax(at_least_float32(tf.stop_gradient(logits)))
        mean = tf.reduce_mean(tf.stack(tf.split(probabilities, len(views)), axis=0), axis=0)
        return tf.stop_gradient(sharpen(mean, self.sharpen_temperature))

    def compute_batch_loss(self, data, training):
        labeled, views = data["labeled"], list(data["unlabeled"]["views"])
        images = [labeled["image"], *views]
        guess = self.guess_labels(views)
        one_hot = tf.one_hot(labeled["label"], self.num_classes, dtype=guess.dtype)
        parts = [(images[0], one_hot)] + [(view, guess) for view in views]

        seed = tf.stack([tf.cast(self.step, tf.int64), tf.constant(7, tf.int64)])
        pair_seed, lambda_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        partner_images, partner_targets = mixup_partners(parts, pair_seed)
        rows, total = global_rows(images)
        lam = beta_draws(rows, total, self.mixup_alpha, lambda_seed)  # [b + K·u]
        mixed_images, mixed_targets = mixup(
            tf.concat(images, axis=0),
            tf.concat([targets for _, targets in parts], axis=0),
            partner_images,
            partner_targets,
            lam,
        )

        logits = self.logits(mixed_images, training)  # [b + K·u, C]
        labeled_rows = tf.shape(images[0])[0]
        supervised = soft_cross_entropy(mixed_targets[:labeled_rows], logits[:labeled_rows])
        unsupervised = softmax_mse(logits[labeled_rows:], mixed_targets[labeled_rows:])
        hits = tf.equal(
            tf.argmax(logits[:labeled_rows], axis=-1, output_type=tf.int32),
            tf.cast(labeled["label"], tf.int32),
        )
        weight = tf.cast(self.ramp_weight(), supervised.dtype)
        return supervised + weight * unsupervised, {
            "supervised_loss": supervised,
            "unsupervised_loss": unsupervised,
            "unsup_weight": weight,
            "labeled_acc": distributed.global_mean(tf.cast(hits, supervised.dtype)),
        }
