"""Keras AdamW whose decoupled weight decay skips variables selected by path regexes."""

import keras

from tfssl.optim.weight_decay import DEFAULT_WEIGHT_DECAY_EXCLUSIONS, apply_weight_decay_exclusions


@keras.saving.register_keras_serializable(package="tfssl")
class AdamW(keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` with path-regex weight-decay exclusions, applied when the
    optimizer is built so that callers never have to list variables themselves."""

    def __init__(self, *args, exclude_from_weight_decay=DEFAULT_WEIGHT_DECAY_EXCLUSIONS, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_decay_exclusions = tuple(exclude_from_weight_decay)

    def build(self, variables):
        """Register the excluded variables, then create the optimizer state as usual."""
        if not self.built:
            apply_weight_decay_exclusions(self, variables, self.weight_decay_exclusions)
        super().build(variables)

    def get_config(self):
        """Base config plus the exclusion regexes."""
        config = super().get_config()
        config["exclude_from_weight_decay"] = list(self.weight_decay_exclusions)
        return config
