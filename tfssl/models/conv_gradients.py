"""Convolutions whose gradients are computed as forward convolutions (CPU speed).

On CPU, TensorFlow's `Conv2DBackpropInput` and `Conv2DBackpropFilter` kernels run several times
slower than `Conv2D` for the same FLOPs (measured on this repository's 2-core benchmark machine:
backprop-input 6×, backprop-filter 4× the forward time of a CIFAR ResNet-18). Both gradients of a
stride-1 "same" convolution with an odd kernel are themselves convolutions:

  dx = conv(dy, flip(w) with in/out channels swapped, "same")
  dw = conv(pad(x) laid out [C_in, H, W, N], dy laid out [H, W, N, C_out], "valid")  (maps up
       to 16×16; TF's kernel is faster on larger ones)

so computing them with the forward kernel gives the same numbers, faster. The input gradient of
a strided "valid" convolution is one forward convolution too, after a polyphase split
(`strided_valid_conv2d`). The mode is global, like Keras' mixed-precision policy:
`set_mode("forward")` on a CPU running TensorFlow's Eigen kernels, `"native"` (TensorFlow's own
gradient kernels) with oneDNN, cuDNN or on TPU, where they are the fast ones.
"""

import tensorflow as tf

MODES = ("native", "forward")
# Above this many pixels per map TF's own kernel gradient is faster than the forward-conv one
# (its [H, W] "kernel" gets large): 304 vs 372 ms at 32×32×64, 224 vs 199 ms at 16×16×128,
# batch 256, on the 2-core benchmark machine.
_MAX_FORWARD_DW_AREA = 16 * 16
_mode = "native"


def set_mode(mode):
    """Selects how the convolutions of `applies` differentiate; read when a function is traced."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"conv gradient mode must be one of {MODES}, got {mode!r}")
    _mode = mode


def resolve_mode(setting, on_cpu, onednn=None):
    """`auto` → `forward` on CPU without oneDNN, else `native`; other settings pass through.

    With oneDNN's kernels (`TF_ENABLE_ONEDNN_OPTS=1`, set when tfssl is imported) TensorFlow's
    own gradients are the faster ones on CPU too: 14.6-16.0 vs 13.2-14.5 img/s with forward-conv
    gradients, CIFAR ResNet-18 SimCLR step, batch 128, under a concurrent run. `onednn` None
    reads the process' state.
    """
    if setting == "auto":
        onednn = onednn_enabled() if onednn is None else onednn
        return "forward" if on_cpu and not onednn else "native"
    return setting


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (`TF_ENABLE_ONEDNN_OPTS`,
    read when TensorFlow is imported; on by default only on some CPUs)."""
    from tensorflow.python.util import _pywrap_util_port  # no public API exposes this

    return bool(_pywrap_util_port.IsMklEnabled())


def applies(kernel_size, strides, padding, dilation_rate, groups):
    """Whether a Conv2D's settings are a case handled here: stride-1 "same" with an odd kernel
    (`same_conv2d`), or square-strided "valid" (`strided_valid_conv2d`)."""
    if _mode != "forward" or tuple(dilation_rate) != (1, 1) or groups != 1:
        return False
    if tuple(strides) == (1, 1):
        return padding == "same" and kernel_size[0] % 2 == 1 and kernel_size[1] % 2 == 1
    return padding == "valid" and strides[0] == strides[1]


