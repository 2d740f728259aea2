"""The model contract every method follows: its own training input, variables built from that
input's element spec, update phases with their optimizer groups, a class-head hook, and the
loss-scaling rule across replicas.

**Loss-scaling rule.** Loss functions return the global-batch loss on every replica (the
contract's replica rule). Under a `tf.distribute` strategy Keras *sums* the replicas' gradients
before applying them, and gradients flowing back through `all_gather` are themselves summed over
the replicas' losses, so each replica differentiates `loss / num_replicas`; the update then equals
the one a single device computes on the global batch.
"""

import dataclasses
from typing import Callable, Optional, Tuple

import keras
import tensorflow as tf

from tfssl.data import inputs
from tfssl.ops import distributed


def forward_views(views, fn):
    """Applies `fn` to a list of views, batching together consecutive views of one size.

    Views of equal size share one forward pass (so BN sees all of them, as in SimCLR and SwAV's
    multi-crop), which also keeps the number of kernel launches small.

    Args:
      views: list of [b, H_i, W_i, C] tensors.
      fn: a callable on [n·b, H, W, C] batches.

    Returns:
      list of fn's outputs, one per view, in order.
    """
    outputs, start = [], 0
    while start < len(views):
        end = start + 1
        while end < len(views) and views[end].shape[1:3] == views[start].shape[1:3]:
            end += 1
        group = views[start:end]
        batch = tf.concat(group, axis=0)  # [(end - start)·b, H, W, C]
        outputs.extend(tf.split(fn(batch), [tf.shape(v)[0] for v in group], axis=0))
        start = end
    return outputs


def project_views(views, encoder, projector, training):
    """Projections g(f(v)) of each view, the views of one size sharing a forward pass."""
    return forward_views(
        views, lambda x: projector(encoder(x, training=training), training=training)
    )


@dataclasses.dataclass(frozen=True)
class OptimizerGroup:
    """Variables updated by one optimizer.

    Args:
      name: the group's name; "main" is the model's compiled `optimizer`, any other name gets an
        optimizer of its own (checkpointed as `optimizer_<name>`).
      variables: a no-argument callable returning the group's variables.
      learning_rate: overrides of the task's `learning_rate` config for this group (e.g.
        SimSiam's predictor: `{"type": "constant", "warmup_steps": 0}`).
      optimizer: overrides of the task's `optimizer` config for this group.
    """

    name: str
    variables: Callable[[], list]
    learning_rate: Optional[dict] = None
    optimizer: Optional[dict] = None


@dataclasses.dataclass(frozen=True)
class UpdatePhase:
    """One gradient step inside a training step: a loss under its own tape, differentiated with
    respect to its groups' variables, each group applied by its optimizer.

    Args:
      name: "main" logs its loss as `loss`, another phase as `<name>_loss` (list that name in
        the method's `metric_names`).
      loss: (data, training) → (global loss scalar, dict of named scalars).
      groups: the optimizer groups this phase updates.
    """

    name: str
    loss: Callable
    groups: Tuple[OptimizerGroup, ...]


def _spec_config(element_spec):
    """A JSON-able description of a (nested) element spec, for `.keras` files."""
    return tf.nest.map_structure(
        lambda s: {"shape": s.shape.as_list(), "dtype": s.dtype.name}, element_spec
    )


def _spec_from_config(config):
    is_leaf = lambda x: isinstance(x, dict) and set(x) == {"shape", "dtype"}  # noqa: E731
    if is_leaf(config):
        return tf.TensorSpec(config["shape"], config["dtype"])
    if isinstance(config, dict):
        return {k: _spec_from_config(v) for k, v in config.items()}
    return tuple(_spec_from_config(v) for v in config)


def multiview_spec(view_sizes):
    """The element spec of the default training stream: `{"views": one [b, S, S, 3] float32 per
    view size, "index": int64 [b]}`."""
    return {
        "views": tuple(tf.TensorSpec([None, size, size, 3], tf.float32) for size in view_sizes),
        "index": tf.TensorSpec([None], tf.int64),
    }


class _GroupOptimizers(dict):
    """Optimizers of the non-main groups. A plain container on purpose: Keras' `.keras` saving and
    TF's object tracking do not descend into it; the trainer checkpoints each one explicitly."""


