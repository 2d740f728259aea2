"""DeepCluster experiments: a quick run on the embedded dataset and the paper's ImageNet setting."""

from dataclasses import dataclass

from tfssl.configs import base, common, pretext
from tfssl.configs.registry import register_experiment, register_task


@dataclass
class ReclusteringTaskConfig(base.TaskConfig):
    """The k-means settings of DeepCluster and DeeperCluster (`ReclusteringModel`): the PCA
    dimension, Lloyd iterations and the steps between clusterings (0: once per epoch)."""

    pca_dim: int = 256
    kmeans_iterations: int = 20
    recluster_every_steps: int = 0

    def validate(self, path="task"):
        super().validate(path)
        if self.pca_dim < 1 or self.kmeans_iterations < 1 or self.recluster_every_steps < 0:
            raise base.ConfigError(
                f"{path}: need pca_dim >= 1, kmeans_iterations >= 1, recluster_every_steps >= 0"
            )


@register_task("deepcluster")
@dataclass
class DeepClusterTaskConfig(ReclusteringTaskConfig):
    """DeepCluster's fields: k, the PCA dimension, Lloyd iterations and the steps between
    clusterings (0: once per epoch). Pseudo-labels are stored per image of the training source
    (`tfssl.data.inputs.source_size`)."""

    method: str = "deepcluster"
    num_clusters: int = 10000

    def validate(self, path="task"):
        super().validate(path)
        if self.num_clusters < 2:
            raise base.ConfigError(f"{path}.num_clusters must be >= 2")


@register_experiment("deepcluster_embedded")
def deepcluster_embedded():
    """Width-0.25 CIFAR ResNet-18 on the 11,504 embedded digits: k=100 (10× the classes), PCA to
    64 of the 128 feature dims, reclustered every epoch (89 steps of 128), 4 epochs, AdamW.
    The backbone sees Sobel responses, as in the paper, so k-means cannot group the digits by
    background grey level: in a random encoder's RGB features the first principal component
    holds 92% of the variance and follows the background level (|r| = 0.85). Each image is
    standardised before the Sobel filter, which also removes its contrast, the cue the Sobel
    responses still carry: with Sobel alone the probe ended below random init (25.6% vs 28.0%)."""
    task = DeepClusterTaskConfig(
        num_clusters=100,
        pca_dim=64,
        **pretext.embedded_clustering_setup(global_batch_size=128, base_learning_rate=1e-3),
    )
    return common.embedded_experiment(task, train_steps=4 * 89)


@register_experiment("deepcluster_imagenet")
def deepcluster_imagenet():
    """DeepCluster on ImageNet: k=10000, PCA to 256, reclustered every epoch, SGD (momentum 0.9)
    lr 0.05, wd 1e-5, batch 256, 500 epochs, Sobel-filtered input. Approximations: ResNet-50
    instead of AlexNet (a linear classifier instead of the MLP with dropout) and loss weights
    instead of the uniform sampler."""
    task = DeepClusterTaskConfig(
        num_clusters=10000,
        pca_dim=256,
        model=pretext.resnet50_backbone(sobel=True),
        **pretext.imagenet_data(global_batch_size=256),
        **common.sgd(base_learning_rate=0.05, weight_decay=1e-5, type="constant"),
    )
    return common.imagenet_experiment(task, epochs=500)
