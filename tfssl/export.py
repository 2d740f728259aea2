"""Export of a trained encoder as a SavedModel for serving (no tfssl needed to load it)."""

import keras
import tensorflow as tf

from tfssl.data import preprocess_for_eval


def export_encoder(encoder, export_dir, image_size):
    """Writes a SavedModel whose `serving_default` maps uint8 images [N, H, W, 3] of any size to
    `{"embeddings": [N, D]}`."""
    archive = keras.export.ExportArchive()
    archive.track(encoder)

    def serve(images):
        features = encoder(preprocess_for_eval(images, image_size), training=False)
        return {"embeddings": tf.cast(features, tf.float32)}

    archive.add_endpoint(
        "serving_default", serve, input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")]
    )
    archive.write_out(export_dir)
    return export_dir
