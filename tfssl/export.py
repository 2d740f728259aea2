"""Export of a trained model as a SavedModel for serving (no tfssl needed to load it)."""

import keras
import tensorflow as tf

from tfssl.data import preprocess_for_eval


def has_class_head(model):
    """Whether `model.class_logits` gives class logits (it returns None when there is no head)."""
    dim = model.evaluation_encoder.output_shape[-1]
    return model.class_logits(tf.zeros([1, dim])) is not None


def export_model(model, export_dir, image_size):
    """Writes a SavedModel whose `serving_default` maps uint8 images [N, H, W, 3] of any size
    (resized and scaled as in evaluation) to `{"embeddings": [N, D]}` from
    `model.evaluation_encoder` (the EMA weights of the methods that evaluate with them), plus
    `"logits": [N, C]` from `model.class_logits` when the method has a class head (its pretext
    heads, e.g. RotNet's rotation scores, are not exported)."""
    encoder = model.evaluation_encoder
    with_logits = has_class_head(model)
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(images):
        features = encoder(preprocess_for_eval(images, image_size), training=False)
        outputs = {"embeddings": tf.cast(features, tf.float32)}
        if with_logits:
            outputs["logits"] = tf.cast(model.class_logits(features), tf.float32)
        return outputs

    archive.add_endpoint(
        "serving_default",
        serve,
        input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")],
    )
    archive.write_out(export_dir)
    return export_dir
