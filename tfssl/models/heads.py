"""MLP heads: one generic builder shared by projection heads and predictors."""

import keras

from tfssl.models.layers import batch_norm

# output_bn option -> (center, scale) of the BN after the last Dense; "none" means no BN.
_OUTPUT_BN = {"affine": (True, True), "center": (True, False), "plain": (False, False)}


def mlp(
    input_dim,
    hidden_dims,
    output_dim,
    use_bn=True,
    output_bn="none",
    activation="relu",
    sync_bn=False,
    bn_momentum=0.9,
    bn_epsilon=1e-5,
    name="mlp",
):
    """Build a Sequential MLP [N, input_dim] -> [N, output_dim] for heads and predictors.

    Each entry of `hidden_dims` adds Dense -> BN (if `use_bn`) -> `activation`; a final Dense maps
    to `output_dim`, followed by BN when `output_bn` is "affine" (beta and gamma), "center" (beta
    only, SimCLR) or "plain" (neither, SimSiam/MoCo v3). A Dense has a bias only when no BN follows.
    Layers are named dense{i}, bn{i}, act{i} (1-based).
    """
    if output_bn != "none" and output_bn not in _OUTPUT_BN:
        raise ValueError(f"Unknown output_bn {output_bn!r}; valid: {['none', *_OUTPUT_BN]}.")
    bn_kwargs = dict(sync_bn=sync_bn, momentum=bn_momentum, epsilon=bn_epsilon)
    layers = [keras.Input(shape=(input_dim,))]
    for index, units in enumerate(hidden_dims, start=1):
        layers.append(keras.layers.Dense(units, use_bias=not use_bn, name=f"dense{index}"))
        if use_bn:
            layers.append(batch_norm(f"bn{index}", **bn_kwargs))
        layers.append(keras.layers.Activation(activation, name=f"act{index}"))
    last = len(hidden_dims) + 1
    layers.append(keras.layers.Dense(output_dim, use_bias=output_bn == "none", name=f"dense{last}"))
    if output_bn != "none":
        center, scale = _OUTPUT_BN[output_bn]
        layers.append(batch_norm(f"bn{last}", center=center, scale=scale, **bn_kwargs))
    return keras.Sequential(layers, name=name)


def projection_head(
    input_dim,
    hidden_dim=2048,
    output_dim=128,
    num_layers=2,
    use_bn=True,
    sync_bn=False,
    bn_momentum=0.9,
    name="projection_head",
):
    """SimCLR projection head: `num_layers` Dense layers (v1: 2, v2: 3), BN+ReLU between them.

    With `use_bn` the last Dense is followed by a BN with beta but no gamma, as in SimCLR's TF2
    code; without it every Dense has a bias and there is no BN.
    """
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}.")
    return mlp(
        input_dim,
        [hidden_dim] * (num_layers - 1),
        output_dim,
        use_bn=use_bn,
        output_bn="center" if use_bn else "none",
        sync_bn=sync_bn,
        bn_momentum=bn_momentum,
        name=name,
    )
