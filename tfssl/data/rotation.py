"""RotNet's pretext input: every image at the four right-angle rotations, labelled by angle."""

import tensorflow as tf

NUM_ROTATIONS = 4


def rotate_batch(images):
    """All four rotations of a batch of square images, rotation-major.

    Args:
      images: [b, S, S, C].

    Returns:
      (rotated [4b, S, S, C], labels int32 [4b]): rows r·b … (r+1)·b − 1 are the images rotated
      by r·90° counter-clockwise, with label r.
    """
    rotated = tf.concat([tf.image.rot90(images, k=r) for r in range(NUM_ROTATIONS)], axis=0)
    labels = tf.repeat(tf.range(NUM_ROTATIONS, dtype=tf.int32), tf.shape(images)[0])
    return rotated, labels
