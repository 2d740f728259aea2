"""Jigsaw puzzles (Noroozi & Favaro 2016): the fixed set of tile permutations the network
classifies."""

import functools
import itertools
import math

import numpy as np

PERMUTATION_RULES = ("average", "minimum")

# Enumerating every permutation of grid² tiles is only practical up to a 3×3 grid (9! = 362 880).
_MAX_TILES = 9


@functools.lru_cache(maxsize=None)
def all_tile_permutations(num_tiles):
    """Every permutation of range(num_tiles) in lexicographic order: a read-only int8 array
    [num_tiles!, num_tiles] (cached: 3.3 MB for 9 tiles)."""
    perms = np.array(list(itertools.permutations(range(num_tiles))), dtype=np.int8)
    perms.flags.writeable = False
    return perms


def jigsaw_permutations(num_permutations, grid=3, rule="average", seed=0):
    """A set of distinct tile permutations chosen greedily to be far apart in Hamming distance.

    Starting from one permutation drawn uniformly (by `seed`), each step adds, among all
    (grid²)! permutations not yet chosen, the one whose Hamming distance to the chosen set is
    largest, ties going to the lexicographically first:
      - rule="average": the largest mean distance to the chosen set (the paper's Algorithm 1,
        "maximal Hamming distance", as in the authors' and VISSL's permutation files). It
        maximises the set's mean pairwise distance but leaves pairs at distance 2, i.e. a
        *smaller* minimum distance than random sets;
      - rule="minimum": the largest minimum distance to the chosen set (max-min), which raises
        the set's minimum pairwise distance well above that of random sets.
    Distances of every candidate to the newest member are added to a running sum and a running
    minimum, so each step costs one pass over the (grid²)! candidates.

    Args:
      num_permutations: N, at most (grid²)!.
      grid: tiles per side; the permutations act on grid² tiles numbered row-major.
      rule: "average" or "minimum".
      seed: NumPy seed of the first permutation; the rest follow deterministically.

    Returns:
      int32 NumPy array [N, grid²], each row an ordering of the grid² tiles (numbered
      row-major), the first row the seeded draw.

    Raises:
      ValueError: unknown rule, grid outside 1..3, or N outside 1..(grid²)!.
    """
    if rule not in PERMUTATION_RULES:
        raise ValueError(f"rule must be one of {PERMUTATION_RULES}, got {rule!r}")
    num_tiles = grid * grid
    if not 1 <= num_tiles <= _MAX_TILES:
        raise ValueError(
            f"grid must be 1, 2 or 3 (all (grid²)! permutations are scanned), got {grid}"
        )
    candidates = all_tile_permutations(num_tiles)  # [(grid²)!, grid²]
    if not 1 <= num_permutations <= len(candidates):
        raise ValueError(
            f"num_permutations must be in 1..{math.factorial(num_tiles)} for grid={grid}, "
            f"got {num_permutations}"
        )
    chosen = [int(np.random.default_rng(seed).integers(len(candidates)))]
    # Running sum (average rule) or minimum (minimum rule) of distances to the chosen set.
    score = np.zeros(len(candidates), np.int32) if rule == "average" else None
    available = np.ones(len(candidates), bool)
    columns = np.ascontiguousarray(candidates.T)  # [grid², (grid²)!]: contiguous per tile
    for _ in range(num_permutations - 1):
        newest = chosen[-1]
        available[newest] = False
        distance = np.zeros(len(candidates), np.int32)  # Hamming distance to the newest
        for tile, column in enumerate(columns):
            distance += column != columns[tile, newest]
        if rule == "average":
            score += distance
        else:
            score = distance if score is None else np.minimum(score, distance)
        chosen.append(int(np.argmax(np.where(available, score, -1))))
    return candidates[chosen].astype(np.int32)
