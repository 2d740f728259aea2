"""Export of a trained encoder as a SavedModel for serving (no tfssl needed to load it)."""

import keras
import tensorflow as tf

from tfssl.data import preprocess_for_eval


def export_encoder(encoder, export_dir, image_size, classifier=None):
    """Writes a SavedModel whose `serving_default` maps uint8 images [N, H, W, 3] of any size
    (resized and scaled as in evaluation) to `{"embeddings": [N, D]}`, plus `"logits": [N, C]`
    when a `classifier` (a Keras model from embeddings to class logits) is given."""
    archive = keras.export.ExportArchive()
    archive.track(encoder)
    if classifier is not None:
        archive.track(classifier)

    def serve(images):
        features = encoder(preprocess_for_eval(images, image_size), training=False)
        outputs = {"embeddings": tf.cast(features, tf.float32)}
        if classifier is not None:
            outputs["logits"] = tf.cast(classifier(features, training=False), tf.float32)
        return outputs

    archive.add_endpoint(
        "serving_default",
        serve,
        input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")],
    )
    archive.write_out(export_dir)
    return export_dir
