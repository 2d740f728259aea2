"""The SimCLRv2 recipe (Chen et al. 2020) as one experiment: SimCLR with a 3-layer projection
head, fine-tuning from the head's first layer on the labeled split, then distillation of that
teacher into a student on the unlabeled images."""

import copy
import dataclasses
import os

import tensorflow as tf

from tfssl import configs
from tfssl.losses.contrastive import at_least_float32
from tfssl.methods.builders import build_encoder
from tfssl.methods.registry import register_method
from tfssl.semi.base import SemiSupervisedModel, build_class_head
from tfssl.semi.consistency import soft_cross_entropy

# SimCLRv2's projection head: 3 layers; fine-tuning starts from its first (Dense-BN-ReLU).
PROJECTION_LAYERS = 3


def pretrain_config(config):
    """Stage 1: the SimCLR experiment `task.pretrain_experiment` with a 3-layer projection head
    whose hidden width is `task.head_hidden_dim`, on this run's backbone, training source (and
    image size) and runtime, for `task.pretrain_steps` steps of `task.pretrain_batch_size` images
    (0: the experiment's)."""
    task = config.task
    pretrain = configs.get_experiment(task.pretrain_experiment)
    pretrain.task.model.backbone = copy.deepcopy(task.model.backbone)
    head = pretrain.task.model.projection_head
    head.num_layers, head.hidden_dim = PROJECTION_LAYERS, task.head_hidden_dim
    fields = ("source", "tfds_name", "split", "path", "image_size")
    source = {f: getattr(task.train_data, f) for f in fields}
    if task.pretrain_batch_size:
        source["global_batch_size"] = task.pretrain_batch_size
    pretrain.task.train_data = dataclasses.replace(pretrain.task.train_data, **source)
    pretrain.task.eval_data = copy.deepcopy(task.eval_data)
    pretrain.runtime = copy.deepcopy(config.runtime)
    if task.pretrain_steps:
        pretrain.trainer.train_steps = task.pretrain_steps
    return pretrain.validate()


def finetune_stage_config(config):
    """Stage 2: `task.finetune_experiment` (a labels-only recipe) on this run's labels, backbone,
    data and runtime, with the class head Dense-BN-ReLU(`head_hidden_dim`) → linear."""
    from tfssl.evaluation.finetune import finetune_config

    task = config.task
    finetune = finetune_config(
        config,
        task.labeled.fraction,
        task.num_classes,
        task.finetune_steps or None,
        recipe=task.finetune_experiment,
    )
    finetune.task.labeled = copy.deepcopy(task.labeled)
    finetune.task.head_hidden_dim = task.head_hidden_dim
    return finetune.validate()


def from_projection_head(pretrained):
    """An `initialize` for the fine-tuning stage: the encoder and the class head's first layer
    (Dense and BN) from the pretrained SimCLR model, the head's linear layer zero, as SimCLRv2's
    `head_supervised`."""

    def initialize(model):
        model.encoder.set_weights(pretrained.encoder.get_weights())
        for layer in ("dense1", "bn1"):
            source = pretrained.projection_head.get_layer(layer)
            model.classifier.get_layer(layer).set_weights(source.get_weights())
        last = model.classifier.get_layer("dense2")
        last.set_weights([tf.zeros_like(w) for w in last.get_weights()])
        model.reset_teachers()

    return initialize


@register_method("simclrv2")
class SimCLRv2(SemiSupervisedModel):
    """The distillation stage: a student (encoder + linear head, from scratch) learns
    softmax(teacher(u)/τ) on the weak view of every unlabeled image, −Σ_y P^T(y|u; τ) log
    P^S(y|u; τ), plus `labeled_weight` × the CE of the labeled images (0: the paper's
    distillation loss alone). The teacher is the fine-tuned network of stage 2 (its evaluation
    weights), frozen and run in inference mode.

    `earlier_stages` trains stage 1 under `model_dir/pretrain` and stage 2 under
    `model_dir/finetune` (each resumed or reused when already there); evaluation reports the
    student (`class_logits`) and the teacher (`other_classifiers`).
    """

    components = SemiSupervisedModel.components + ("teacher_encoder", "teacher_classifier")
    options = SemiSupervisedModel.options + ("distill_temperature", "labeled_weight")

    def __init__(
        self,
        *args,
        teacher_encoder=None,
        teacher_classifier=None,
        distill_temperature=1.0,
        labeled_weight=0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.teacher_encoder = teacher_encoder
        self.teacher_classifier = teacher_classifier
        self.teacher_encoder.trainable = False
        self.teacher_classifier.trainable = False
        self.distill_temperature = distill_temperature
        self.labeled_weight = labeled_weight

    @classmethod
    def components_from_config(cls, task_config):
        """A student with a linear head, and the teacher: encoder and the fine-tuned head."""
        student = super().components_from_config(
            dataclasses.replace(task_config, head_hidden_dim=0)
        )
        backbone = task_config.model.backbone
        teacher_encoder = build_encoder(backbone, name=f"teacher_{backbone.type}")
        teacher_classifier = build_class_head(
            teacher_encoder.output_shape[-1], task_config, backbone, "teacher_classifier"
        )
        return {
            **student,
            "teacher_encoder": teacher_encoder,
            "teacher_classifier": teacher_classifier,
        }

    def earlier_stages(self, config, model_dir, strategy):
        """Pretrains SimCLR, fine-tunes the teacher from its projection head, and returns an
        `initialize` that loads the teacher's evaluation weights."""
        from tfssl.training.trainer import train

        pretrained, _ = train(
            pretrain_config(config), os.path.join(model_dir, "pretrain"), strategy
        )
        teacher, _ = train(
            finetune_stage_config(config),
            os.path.join(model_dir, "finetune"),
            strategy,
            initialize=from_projection_head(pretrained),
        )

        def initialize(model):
            model.teacher_encoder.set_weights(teacher.evaluation_encoder.get_weights())
            model.teacher_classifier.set_weights(teacher.evaluation_classifier.get_weights())

        return initialize

    def teacher_logits(self, images):
        return self.teacher_classifier(self.teacher_encoder(images, training=False), training=False)

    def unsupervised_loss(self, batch, training):
        del training
        temperature = self.distill_temperature
        images = batch.views[0]
        targets = tf.nn.softmax(at_least_float32(self.teacher_logits(images)) / temperature)
        student = at_least_float32(batch.logits[0]) / temperature
        return soft_cross_entropy(tf.stop_gradient(targets), student), {}

    def compute_batch_loss(self, data, training):
        """`labeled_weight` · CE(labeled) + ramp · unsup_weight · distillation."""
        _, logs = super().compute_batch_loss(data, training)
        supervised = logs["supervised_loss"]
        loss = self.labeled_weight * supervised + logs["unsup_weight"] * logs["unsupervised_loss"]
        return loss, logs

    def other_classifiers(self):
        """The teacher beside the student: {"teacher": (encoder, class_logits)}."""
        return {
            "teacher": (
                self.teacher_encoder,
                lambda features: self.teacher_classifier(features, training=False),
            )
        }
