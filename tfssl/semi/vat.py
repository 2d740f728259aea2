"""Virtual adversarial training (Miyato et al. 2018): the adversarial direction by power
iteration, the local-distributional-smoothness loss, and the VAT method.

The forwards made here run inside `frozen_batch_statistics()`, so training-mode batch norm in
`logits_fn` normalises with the perturbed batch's statistics but leaves the moving statistics
alone (vat_tf's `update_batch_stats=False`).
"""

import tensorflow as tf

from tfssl.losses.contrastive import at_least_float32
from tfssl.models.layers import frozen_batch_statistics
from tfssl.ops import distributed
from tfssl.methods.registry import register_method
from tfssl.semi.base import SemiSupervisedModel
from tfssl.semi.consistency import kl_divergence, mean_entropy


def _unit_rows(d):
    """Each row of [b, ...] `d` scaled to unit L2 norm over its non-batch axes (zero rows stay
    zero). Dividing by the largest |entry| first, as vat_tf does, keeps the squared sum of tiny
    gradients from underflowing; the final division makes the norm exactly 1."""
    axes = list(range(1, d.shape.rank))
    d = d / (1e-12 + tf.reduce_max(tf.abs(d), axis=axes, keepdims=True))
    return tf.math.l2_normalize(d, axis=axes)


def random_unit_directions(shape, seed, dtype=tf.float32):
    """VAT's random start: one Gaussian direction of unit L2 norm per row of this replica's
    [b, ...] batch, drawn from the stateless seed `fold_in([seed, 0], global row)`.

    Keying each row on its index in the global batch makes a row's direction independent of how
    the batch is split over replicas (the replica rule).

    Args:
      shape: [b, ...] shape of the local batch.
      seed: int (Python or scalar tensor, e.g. the training step for fresh draws every step).
      dtype: floating dtype of the result.
    """
    shape = tf.convert_to_tensor(shape, tf.int32)
    rows = shape[0]
    first_row = tf.cast(distributed.global_offset(rows), tf.int64)
    base_seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])

    def draw(global_row):
        row_seed = tf.random.experimental.stateless_fold_in(base_seed, global_row)
        return tf.random.stateless_normal(shape[1:], row_seed, dtype=dtype)

    global_rows = first_row + tf.range(tf.cast(rows, tf.int64))  # [b]
    return _unit_rows(tf.map_fn(draw, global_rows, fn_output_signature=dtype))


def _power_step(logits_fn, x, clean_logits, r):
    """normalise(∇_r Σ_rows KL(p(x) ‖ p(x + r))) for the probe perturbation `r`.

    The KL is summed over the local rows. Without batch-coupled layers each row's gradient is
    that of its own term, so the normalised result depends neither on the batch size nor on the
    replica split; through synchronised BN, the all-reduce's gradient adds the other replicas'
    terms, as the one-device gradient of the global sum does.
    """
    with tf.GradientTape() as tape:
        tape.watch(r)
        divergence = tf.reduce_sum(kl_divergence(clean_logits, logits_fn(x + r)))
    return _unit_rows(tape.gradient(divergence, r))


def vat_direction(logits_fn, x, xi=1e-6, iterations=1, seed=0, clean_logits=None):
    """VAT's adversarial direction: starting from a random unit vector d per sample
    (`random_unit_directions`), `iterations` power iterations
    d ← normalise(∇_r KL(p(x) ‖ p(x + r))|_{r = ξd}) with p = softmax(logits_fn(·)) and p(x)
    held constant. Returns d with unit L2 norm per sample over all non-batch axes and no
    gradient; the perturbation is ε·d.

    x and r are float32 at least, because ξ = 1e-6 vanishes next to half-precision inputs. A
    mixed-precision `logits_fn` still casts x + ξd to its compute dtype, which rounds the probe
    away; give such models a larger ξ or a float32 first layer. Even in float32, logits of x + ξd
    differ from those of x by ~ξ, so d carries a few per cent of rounding noise at ξ = 1e-6;
    VAT tolerates it (d only needs to point roughly uphill), exact comparisons need a larger ξ.

    Args:
      logits_fn: callable [b, ...] -> [b, C] logits (e.g. `lambda v: model(v, training=True)`).
      x: [b, ...] inputs.
      xi: finite-difference step ξ of the probe perturbation.
      iterations: number of power iterations (the paper uses 1).
      seed: int seed of the random start (see `random_unit_directions`).
      clean_logits: [b, C] logits of x when the caller has them (vat_tf reuses the clean
        forward); computed by `logits_fn(x)` otherwise.
    """
    x = tf.stop_gradient(at_least_float32(x))
    with frozen_batch_statistics():
        if clean_logits is None:
            clean_logits = logits_fn(x)
        clean_logits = tf.stop_gradient(at_least_float32(clean_logits))
        d = tf.ensure_shape(random_unit_directions(tf.shape(x), seed, x.dtype), x.shape)
        for _ in range(iterations):
            d = _power_step(logits_fn, x, clean_logits, tf.cast(xi, x.dtype) * d)
    return tf.stop_gradient(d)


