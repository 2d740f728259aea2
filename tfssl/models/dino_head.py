"""DINO's projection head: an MLP to a bottleneck, L2 normalisation, then a weight-normalised
linear layer to K output logits."""

import keras
import tensorflow as tf

from tfssl.models.heads import mlp


@keras.saving.register_keras_serializable(package="tfssl")
class WeightNormDense(keras.layers.Layer):
    """Bias-free Dense with weight normalisation (Salimans & Kingma): column k of the kernel is
    g_k · v_k / ‖v_k‖. With `norm_last_layer` the magnitudes g are fixed to 1 (DINO's default),
    so every output is a cosine similarity between the input and a direction v_k."""

    def __init__(self, units, norm_last_layer=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.norm_last_layer = norm_last_layer

    def build(self, input_shape):
        self.direction = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="direction",
        )
        self.magnitude = self.add_weight(
            shape=(self.units,),
            initializer="ones",
            trainable=not self.norm_last_layer,
            name="magnitude",
        )

    def call(self, inputs):
        kernel = tf.math.l2_normalize(self.direction, axis=0) * self.magnitude  # [D, K]
        return tf.matmul(inputs, tf.cast(kernel, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        return {**config, "units": self.units, "norm_last_layer": self.norm_last_layer}


def dino_head(
    input_dim,
    output_dim=65536,
    hidden_dim=2048,
    bottleneck_dim=256,
    num_layers=3,
    norm_last_layer=True,
    use_bn=False,
    sync_bn=False,
    name="dino_head",
):
    """[N, input_dim] → [N, output_dim] logits: `num_layers` Dense layers (GELU between them, with
    BN before each GELU when `use_bn`, DINO's `use_bn_in_head`) to `bottleneck_dim`, L2
    normalisation, then `WeightNormDense(output_dim)` (named "last")."""
    return keras.Sequential(
        [
            keras.Input(shape=(input_dim,)),
            mlp(
                input_dim,
                [hidden_dim] * (num_layers - 1),
                bottleneck_dim,
                use_bn=use_bn,
                activation="gelu",
                sync_bn=sync_bn,
                name="mlp",
            ),
            keras.layers.UnitNormalization(axis=-1, name="l2_normalize"),
            WeightNormDense(output_dim, norm_last_layer=norm_last_layer, name="last"),
        ],
        name=name,
    )