def conv2d(x, w, strides, padding):
    """The convolution of a Conv2D for which `applies(...)` holds."""
    if tuple(strides) == (1, 1):
        return same_conv2d(x, w)
    return strided_valid_conv2d(x, w, strides[0])


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
            if x.shape[1] * x.shape[2] > _MAX_FORWARD_DW_AREA:
                dw = tf.raw_ops.Conv2DBackpropFilter(
                    input=x, filter_sizes=tf.shape(w), out_backprop=dy,
                    strides=[1, 1, 1, 1], padding="SAME",
                )
                return dx, dw
            x_padded = tf.pad(x, [[0, 0], [kh // 2, kh // 2], [kw // 2, kw // 2], [0, 0]])
            # The batch becomes the channel axis: [C_in, H+kh-1, W+kw-1, N] ⋆ [H, W, N, C_out].
            dw = tf.nn.conv2d(
                tf.transpose(x_padded, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "VALID"
            )  # [C_in, kh, kw, C_out]
            return dx, tf.transpose(dw, [1, 2, 0, 3])

        return tf.nn.conv2d(x, w, 1, "SAME"), grad

    return conv(tf.convert_to_tensor(x), tf.convert_to_tensor(w))


def _phase_taps(kernel_size, stride):
    """Polyphase split of a strided convolution's input gradient along one axis.

    With y[i] = Σ_k x[s·i + k]·w[k], input position m = s·p + r receives dy[p + d]·w[k] for
    every tap k with s·d = r - k. Returns (first offset d_min, [s][T] tap indices), where entry
    [r][t] is the k paired with d = d_min + t, or `kernel_size` (a zero tap) when there is none.
    """
    offsets = {
        (r, (r - k) // stride): k
        for r in range(stride)
        for k in range(kernel_size)
        if (r - k) % stride == 0
    }
    d_min = min(d for _, d in offsets)
    d_max = max(d for _, d in offsets)
    taps = [
        [offsets.get((r, d), kernel_size) for d in range(d_min, d_max + 1)] for r in range(stride)
    ]
    return d_min, taps


def strided_valid_conv2d(x, w, stride):
    """`tf.nn.conv2d(x, w, stride, "VALID")` whose input gradient is one forward convolution.

    The input gradient of a stride-s convolution splits into s² phases (input rows and columns
    of each residue mod s); each phase is a small stride-1 convolution of dy with a subset of the
    taps, so one convolution with all phases as output channels, then depth_to_space, gives
    it without TensorFlow's slow strided backprop-input kernel. The kernel gradient keeps TF's.

    Args:
      x: [N, H, W, C_in] input (already padded; "valid" convolution).
      w: [kh, kw, C_in, C_out] kernel.
      stride: the stride of both spatial axes.
    """

    @tf.custom_gradient
    def conv(x, w):
        def grad(dy):  # dy: [N, Ho, Wo, C_out]
            kh, kw, c_in, c_out = w.shape
            d_h, taps_h = _phase_taps(kh, stride)
            d_w, taps_w = _phase_taps(kw, stride)
            t_h, t_w = len(taps_h[0]), len(taps_w[0])
            w_padded = tf.pad(w, [[0, 1], [0, 1], [0, 0], [0, 0]])  # index kh / kw is a zero tap
            rows = tf.gather(w_padded, taps_h, axis=0)  # [s, T_h, kw+1, C_in, C_out]
            phases = tf.gather(rows, taps_w, axis=2)  # [s, T_h, s, T_w, C_in, C_out]
            # Kernel [T_h, T_w, C_out, (r_h, r_w, C_in)], the channel order of depth_to_space.
            kernel = tf.reshape(
                tf.transpose(phases, [1, 3, 5, 0, 2, 4]), [t_h, t_w, c_out, stride * stride * c_in]
            )
            height, width = x.shape[1], x.shape[2]
            p_h, p_w = -(-height // stride), -(-width // stride)  # positions per phase
            dy_padded = tf.pad(dy, [
                [0, 0],
                [-d_h, p_h + t_h - 1 + d_h - dy.shape[1]],
                [-d_w, p_w + t_w - 1 + d_w - dy.shape[2]],
                [0, 0],
            ])
            dx = tf.nn.conv2d(dy_padded, kernel, 1, "VALID")  # [N, P_h, P_w, s²·C_in]
            dx = tf.nn.depth_to_space(dx, stride)  # [N, s·P_h, s·P_w, C_in]
            dw = tf.raw_ops.Conv2DBackpropFilter(
                input=x, filter_sizes=tf.shape(w), out_backprop=dy,
                strides=[1, stride, stride, 1], padding="VALID",
            )
            return dx[:, :height, :width], dw

        return tf.nn.conv2d(x, w, stride, "VALID"), grad

    return conv(tf.convert_to_tensor(x), tf.convert_to_tensor(w))
