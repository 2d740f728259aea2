"""Tile and pair geometry on a coordinate-coded image: a tile sampled at puzzle position k of
permutation c comes from cell permutations[c, k], a neighbour sampled at label c lies at grid
offset NEIGHBOUR_OFFSETS[c] from the centre, inside its cell with the documented jitter; per-tile
standardisation; per-image seeds through the tf.data transform."""

import numpy as np
import pytest
import tensorflow as tf

from tfssl.data import ViewSpec, multiview
from tfssl.data.augment import AugmentParams
from tfssl.data.jigsaw import jigsaw_permutations
from tfssl.data.tiles import (
    NEIGHBOUR_OFFSETS,
    TileGrid,
    grid_tiles,
    jigsaw_puzzle,
    neighbour_pairs,
    shuffled_tiles,
    standardize_tiles,
)

GRID = TileGrid(grid=3, image_size=96, tile_size=24)  # cells of 32 px, jitter 8


def coordinate_image(size=96):
    """Channel 0 holds the pixel's row, channel 1 its column, channel 2 zero."""
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return np.stack([rows, cols, np.zeros_like(rows)], axis=-1).astype(np.float32)


def corners(tiles):
    """(top, left) in the image of each tile of a coordinate image, undoing any per-tile affine
    map a·x + b (standardisation): b is channel 2, a the row step."""
    tiles = np.asarray(tiles, np.float64)
    offset = tiles[:, 0, 0, 2]
    scale = tiles[:, 1, 0, 0] - tiles[:, 0, 0, 0]
    top = (tiles[:, 0, 0, 0] - offset) / scale
    left = (tiles[:, 0, 0, 1] - offset) / scale
    return np.round(top).astype(int), np.round(left).astype(int)


def seed(i):
    return tf.constant([i, 7], tf.int64)


def test_tile_k_is_a_contiguous_crop_inside_cell_k_with_offsets_in_0_to_jitter():
    image = coordinate_image()
    offsets = []
    for i in range(30):
        tiles = grid_tiles(image, GRID, seed(i)).numpy()
        assert tiles.shape == (9, 24, 24, 3)
        top, left = corners(tiles)
        for k in range(9):
            row, col = divmod(k, 3)
            dy, dx = top[k] - 32 * row, left[k] - 32 * col
            assert 0 <= dy <= 8 and 0 <= dx <= 8, (k, dy, dx)
            rows, cols = np.meshgrid(np.arange(24), np.arange(24), indexing="ij")
            np.testing.assert_array_equal(tiles[k, :, :, 0], top[k] + rows)
            np.testing.assert_array_equal(tiles[k, :, :, 1], left[k] + cols)
            offsets += [dy, dx]
    assert min(offsets) == 0 and max(offsets) == 8  # the whole jitter range is used


