"""Tiles on a grid with gaps and jitter: the inputs of the context pretext tasks (jigsaw puzzles,
relative patch location, PIRL's jigsaw branch), as per-image stateless ops for a tf.data map.

Convention: tile k of a grid×grid layout comes from cell (k // grid, k % grid), row-major (row =
image y, column = image x). Neighbour label c of relative location is the c-th of the eight cells
around the centre in the same row-major order, skipping the centre: offsets (Δrow, Δcol) of
`NEIGHBOUR_OFFSETS[c]`.
"""

import dataclasses

import tensorflow as tf

# (Δrow, Δcol) of neighbour label c relative to the centre cell, row-major without the centre.
NEIGHBOUR_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
NUM_NEIGHBOURS = len(NEIGHBOUR_OFFSETS)


@dataclasses.dataclass(frozen=True)
class TileGrid:
    """Where tiles are cut: the image is resized (bilinear) to `image_size`², split into
    `grid`×`grid` cells of side c = image_size // grid, and each tile is a `tile_size` square
    inside its cell, `gap` // 2 pixels in from the cell's top-left corner plus a random offset
    of 0..jitter pixels per axis (jitter = c − tile_size − gap). Adjacent tiles are then at
    least `gap` pixels apart, on average gap + jitter, so that no edge continues from one tile
    into the next (Noroozi & Favaro; Doersch et al.).

    The defaults upsample the embedded 32 px digits to 96 px, 3×3 cells of 32 px (PIRL's
    embedded grid); the tile classifiers' embedded runs cut the digits at their own 32 px
    (`tfssl.configs.pretext.embedded_native_tiles`).
    """

    grid: int = 3
    image_size: int = 96
    tile_size: int = 24
    gap: int = 0

    @property
    def cell_size(self):
        return self.image_size // self.grid

    @property
    def jitter(self):
        return self.cell_size - self.tile_size - self.gap

    @property
    def num_tiles(self):
        return self.grid * self.grid

    def validate(self):
        """Raises ValueError unless every tile fits its cell."""
        if self.grid < 1 or self.tile_size < 1 or self.gap < 0 or self.jitter < 0:
            raise ValueError(
                f"{self}: need grid >= 1, tile_size >= 1, gap >= 0 and "
                f"tile_size + gap <= image_size // grid"
            )
        return self


def grid_tiles(image, grid, seed):
    """The grid's tiles of one image, each at its own random offset.

    Args:
      image: float [H, W, C] (any size: it is resized to `grid.image_size` first).
      grid: a `TileGrid`.
      seed: int32/int64 [2] seed of the offsets.

    Returns:
      float32 [grid², t, t, C]: tile k from cell (k // grid, k % grid), its top-left corner at
      (row·c + gap//2 + dy_k, col·c + gap//2 + dx_k) with dy_k, dx_k uniform in 0..jitter.
    """
    size = [grid.image_size, grid.image_size]
    image = tf.image.resize(tf.convert_to_tensor(image, tf.float32), size, method="bilinear")
    offsets = tf.random.stateless_uniform(
        [grid.num_tiles, 2], seed, minval=0, maxval=grid.jitter + 1, dtype=tf.int32
    )  # [grid², 2]: (dy, dx) per tile
    margin = grid.gap // 2
    tiles = []
    for k in range(grid.num_tiles):
        row, col = divmod(k, grid.grid)
        top = row * grid.cell_size + margin + offsets[k, 0]
        left = col * grid.cell_size + margin + offsets[k, 1]
        tiles.append(tf.slice(image, [top, left, 0], [grid.tile_size, grid.tile_size, -1]))
    return tf.stack(tiles)  # [grid², t, t, C]


def standardize_tiles(tiles):
    """Each tile [..., t, t, C] to mean 0 and standard deviation 1 over its own pixels (std
    floored at 1/√(t·t·C), as `tf.image.per_image_standardization`), so that no tile's
    brightness or contrast tells where it came from."""
    return tf.image.per_image_standardization(tiles)


def jigsaw_puzzle(image, grid, permutations, seed):
    """A jigsaw puzzle: the grid's tiles shuffled by a permutation drawn uniformly from a set.

    Args:
      image: float [H, W, C].
      grid: a `TileGrid`.
      permutations: int [P, grid²] (`tfssl.data.jigsaw_permutations`).
      seed: int32/int64 [2].

    Returns:
      (tiles float32 [grid², t, t, C], label int32 []): position k of the puzzle holds tile
      permutations[label, k], each tile standardised (`standardize_tiles`).
    """
    tile_seed, label_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    permutations = tf.convert_to_tensor(permutations, tf.int32)
    label = tf.random.stateless_uniform(
        [], label_seed, minval=0, maxval=tf.shape(permutations)[0], dtype=tf.int32
    )
    tiles = tf.gather(grid_tiles(image, grid, tile_seed), permutations[label])
    return standardize_tiles(tiles), label


def shuffled_tiles(image, grid, seed):
    """The grid's tiles in a uniformly random order (any of the (grid²)! permutations, PIRL's
    jigsaw transform), each standardised: float32 [grid², t, t, C]."""
    tile_seed, order_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    order = tf.argsort(tf.random.stateless_uniform([grid.num_tiles], order_seed))
    return standardize_tiles(tf.gather(grid_tiles(image, grid, tile_seed), order))


def neighbour_pairs(image, grid, num_pairs, seed):
    """Relative-location patches: the centre tile of a 3×3 grid and `num_pairs` distinct
    neighbours of it, drawn uniformly.

    Args:
      image: float [H, W, C].
      grid: a `TileGrid` with grid = 3.
      num_pairs: P in 1..8; all 8 neighbours (in random order) when 8.
      seed: int32/int64 [2].

    Returns:
      (patches float32 [1 + P, t, t, C], labels int32 [P]): patches[0] is the centre tile,
      patches[1 + j] the neighbour at offset `NEIGHBOUR_OFFSETS[labels[j]]` from it; each patch
      standardised.
    """
    if grid.grid != 3 or not 1 <= num_pairs <= NUM_NEIGHBOURS:
        raise ValueError(f"need a 3×3 grid and 1..8 pairs, got {grid} and {num_pairs}")
    tile_seed, label_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    labels = tf.argsort(tf.random.stateless_uniform([NUM_NEIGHBOURS], label_seed))[:num_pairs]
    # Grid position of neighbour label c: the row-major cell index, skipping the centre (4).
    positions = [(1 + dr) * 3 + (1 + dc) for dr, dc in NEIGHBOUR_OFFSETS]
    chosen = tf.concat([[4], tf.gather(positions, labels)], axis=0)  # [1 + P]
    patches = tf.gather(grid_tiles(image, grid, tile_seed), chosen)
    return standardize_tiles(patches), labels
