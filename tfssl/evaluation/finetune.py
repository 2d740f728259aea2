"""Semi-supervised fine-tuning: the whole encoder plus a new linear head trained on a
class-balanced fraction of the train labels, scored on the test split."""

import keras
import numpy as np
import tensorflow as tf

from tfssl.data import preprocess_for_eval


def labelled_dataset(source, indices, image_size, batch_size, seed=0):
    """Shuffled, repeated `(image, label)` batches of the examples of `source` at `indices`."""
    keep = np.zeros(int(np.max(indices)) + 1, bool)
    keep[indices] = True
    keep, last = tf.constant(keep), len(keep) - 1
    ds = source.enumerate().filter(
        lambda i, e: tf.logical_and(i <= last, tf.gather(keep, tf.minimum(i, last)))
    )
    ds = ds.map(lambda i, e: (preprocess_for_eval(e["image"], image_size), e["label"]))
    ds = ds.cache().shuffle(len(indices), seed=seed, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def finetune(encoder, train_batches, test_dataset, num_classes, steps, learning_rate=1e-3):
    """Trains encoder + Dense(num_classes) with Adam on `train_batches` for `steps` steps, in
    the current strategy scope, and returns test top-1 on `test_dataset` of `{"image", "label"}`."""
    inputs = keras.Input(shape=encoder.input_shape[1:])
    logits = keras.layers.Dense(num_classes, name="finetune_head")(encoder(inputs))
    classifier = keras.Model(inputs, logits)
    classifier.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    classifier.fit(train_batches, steps_per_epoch=steps, epochs=1, verbose=0)
    correct = total = 0
    for batch in test_dataset:
        predictions = np.argmax(classifier(batch["image"], training=False), axis=1)
        correct += int(np.sum(predictions == np.asarray(batch["label"])))
        total += len(predictions)
    return correct / total
