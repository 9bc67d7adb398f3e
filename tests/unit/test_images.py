import io

import numpy as np
from PIL import Image

from worker.images import encode_png, make_grid, read_provenance


def test_png_carries_provenance_and_exact_pixels():
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    meta = {"model": "digits", "model_version": "1.0.0", "seed": 42, "class": "7", "truncation": 0.8}
    png = encode_png(pixels, meta)
    assert read_provenance(png) == meta
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "L"
        assert np.array_equal(np.asarray(img), pixels)
        assert "seed=42" in img.text["Description"]
        assert img.text["Software"].startswith("Atelier")


def test_grid_is_near_square_and_places_images_in_order():
    imgs = [np.full((4, 4), i * 20 + 10, dtype=np.uint8) for i in range(5)]
    grid = make_grid(imgs, padding=1)
    # 5 images -> 3 columns x 2 rows, 1 px padding around and between
    assert grid.shape == (2 * 4 + 3, 3 * 4 + 4)
    assert grid[1, 1] == 10 and grid[1, 6] == 30 and grid[6, 1] == 70
    assert grid[0, 0] == 0


def test_grid_of_rgb_images_stays_rgb():
    grid = make_grid([np.zeros((3, 3, 3), np.uint8)] * 4)
    assert grid.shape[2] == 3


def test_grid_with_fixed_columns_keeps_rows_apart():
    imgs = [np.full((2, 2), i + 1, dtype=np.uint8) for i in range(6)]
    grid = make_grid(imgs, cols=4, padding=1)  # model previews: one row per class
    assert grid.shape == (2 * 2 + 3, 4 * 2 + 5)
    assert grid[1, 1] == 1 and grid[1, 10] == 4 and grid[4, 1] == 5 and grid[4, 4] == 6 and grid[4, 7] == 0
