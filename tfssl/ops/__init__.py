"""Distributed and numerical ops shared by the methods."""

from tfssl.ops.distributed import (
    all_gather,
    all_reduce_max,
    all_reduce_mean,
    all_reduce_sum,
    global_batch_size,
    global_mean,
    global_offset,
    global_sum,
    num_replicas,
    replica_id,
    spans_workers,
)
from tfssl.ops.ema import EMATeacher, cosine_momentum, ema_update
from tfssl.ops.memory import ExampleMemory
from tfssl.ops.ramps import sigmoid_rampup
from tfssl.ops.clustering import hierarchical_kmeans, kmeans
from tfssl.ops.queue import FeatureQueue
from tfssl.ops.shuffle_bn import shuffle_permutation, shuffled_forward, split_forward
from tfssl.ops.sinkhorn import sinkhorn

__all__ = [
    "EMATeacher",
    "ExampleMemory",
    "FeatureQueue",
    "all_gather",
    "all_reduce_max",
    "all_reduce_mean",
    "all_reduce_sum",
    "cosine_momentum",
    "ema_update",
    "global_batch_size",
    "global_mean",
    "global_offset",
    "global_sum",
    "hierarchical_kmeans",
    "kmeans",
    "num_replicas",
    "replica_id",
    "shuffle_permutation",
    "sigmoid_rampup",
    "shuffled_forward",
    "sinkhorn",
    "split_forward",
]
