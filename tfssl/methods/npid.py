"""NPID (Wu et al., 2018): every training image is its own class, scored against a memory bank
that holds one L2-normalised embedding per image."""

import keras
import tensorflow as tf

from tfssl import losses, ops
from tfssl.data import inputs
from tfssl.losses.contrastive import at_least_float32
from tfssl.methods.base import SelfSupervisedModel
from tfssl.methods.builders import build_classifier, build_encoder
from tfssl.methods.pseudo_labels import PseudoLabelCallback, embedding_table
from tfssl.methods.registry import register_method

BANK_INITS = ("uniform", "features")


def npid_logits(embeddings, bank, temperature):
    """Non-parametric softmax logits vᵀf/τ of L2-normalised `embeddings` [b, D] against every
    row of the memory `bank` [N, D]: [b, N]."""
    embeddings = tf.math.l2_normalize(at_least_float32(embeddings), axis=-1)
    return tf.matmul(embeddings, tf.cast(bank, embeddings.dtype), transpose_b=True) / temperature


@register_method("npid")
class NPID(SelfSupervisedModel):
    """NPID with the full non-parametric softmax (the "updated model" of the authors' code, exact
    on data of the embedded set's size): cross-entropy of `npid_logits` against the image's own
    row, then v_i ← normalise(m·v_i + (1 − m)·f_i) for the batch's images (m =
    `memory_momentum`, the paper's proximal term). The bank is an `ops.ExampleMemory`: every
    replica writes the gathered rows of the global batch, so the banks stay equal across
    replicas and equal one device's. With `bank_init` "uniform" the rows start uniform in
    ±1/√(D/3), norm ≈ 1, as the paper; with "features" they start as the initial network's
    embeddings of the un-augmented training images (computed before the first step), so that an
    image's positive means something from the first step on rather than after its first visit,
    which matters on runs of a few epochs.

    Evaluation: the weighted kNN of the paper is `eval.py --protocol=knn`.
    """

    metric_names = ("instance_acc",)
    components = ("encoder", "embedding_head")
    options = ("temperature", "memory_momentum", "num_examples", "bank_init")

    def __init__(
        self,
        encoder,
        embedding_head,
        temperature=0.07,
        memory_momentum=0.5,
        num_examples=1,
        bank_init="uniform",
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        if bank_init not in BANK_INITS:
            raise ValueError(f"bank_init must be one of {BANK_INITS}, got {bank_init!r}")
        self.bank_init = bank_init
        self.embedding_head = embedding_head
        self.temperature = temperature
        self.memory_momentum = memory_momentum
        self.num_examples = num_examples
        dim = embedding_head.output_shape[-1]
        bound = (3.0 / dim) ** 0.5
        self.memory = ops.ExampleMemory(
            num_examples,
            (dim,),
            initializer=keras.initializers.RandomUniform(-bound, bound, seed=0),
            momentum=memory_momentum,
            normalize=True,
            name="memory_bank",
        )

    @classmethod
    def components_from_config(cls, task_config):
        encoder = build_encoder(task_config.model.backbone)
        head = build_classifier(encoder.output_shape[-1], task_config.embedding_dim, "embedding")
        return {
            "encoder": encoder,
            "embedding_head": head,
            "num_examples": inputs.source_size(task_config.train_data),
        }

    def embed(self, images, training):
        """L2-normalised embeddings [b, D] of images [b, H, W, 3]: what the bank stores."""
        features = self.embedding_head(self.encoder(images, training=training))
        return tf.math.l2_normalize(at_least_float32(features), axis=-1)

    def bank_cross_entropy(self, embeddings, index):
        """(loss, accuracy) of the non-parametric softmax: cross-entropy of `npid_logits` of
        normalised `embeddings` [b, D] against every bank row, each row's target its own image's
        row `index` [b]; means over the global batch."""
        logits = npid_logits(embeddings, self.memory.values, self.temperature)  # [b, N]
        return losses.pseudo_label_cross_entropy(index, logits)

    def compute_batch_loss(self, data, training):
        index = data["index"]
        embeddings = self.embed(data["views"][0], training)  # [b, D]
        loss, accuracy = self.bank_cross_entropy(embeddings, index)
        if training:
            self.memory.update(index, tf.stop_gradient(embeddings))
        return loss, {"instance_acc": accuracy}

    def training_callbacks(self, train_images_fn, steps_per_epoch):
        """With `bank_init` "features": fill the bank before the first step."""
        del steps_per_epoch
        if self.bank_init != "features":
            return []
        return [
            PseudoLabelCallback(
                train_images_fn, lambda step: step == 0, self.fill_memory, "filled the bank"
            )
        ]

    def fill_memory(self, dataset, step):
        """Every bank row := the current network's L2-normalised embedding of its image."""
        del step
        table = embedding_table(
            lambda images, training: self.embedding_head(self.encoder(images, training=training)),
            dataset,
        )
        self.memory.assign(table)
        return {"rows": float(len(table))}
