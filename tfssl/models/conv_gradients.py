"""Stride-1 "same" convolution whose gradients are computed as forward convolutions.

On CPU, TensorFlow's `Conv2DBackpropInput` and `Conv2DBackpropFilter` kernels run several times
slower than `Conv2D` for the same FLOPs (measured on this repository's 2-core benchmark machine:
backprop-input 6×, backprop-filter 4× the forward time of a CIFAR ResNet-18). Both gradients of a
stride-1 "same" convolution with an odd kernel are themselves convolutions:

  dx = conv(dy, flip(w) with in/out channels swapped, "same")
  dw = conv(pad(x) laid out [C_in, H, W, N], dy laid out [H, W, N, C_out], "valid")

so computing them with the forward kernel gives the same numbers, faster. The mode is global, like
Keras' mixed-precision policy: `set_mode("forward")` on CPU, `"native"` (TensorFlow's own gradient
kernels, fastest with cuDNN and on TPU) elsewhere.
"""

import tensorflow as tf

MODES = ("native", "forward")
_mode = "native"


def set_mode(mode):
    """Selects how stride-1 "same" convolutions differentiate; read when a function is traced."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"conv gradient mode must be one of {MODES}, got {mode!r}")
    _mode = mode


def mode():
    return _mode


def resolve_mode(setting, on_cpu):
    """`auto` → `forward` on CPU and `native` on GPU/TPU; other settings pass through."""
    if setting == "auto":
        return "forward" if on_cpu else "native"
    return setting


def applies(kernel_size, strides, padding, dilation_rate, groups):
    """Whether a Conv2D's settings are the stride-1, odd-kernel "same" case handled here."""
    return (
        _mode == "forward"
        and tuple(strides) == (1, 1)
        and padding == "same"
        and tuple(dilation_rate) == (1, 1)
        and groups == 1
        and kernel_size[0] % 2 == 1
        and kernel_size[1] % 2 == 1
    )


def same_conv2d(x, w):
    """`tf.nn.conv2d(x, w, 1, "SAME")` with both gradients computed as forward convolutions.

    Args:
      x: [N, H, W, C_in] input.
      w: [kh, kw, C_in, C_out] kernel with odd kh and kw.
    """

    @tf.custom_gradient
    def conv(x, w):
        def grad(dy):  # dy: [N, H, W, C_out]
            kh, kw = w.shape[0], w.shape[1]
            w_flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2])  # [kh, kw, C_out, C_in]
            dx = tf.nn.conv2d(dy, w_flipped, 1, "SAME")
            x_padded = tf.pad(x, [[0, 0], [kh // 2, kh // 2], [kw // 2, kw // 2], [0, 0]])
            # The batch becomes the channel axis: [C_in, H+kh-1, W+kw-1, N] ⋆ [H, W, N, C_out].
            dw = tf.nn.conv2d(
                tf.transpose(x_padded, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "VALID"
            )  # [C_in, kh, kw, C_out]
            return dx, tf.transpose(dw, [1, 2, 0, 3])

        return tf.nn.conv2d(x, w, 1, "SAME"), grad

    return conv(tf.convert_to_tensor(x), tf.convert_to_tensor(w))