class SelfSupervisedModel(keras.Model):
    """The base Keras model of every method; subclasses implement `compute_pretext_loss` (or
    override `compute_batch_loss` / `update_phases`).

    Calling the model returns encoder features, so a trained model serves as a feature extractor.
    `metric_names` lists the extra scalars (besides `loss`) that the phases report.

    Constructor arguments are of two kinds, declared per class so that one `from_task_config`
    and one `get_config` serve every method: `components`, the Keras models it is built from
    (serialised as such), and `options`, plain values stored under the same attribute names.
    `from_task_config` takes the components (and any option derived from more than one config
    field) from `components_from_config` and every other option from the task config field of
    the same name.
    """

    metric_names = ()
    components = ("encoder",)
    options = ()
    # Rows of the zero batch `build_from_spec` runs through the phases (MoCo's shuffle BN needs
    # at least as many rows as sub-batches).
    build_batch_size = 2

    def __init__(self, encoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.total_steps = 1
        self._teachers = []
        self._group_optimizers = _GroupOptimizers()
        self._built_spec = None
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in ("loss",) + tuple(self.metric_names)
        }

    # ---- construction and serialisation -------------------------------------------------------

    @classmethod
    def components_from_config(cls, task_config):
        """The Keras components built from `task_config` (and options derived from it)."""
        raise NotImplementedError

    @classmethod
    def from_task_config(cls, task_config):
        """The model of a task config: see the class docstring."""
        arguments = cls.components_from_config(task_config)
        for option in cls.options:
            if option not in arguments:
                arguments[option] = getattr(task_config, option)
        return cls(**arguments, name=task_config.method)

    def get_config(self):
        """Components serialised, options as stored, so that a `.keras` file reloads."""
        config = {"name": self.name, "trainable": self.trainable}
        for component in self.components:
            config[component] = keras.saving.serialize_keras_object(getattr(self, component))
        for option in self.options:
            config[option] = getattr(self, option)
        return config

    @classmethod
    def from_config(cls, config):
        """Inverse of `get_config`: every serialised Keras object in it is rebuilt first."""
        nested = lambda v: isinstance(v, dict) and "class_name" in v and "config" in v  # noqa: E731
        return cls(
            **{
                k: keras.saving.deserialize_keras_object(v) if nested(v) else v
                for k, v in config.items()
            }
        )

    def get_build_config(self):
        return (
            None if self._built_spec is None else {"element_spec": _spec_config(self._built_spec)}
        )

    def build_from_config(self, config):
        if config and "element_spec" in config:
            self.build_from_spec(_spec_from_config(config["element_spec"]))

    # ---- the model contract --------------------------------------------------------------------

    def call(self, images, training=False):
        return self.encoder(images, training=training)

    def build_inputs(self, data_config, seed):
        """A `fn(input_context)` → per-replica training batches, for
        `strategy.distribute_datasets_from_function`. The default is the multi-view stream of
        `data_config` with each example's source `"index"`; methods that read other inputs
        (labeled and unlabeled streams, tiles, per-replica filters) override it."""
        source, _ = inputs.build_source(data_config, with_index=True)
        return inputs.train_input_fn(source, data_config, seed)

    def build_from_spec(self, element_spec):
        """Creates every variable by running each phase's loss once on zeros shaped like one
        training batch (`element_spec`, batch axis unknown), then starts the EMA teachers as
        copies of their online networks, so that optimizers and checkpoints see the whole model
        before training."""
        zeros = tf.nest.map_structure(
            lambda s: tf.zeros([self.build_batch_size, *s.shape[1:]], s.dtype), element_spec
        )
        for phase in self.update_phases():
            phase.loss(zeros, training=False)
        self.reset_teachers()
        self._built_spec = element_spec
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Skips Keras' build-on-first-batch once `build_from_spec` has built the model.

        Keras draws a batch and averages it across replicas before `fit` to build an unbuilt
        model; `MultiWorkerMirroredStrategy` cannot reduce a nested batch, so that step fails
        there, and a built model has nothing left to build anyway.
        """
        if not self.built:
            super()._maybe_symbolic_build(iterator, data_batch)

    def build_for_views(self, view_sizes):
        """`build_from_spec` of the default multi-view stream with views of these sizes."""
        self.build_from_spec(multiview_spec(view_sizes))

    def add_teacher(self, teacher):
        """Registers an `ops.EMATeacher`: copied from its online networks at build, updated after
        every optimizer step."""
        self._teachers.append(teacher)
        return teacher

    def earlier_stages(self, config, model_dir, strategy):
        """Runs the stages a method's recipe trains before this model (none by default) under
        `model_dir`, and returns an `initialize(model)` that loads their result, or None. Called
        by the trainer for a new run only; a stage already trained there is resumed or reused."""
        del config, model_dir, strategy
        return None

    def reset_teachers(self):
        """Restarts every EMA teacher as a copy of its online networks (after weights were loaded
        into them, e.g. fine-tuning from a pretrained encoder)."""
        for teacher in self._teachers:
            teacher.copy_online()

    def update_phases(self):
        """The phases of one training step; the default is one phase, `compute_batch_loss`
        against every trainable variable with the main optimizer."""
        return [
            UpdatePhase(
                "main",
                self.compute_batch_loss,
                (OptimizerGroup("main", lambda: self.trainable_variables),),
            )
        ]

    def phase_with_own_group(self, layer, name, **overrides):
        """One `main` phase in which `layer`'s variables form the optimizer group `name` (with
        the learning-rate / optimizer `overrides` of `OptimizerGroup`) and every other trainable
        variable the main group: a sub-network that needs its own step size or optimizer."""
        own = {id(v) for v in layer.trainable_variables}
        return [
            UpdatePhase(
                "main",
                self.compute_batch_loss,
                (
                    OptimizerGroup(
                        "main", lambda: [v for v in self.trainable_variables if id(v) not in own]
                    ),
                    OptimizerGroup(name, lambda: layer.trainable_variables, **overrides),
                ),
            )
        ]

    def optimizer_groups(self):
        """Every optimizer group of every phase, in order, without repeats."""
        groups = {}
        for phase in self.update_phases():
            for group in phase.groups:
                groups.setdefault(group.name, group)
        return list(groups.values())

    def set_group_optimizers(self, optimizers):
        """Optimizers of the non-main groups, by group name (the main one is `compile`'s)."""
        self._group_optimizers.clear()
        self._group_optimizers.update(optimizers)

    @property
    def group_optimizers(self):
        return dict(self._group_optimizers)

    def optimizer_of(self, group_name):
        """The group's own optimizer, else the compiled one."""
        return self._group_optimizers.get(group_name, self.optimizer)

    @property
    def step(self):
        """The number of training steps taken (the main optimizer's iterations; 0 before
        `compile`)."""
        optimizer = getattr(self, "optimizer", None)
        return tf.constant(0, tf.int64) if optimizer is None else optimizer.iterations

    def compute_pretext_loss(self, views, training):
        """Returns (global loss scalar, dict of named scalars) for a list of view batches."""
        raise NotImplementedError

    def compute_batch_loss(self, data, training):
        """The loss of one training batch; methods whose loss needs more than the views (e.g.
        DeepCluster's per-image pseudo-labels, looked up by `data["index"]`) override it."""
        return self.compute_pretext_loss(list(data["views"]), training)

    @property
    def evaluation_encoder(self):
        """The encoder that evaluation, probes and export read: `encoder`, unless the method
        evaluates with other weights (the EMA of the semi-supervised methods)."""
        return self.encoder

    def class_logits(self, features):
        """Class logits [N, C] of `evaluation_encoder` features [N, D] from the method's own class head, or
        None when it has none; evaluation (`--protocol=classifier`) and export (`"logits"`) use
        this hook only."""
        del features
        return None

    def cluster_logits(self, features):
        """The method's own cluster scores [N, K] of encoder features [N, D] (SwAV's prototypes,
        DeepCluster's classifier, ...), or None when it has no cluster head; `eval.py
        --protocol=clustering` reports the head's argmax assignments when there is one."""
        del features
        return None

    def after_update(self):
        """Hook run after the optimizer steps and the teachers' EMA (prototype normalisation)."""

    def set_total_steps(self, total_steps):
        """Called by the trainer before `fit`: schedules over the whole run (EMA momentum) read it."""
        self.total_steps = int(total_steps)

    def transform_gradients(self, gradients, variables):
        """Hook on this replica's gradients of one phase before the optimizers sum and apply them
        (clipping, freezing); the default leaves them unchanged."""
        del variables
        return gradients

    def training_callbacks(self, train_images_fn, steps_per_epoch):
        """Keras callbacks the method needs during `fit` (e.g. DeepCluster's reclustering).

        Args:
          train_images_fn: returns the un-augmented training set in source order, as batches of
            `{"image", "label"}` (rows line up with `data["index"]`).
          steps_per_epoch: optimizer steps per pass over the training set.
        """
        del train_images_fn, steps_per_epoch
        return []

    # ---- the training step -------------------------------------------------------------------

    def _run_phase(self, phase, data):
        """One tape over `phase.loss`, each group's gradients applied by its optimizer."""
        group_variables = [list(group.variables()) for group in phase.groups]
        variables = [v for group in group_variables for v in group]
        scaler = self.optimizer_of(phase.groups[0].name)
        with tf.GradientTape() as tape:
            loss, logs = phase.loss(data, training=True)
            replica_loss = loss / distributed.num_replicas()
            if isinstance(scaler, keras.optimizers.LossScaleOptimizer):
                replica_loss = scaler.scale_loss(replica_loss)
        gradients = tape.gradient(replica_loss, variables)
        gradients = self.transform_gradients(gradients, variables)
        start = 0
        for group, group_vars in zip(phase.groups, group_variables):
            end = start + len(group_vars)
            self.optimizer_of(group.name).apply(gradients[start:end], group_vars)
            start = end
        loss_name = "loss" if phase.name == "main" else f"{phase.name}_loss"
        return {loss_name: loss, **logs}

    def train_step(self, data):
        logs = {}
        for phase in self.update_phases():
            logs.update(self._run_phase(phase, data))
        for teacher in self._teachers:
            # The optimizer has just counted the step it applied: that step is step − 1.
            teacher.update(self.step - 1, self.total_steps)
        self.after_update()
        for name, value in logs.items():
            self._trackers[name].update_state(value)
        results = {name: tracker.result() for name, tracker in self._trackers.items()}
        if distributed.spans_workers():
            # Keras averages multi-worker logs along axis 0, which a scalar lacks; every
            # replica's value is the global one, so shape [1] averages to the same scalar.
            results = {name: tf.reshape(value, [1]) for name, value in results.items()}
        return results