def test_gap_keeps_neighbours_apart():
    grid = TileGrid(grid=3, image_size=96, tile_size=20, gap=6)  # margin 3, jitter 6
    for i in range(20):
        top, left = corners(grid_tiles(coordinate_image(), grid, seed(i)))
        assert np.all((left[1] - (left[0] + 20) >= 6) & (top[3] - (top[0] + 20) >= 6))
        assert np.all((top - 32 * (np.arange(9) // 3) >= 3) & (top - 32 * (np.arange(9) // 3) <= 9))


def test_small_images_are_upsampled_bilinearly_before_cutting():
    small = np.random.default_rng(0).uniform(size=(32, 32, 3)).astype(np.float32)
    upsampled = tf.image.resize(small, [96, 96], method="bilinear")
    np.testing.assert_allclose(
        grid_tiles(small, GRID, seed(3)), grid_tiles(upsampled, GRID, seed(3)), atol=1e-6
    )


def test_bad_geometry_is_rejected():
    with pytest.raises(ValueError):
        TileGrid(grid=3, image_size=96, tile_size=30, gap=4).validate()


def test_standardised_tiles_have_zero_mean_unit_std_and_flat_tiles_stay_finite():
    rng = np.random.default_rng(1)
    tiles = rng.uniform(size=(4, 24, 24, 3)).astype(np.float32) * [
        [[[3.0]]],
        [[[0.1]]],
        [[[1]]],
        [[[0]]],
    ]
    tiles[3] += 0.7  # a flat tile
    out = standardize_tiles(tiles).numpy()
    np.testing.assert_allclose(out[:3].mean(axis=(1, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out[:3].std(axis=(1, 2, 3)), 1.0, rtol=1e-4)
    np.testing.assert_allclose(out[3], 0.0, atol=1e-4)  # float32 rounding of x − mean


def test_puzzle_position_k_of_label_c_holds_the_tile_of_cell_permutations_c_k():
    permutations = jigsaw_permutations(10)
    labels = []
    for i in range(40):
        tiles, label = jigsaw_puzzle(coordinate_image(), GRID, permutations, seed(i))
        tiles, label = tiles.numpy(), int(label)
        np.testing.assert_allclose(tiles.mean(axis=(1, 2, 3)), 0.0, atol=1e-4)  # standardised
        top, left = corners(tiles)
        cells = (top // 32) * 3 + left // 32
        np.testing.assert_array_equal(cells, permutations[label])
        # Round trip: putting position k back at cell permutations[label, k] restores the grid.
        restored = np.empty_like(cells)
        restored[permutations[label]] = cells
        np.testing.assert_array_equal(restored, np.arange(9))
        labels.append(label)
    assert set(labels) == set(range(10))


def test_shuffled_tiles_hold_every_cell_once_in_a_seeded_order():
    orders = set()
    for i in range(10):
        top, left = corners(shuffled_tiles(coordinate_image(), GRID, seed(i)))
        cells = (top // 32) * 3 + left // 32
        np.testing.assert_array_equal(np.sort(cells), np.arange(9))
        orders.add(tuple(cells))
    assert len(orders) == 10
    again = corners(shuffled_tiles(coordinate_image(), GRID, seed(0)))
    np.testing.assert_array_equal(again, corners(shuffled_tiles(coordinate_image(), GRID, seed(0))))


@pytest.mark.parametrize("num_pairs", [8, 3])
def test_neighbour_sampled_at_label_c_lies_at_offset_c_from_the_centre(num_pairs):
    for i in range(20):
        patches, labels = neighbour_pairs(coordinate_image(), GRID, num_pairs, seed(i))
        labels = labels.numpy()
        assert patches.shape == (1 + num_pairs, 24, 24, 3)
        assert len(set(labels)) == num_pairs and labels.min() >= 0 and labels.max() <= 7
        top, left = corners(patches)
        assert top[0] // 32 == 1 and left[0] // 32 == 1  # the centre cell
        for j, c in enumerate(labels):
            d_row, d_col = NEIGHBOUR_OFFSETS[c]
            assert (top[1 + j] // 32, left[1 + j] // 32) == (1 + d_row, 1 + d_col)
            # Top-left minus the centre's: offset·cell to within the jitter.
            assert abs(top[1 + j] - top[0] - 32 * d_row) <= 8
            assert abs(left[1 + j] - left[0] - 32 * d_col) <= 8


def test_labels_follow_the_row_major_convention():
    # Label 1 is straight above the centre, label 3 to its left, label 6 straight below.
    assert NEIGHBOUR_OFFSETS[1] == (-1, 0)
    assert NEIGHBOUR_OFFSETS[3] == (0, -1)
    assert NEIGHBOUR_OFFSETS[6] == (1, 0)


def test_the_tf_data_transform_gets_a_seed_per_image_and_reproduces():
    image = (coordinate_image(32) * 4).astype(np.uint8)
    source = tf.data.Dataset.from_tensors({"image": image, "label": np.int64(0)}).repeat(4)

    def transform(element, element_seed):
        return {"tiles": grid_tiles(element["views"][0], GRID, element_seed)}

    def run():
        stream = multiview(
            source,
            ViewSpec(num_global=1, global_size=96, global_scale=(1.0, 1.0)),
            AugmentParams(flip=False, color_jitter_prob=0.0, grayscale_prob=0.0),
            seed=5,
            transform=transform,
        )
        return np.stack([element["tiles"].numpy() for element in stream])

    first = run()
    np.testing.assert_array_equal(first, run())
    assert len({first[i].tobytes() for i in range(4)}) == 4  # each image its own offsets
