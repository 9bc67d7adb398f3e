import numpy as np
import torch

from models.tiling import pad_to_multiple, run_tiled, tile_windows


def test_windows_cover_the_image_with_overlap():
    covered = np.zeros((300, 410), int)
    windows = list(tile_windows(300, 410, 128, 32))
    for y0, y1, x0, x1 in windows:
        assert y1 - y0 <= 128 and x1 - x0 <= 128
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1 and covered.max() >= 2


def test_pad_to_multiple_reflects_and_reports_padding():
    x = torch.arange(5 * 7, dtype=torch.float32).view(1, 1, 5, 7)
    padded, (ph, pw) = pad_to_multiple(x, 4)
    assert padded.shape[-2:] == (8, 8) and (ph, pw) == (3, 1)
    assert torch.equal(padded[..., :5, :7], x)


def _local_filter() -> torch.nn.Module:
    """A fixed network with a 5x5 receptive field, like a tiny denoiser."""
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(8, 3, 3, padding=1))
    return conv.eval()


def test_tiled_result_matches_untiled_one():
    rng = np.random.default_rng(0)
    image = rng.random((203, 317, 3), dtype=np.float32)
    net = _local_filter()
    whole = run_tiled(net, image, tile=1024, overlap=0, multiple=8)
    progress = []
    tiled = run_tiled(net, image, tile=64, overlap=16, multiple=8, on_progress=progress.append)
    # Every tile saw enough context where it has weight, and the tiles at the image's border are padded as the whole
    # image is (they end there, starting on the same grid): the blend of exact predictions is exact.
    assert np.abs(tiled - whole).max() < 1e-5
    assert progress[-1] == 1.0 and len(progress) > 20


def test_constant_image_stays_constant_no_seams():
    image = np.full((150, 150, 3), 0.5, np.float32)
    out = run_tiled(lambda x: x * 1.0, image, tile=64, overlap=16, multiple=16)
    assert np.allclose(out, 0.5, atol=1e-6)


def _block_mean(x: torch.Tensor) -> torch.Tensor:
    """A network with a total stride of 4: each 4x4 block of its input grid becomes that block's mean."""
    return torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(x, 4), scale_factor=4, mode="nearest")


def test_tiles_start_on_the_network_grid_so_a_strided_network_matches_its_untiled_run():
    rng = np.random.default_rng(1)
    image = rng.random((203, 317, 3), dtype=np.float32)
    whole = run_tiled(_block_mean, image, tile=1024, overlap=0, multiple=4)
    windows = list(tile_windows(203, 317, 64, 16, align=4))
    assert all(y0 % 4 == 0 and x0 % 4 == 0 for y0, _, x0, _ in windows)
    assert max(y1 for _, y1, _, _ in windows) == 203 and max(x1 for _, _, _, x1 in windows) == 317
    tiled = run_tiled(_block_mean, image, tile=64, overlap=16, multiple=4)
    assert np.abs(tiled - whole).max() < 1e-6
    # What alignment prevents: a tile starting off the grid (203 - 64 = 139) averages other blocks.
    assert (203 - 64) % 4 and not any(y0 == 139 for y0, _, _, _ in windows)
    off_grid = run_tiled(_block_mean, image[139:], tile=1024, overlap=0, multiple=4)
    assert np.abs(off_grid - whole[139:]).max() > 0.05
