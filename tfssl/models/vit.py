"""Vision Transformer (Dosovitskiy et al., 2021) as used by DINO: patch embedding, a class token,
learned position embeddings resized to the input's patch grid (so one model embeds 224 px global
and 96 px local crops), pre-norm blocks, and the class token after a final LayerNorm as output."""

import keras
import tensorflow as tf

# name -> (embed_dim, depth, num_heads), as in DeiT / DINO.
VIT_SIZES = {"tiny": (192, 12, 3), "small": (384, 12, 6)}


def interpolate_position_embeddings(positions, height, width, method="bicubic"):
    """Resizes a [1, gh, gw, D] grid of position embeddings to [1, height, width, D].

    At the grid's own size it returns `positions` itself, so the training resolution sees the
    learned embeddings exactly; `height`/`width` may be tensors when the input size is dynamic.
    """
    static = isinstance(height, int) and isinstance(width, int)
    if static and (height, width) == tuple(positions.shape[1:3]):
        return positions
    return tf.cast(tf.image.resize(positions, [height, width], method=method), positions.dtype)


class ClassTokenAndPositions(keras.layers.Layer):
    """[N, h, w, D] patch embeddings → [N, 1 + h·w, D] tokens: position embeddings (learned on a
    `grid_size` grid, resized to h×w) added, and a learned class token with its own position
    embedding prepended."""

    def __init__(self, grid_size, interpolation="bicubic", **kwargs):
        super().__init__(**kwargs)
        self.grid_size = grid_size
        self.interpolation = interpolation

    def build(self, input_shape):
        dim = input_shape[-1]
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.class_token = self.add_weight(shape=(1, 1, dim), initializer=init, name="class_token")
        self.class_position = self.add_weight(
            shape=(1, 1, dim), initializer=init, name="class_position"
        )
        self.positions = self.add_weight(
            shape=(1, self.grid_size, self.grid_size, dim), initializer=init, name="positions"
        )

    def call(self, patches):
        height, width = patches.shape[1], patches.shape[2]
        if height is None or width is None:
            height, width = tf.shape(patches)[1], tf.shape(patches)[2]
        positions = tf.cast(
            interpolate_position_embeddings(self.positions, height, width, self.interpolation),
            patches.dtype,
        )
        tokens = patches + positions  # [N, h, w, D]
        batch, dim = tf.shape(patches)[0], patches.shape[-1]
        tokens = tf.reshape(tokens, [batch, -1, dim])  # [N, h·w, D]
        class_token = tf.cast(self.class_token + self.class_position, patches.dtype)
        class_tokens = tf.tile(class_token, [batch, 1, 1])  # [N, 1, D]
        return tf.concat([class_tokens, tokens], axis=1)  # [N, 1 + h·w, D]

    def compute_output_shape(self, input_shape):
        n, h, w, d = input_shape
        return (n, None if h is None or w is None else 1 + h * w, d)

    def get_config(self):
        config = super().get_config()
        return {**config, "grid_size": self.grid_size, "interpolation": self.interpolation}


class SelfAttention(keras.layers.Layer):
    """Multi-head self-attention as in DINO's ViT: one Dense to queries, keys and values, scaled
    dot-product attention per head (softmax in float32), and an output Dense.

    Keras' MultiHeadAttention projects with per-head einsums that TensorFlow runs as batch matrix
    products with the kernel broadcast over the batch; on CPU these were 66% of a ViT-tiny step
    and their gradients materialised one kernel-sized product per image. Here every projection is
    a single [N·T, D] matrix product.
    """

    def __init__(self, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim % self.num_heads:
            raise ValueError(f"embedding dim {dim} is not divisible by {self.num_heads} heads")
        self.qkv = keras.layers.Dense(3 * dim, name="qkv")
        self.qkv.build((None, dim))
        self.proj = keras.layers.Dense(dim, name="proj")
        self.proj.build((None, dim))

    def call(self, x):
        batch, tokens = tf.shape(x)[0], tf.shape(x)[1]
        dim = x.shape[-1]
        head_dim = dim // self.num_heads
        qkv = self.qkv(tf.reshape(x, [-1, dim]))  # [N·T, 3D]
        qkv = tf.reshape(qkv, [batch, tokens, 3, self.num_heads, head_dim])
        q, k, v = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4]))  # each [N, H, T, d]
        scores = tf.matmul(q, k, transpose_b=True) * (head_dim**-0.5)  # [N, H, T, T]
        weights = tf.cast(tf.nn.softmax(tf.cast(scores, tf.float32), axis=-1), v.dtype)
        out = tf.transpose(tf.matmul(weights, v), [0, 2, 1, 3])  # [N, T, H, d]
        out = self.proj(tf.reshape(out, [-1, dim]))  # [N·T, D]
        return tf.reshape(out, [batch, tokens, dim])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads}


def _block(x, dim, num_heads, mlp_ratio, name):
    """Pre-norm transformer block: x + MHA(LN(x)), then x + MLP(LN(x)) with GELU."""
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
    y = SelfAttention(num_heads, name=f"{name}_attn")(y)
    x = keras.layers.Add(name=f"{name}_add1")([x, y])
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
    y = keras.layers.Dense(int(dim * mlp_ratio), activation="gelu", name=f"{name}_fc1")(y)
    y = keras.layers.Dense(dim, name=f"{name}_fc2")(y)
    return keras.layers.Add(name=f"{name}_add2")([x, y])


def vit(
    embed_dim,
    depth,
    num_heads,
    patch_size=16,
    image_size=224,
    mlp_ratio=4.0,
    interpolation="bicubic",
    name="vit",
):
    """A ViT from images [N, H, W, 3] (H, W multiples of `patch_size`) to the final class token
    [N, embed_dim] (also `model.feature_dim`); position embeddings are learned for `image_size`."""
    if image_size % patch_size:
        raise ValueError(f"image_size {image_size} is not a multiple of patch_size {patch_size}")
    with keras.name_scope(name):
        images = keras.Input(shape=(None, None, 3), name="images")
        patchify = keras.layers.Conv2D(
            embed_dim, patch_size, strides=patch_size, name="patch_embed"
        )
        x = patchify(images)  # [N, H/p, W/p, D]
        x = ClassTokenAndPositions(image_size // patch_size, interpolation, name="tokens")(x)
        for index in range(depth):
            x = _block(x, embed_dim, num_heads, mlp_ratio, name=f"block{index}")
        x = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")(x)
        features = x[:, 0]  # [N, D]: the class token
        model = keras.Model(images, features, name=name)
    model.feature_dim = embed_dim
    return model


def vit_tiny(patch_size=16, image_size=224, name="vit_tiny", **kwargs):
    """ViT-Ti: 192 dims, 12 blocks, 3 heads."""
    dim, depth, heads = VIT_SIZES["tiny"]
    return vit(dim, depth, heads, patch_size, image_size, name=name, **kwargs)


def vit_small(patch_size=16, image_size=224, name="vit_small", **kwargs):
    """ViT-S: 384 dims, 12 blocks, 6 heads (DINO's ViT-S/16 and ViT-S/8)."""
    dim, depth, heads = VIT_SIZES["small"]
    return vit(dim, depth, heads, patch_size, image_size, name=name, **kwargs)