def vat_loss(logits_fn, x, clean_logits, epsilon, xi=1e-6, iterations=1, seed=0):
    """VAT's local-distributional-smoothness loss: the global-batch mean of
    KL(p_clean ‖ p(x + ε·d)), d = `vat_direction(...)`, the gradient flowing only through the
    adversarial forward.

    Direction: the paper's D(r) = KL(p(·|x; θ̂) ‖ p(·|x + r; θ)) with the clean side held
    constant, the divergence whose gradient the power iteration follows, so the loss measures
    what d maximises (vat_tf and USB agree). The FixMatch / realistic-eval re-implementations use
    the reverse KL(p_adv ‖ p_clean), an empirical choice they did not tie to the direction.

    Args:
      logits_fn: callable [b, ...] -> [b, C] logits, differentiable in the model's weights.
      x: [b, ...] inputs.
      clean_logits: [b, C] logits of x (stop_gradient is applied here).
      epsilon: perturbation norm ε per sample.
      xi, iterations, seed: as in `vat_direction`.

    Returns:
      Scalar loss, the same on every replica.
    """
    clean_logits = tf.stop_gradient(at_least_float32(clean_logits))
    d = vat_direction(logits_fn, x, xi, iterations, seed, clean_logits=clean_logits)
    x = tf.stop_gradient(at_least_float32(x))
    with frozen_batch_statistics():
        adversarial_logits = logits_fn(x + tf.cast(epsilon, x.dtype) * d)
    return distributed.global_mean(kl_divergence(clean_logits, adversarial_logits))


@register_method("vat")
class VAT(SemiSupervisedModel):
    """VAT: the LDS loss on the weak view of every unlabeled image, its clean logits from the
    step's shared forward (held constant) and its perturbed forwards under frozen batch
    statistics (`vat_loss`), each beside the step's labeled images so that at r = 0 they give
    the clean logits exactly; a fresh random start every step (seeded by the step). With
    `entmin_weight` > 0 the unsupervised term also has `entmin_weight` × the mean entropy of the
    clean predictions (VAT+EntMin); both share the ramped `unsup_weight`."""

    options = SemiSupervisedModel.options + (
        "vat_epsilon",
        "vat_xi",
        "vat_iterations",
        "entmin_weight",
    )
    metric_names = SemiSupervisedModel.metric_names + ("entropy",)

    def __init__(
        self, *args, vat_epsilon=6.0, vat_xi=1e-6, vat_iterations=1, entmin_weight=0.0, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.vat_epsilon = vat_epsilon
        self.vat_xi = vat_xi
        self.vat_iterations = vat_iterations
        self.entmin_weight = entmin_weight

    def unsupervised_loss(self, batch, training):
        clean_logits = batch.logits[0]
        smoothness = vat_loss(
            lambda images: self.logits_beside_labeled(batch, images, training),
            batch.views[0],
            clean_logits,
            self.vat_epsilon,
            self.vat_xi,
            self.vat_iterations,
            seed=self.step,
        )
        entropy = mean_entropy(clean_logits)
        return smoothness + self.entmin_weight * entropy, {"entropy": entropy}
