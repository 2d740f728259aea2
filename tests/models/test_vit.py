import numpy as np
import tensorflow as tf

from tfssl.models import build_backbone
from tfssl.models.vit import (
    SelfAttention,
    interpolate_position_embeddings,
    vit,
    vit_small,
    vit_tiny,
)


def _small_vit():
    return vit(embed_dim=16, depth=2, num_heads=2, patch_size=4, image_size=32, name="test_vit")


def test_one_model_embeds_global_and_local_crops():
    """32 px → 8×8 patches, 16 px → 4×4 patches: the same weights give [N, D] class tokens."""
    model = _small_vit()
    rng = np.random.default_rng(0)
    assert model(rng.uniform(size=(3, 32, 32, 3)).astype(np.float32)).shape == (3, 16)
    assert model(rng.uniform(size=(2, 16, 16, 3)).astype(np.float32)).shape == (2, 16)
    traced = tf.function(lambda x: model(x, training=True))
    assert traced(tf.zeros([2, 16, 16, 3])).shape == (2, 16)
    assert model.feature_dim == 16
    # With the input size unknown when traced, resizing to the training grid is still exact.
    dynamic = tf.function(model, input_signature=[tf.TensorSpec([None, None, None, 3])])
    x = rng.uniform(size=(2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(dynamic(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6)
    assert model.get_layer("tokens").positions.shape == (1, 8, 8, 16)


def test_position_interpolation_is_identity_at_training_size():
    positions = tf.constant(np.random.default_rng(1).normal(size=(1, 8, 8, 4)), tf.float32)
    assert interpolate_position_embeddings(positions, 8, 8) is positions
    smaller = interpolate_position_embeddings(positions, 4, 4)
    assert smaller.shape == (1, 4, 4, 4)
    # A constant grid stays constant under resizing.
    ones = interpolate_position_embeddings(tf.ones([1, 8, 8, 2]), 4, 4, method="bilinear")
    np.testing.assert_allclose(ones.numpy(), 1.0, rtol=1e-6)


def test_class_token_output_ignores_batch_neighbours():
    """Without BN each image's feature depends on that image only: a batch of two equals two
    single-image calls."""
    model = _small_vit()
    x = np.random.default_rng(2).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    together = model(x).numpy()
    apart = np.concatenate([model(x[:1]).numpy(), model(x[1:]).numpy()])
    np.testing.assert_allclose(together, apart, rtol=1e-5, atol=1e-6)


def test_vit_sizes_and_factory():
    assert vit_tiny(patch_size=8, image_size=32).feature_dim == 192
    assert vit_small(patch_size=16, image_size=32).feature_dim == 384
    model = build_backbone("vit_tiny", patch_size=4, image_size=16, name="teacher")
    assert model.name == "teacher" and model.feature_dim == 192
    assert model.get_layer("tokens").positions.shape == (1, 4, 4, 192)
    assert model.get_layer("patch_embed").kernel.shape == (4, 4, 3, 192)


def test_self_attention_equals_numpy_multi_head_attention():
    rng = np.random.default_rng(2)
    batch, tokens, dim, heads = 2, 5, 8, 2
    x = rng.normal(size=(batch, tokens, dim)).astype(np.float32)
    layer = SelfAttention(heads)
    out = layer(x).numpy()
    w_qkv, b_qkv = (v.numpy() for v in layer.qkv.weights)
    w_proj, b_proj = (v.numpy() for v in layer.proj.weights)
    qkv = (x @ w_qkv + b_qkv).reshape(batch, tokens, 3, heads, dim // heads)
    expected = np.zeros_like(x)
    for h in range(heads):
        q, k, v = qkv[:, :, 0, h], qkv[:, :, 1, h], qkv[:, :, 2, h]  # [N, T, d]
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(dim // heads)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        expected[..., h * (dim // heads) : (h + 1) * (dim // heads)] = weights @ v
    np.testing.assert_allclose(out, expected @ w_proj + b_proj, rtol=1e-5, atol=1e-5)
