"""The evaluation classifiers: small CNNs that measure whether class-conditional samples show the requested class
(and, for digits, whose penultimate features drive the Fréchet distance).

    digit-classifier-v1        28x28 digits    MNIST train split + the OpenCV digits not overlapping the reference
    calligraphy-classifier-v1  64x64 glyphs    the calligraphy train split, label = one of 9 styles
    fashion-classifier-v1      28x28 garments  the Fashion-MNIST train split, label = one of 10 garments
    emoji-classifier-v1        64x64 emoji     the emoji train split, label = one of 8 Unicode emoji groups

They are evaluation tools, not served models: `load_or_train_classifier` (digits) and `load_or_train_art_classifier`
train one deterministically (fixed seed, fixed recipe; bit-identical for the same torch version and thread count,
within float rounding otherwise) the first time and cache it as safetensors + JSON under <data dir>/eval/. Each
learns from its set's train split with light random affine augmentation — never from the held-out images that
generated images are measured against. An art classifier's JSON records its accuracy on its held-out split.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from models.data import DEFAULT_DATA_DIR, classifier_training_set

log = logging.getLogger(__name__)

CLASSIFIER_NAME = "digit-classifier-v1"  # bump when the recipe below changes; part of the cache file name


class LabelledImages(Protocol):
    """What a classifier learns from: models.data.DigitSet or models.datasets.ImageSet."""
    images: np.ndarray  # (N, H, W) or (N, H, W, 3) uint8
    labels: np.ndarray  # (N,) int64
    classes: tuple[str, ...]


@dataclass(frozen=True)
class ClassifierRecipe:
    width: int = 32  # channels of the first conv stage; each later stage has twice as many
    feature_dim: int = 128  # penultimate (feature) size used by the Fréchet distance
    epochs: int = 6
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    max_rotate_deg: float = 10.0  # augmentation: random rotation in +-degrees
    max_shift: float = 0.1  # augmentation: random translation, fraction of the half-width (~1.4 px at 28 px)
    max_scale: float = 0.1  # augmentation: random zoom in 1 +- this


# Art set -> the recipe of its class classifier, sized to train in a few minutes on one CPU thread. Calligraphy
# styles differ in stroke weight and shape, which scaling and rotating blur. Held-out accuracy measured on this
# 2-core machine (busy; 1 thread): width 16, 4 epochs, augmented 75.7%, not augmented 81.8%; 8 epochs 84.4%
# (~7 min); width 24, 6 epochs 86.8% (~9 min). The two Kai fonts (ukai, cwtex-kai) stay the main confusion in all.
# Garments are photographed upright and centred: light augmentation, 2 epochs of 60,000 gave 90.5%.
# Emoji groups are semantic (an animal's face vs a smiley, a tool vs a symbol) and the set is small (1,170): width
# 16, 30 epochs, shift and zoom only 61.4% held out (~1.5 min); width 24, 60 epochs with rotation too 65.7% (~5 min).
ART_RECIPES = {
    "calligraphy": ClassifierRecipe(width=16, epochs=8, batch_size=64, lr=2e-3, max_rotate_deg=0.0, max_shift=0.0,
                                    max_scale=0.0),
    "emoji": ClassifierRecipe(width=24, epochs=60, batch_size=64, lr=2e-3, max_rotate_deg=5.0, max_shift=0.1,
                              max_scale=0.15),
    "fashion": ClassifierRecipe(width=16, epochs=2, batch_size=128, lr=2e-3, max_rotate_deg=4.0, max_shift=0.06,
                                max_scale=0.06),
}


def art_classifier_name(dataset: str) -> str:
    return f"{dataset}-classifier-v1"  # bump with ART_RECIPES[dataset]; part of the cache file name


class ImageClassifier(nn.Module):
    """Stages of conv-BN-ReLU, conv-BN-ReLU, 2x2 max-pool (channels doubling) until the side is at most 8 px, then
    a ReLU feature layer and a linear head: two stages at 28 px (28 -> 14 -> 7). Inputs above 32 px first go
    through a strided conv-BN-ReLU down to at most 32 px (64 -> 32 -> 16 -> 8): it learns which detail of the
    strokes to keep, where a first stage at full 64 px would make training four times slower on a CPU."""

    def __init__(self, width: int = 32, feature_dim: int = 128, num_classes: int = 10, *, channels: int = 1,
                 image_size: int = 28) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in, c, side = channels, width, image_size
        if side > 32:
            f = -(-side // 32)  # stride: ceil(side / 32)
            layers += [nn.Conv2d(c_in, c, 2 * f, stride=f, padding=f // 2), nn.BatchNorm2d(c), nn.ReLU()]
            c_in, side = c, side // f  # (B, width, side / f, side / f)
        while side > 8:
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.MaxPool2d(2)]  # (B, c, side / 2, side / 2)
            c_in, c, side = c, 2 * c, side // 2
        self.body = nn.Sequential(
            *layers,
            nn.Flatten(),
            nn.Linear(c_in * side * side, feature_dim), nn.ReLU(),  # (B, feature_dim): the FD features
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, S, S) in [-1, 1] -> (B, feature_dim) penultimate activations."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, S, S) in [-1, 1] -> (B, num_classes) logits."""
        return self.head(self.dropout(self.features(x)))


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) grey or (N, H, W, 3) RGB -> float32 (N, C, H, W) in [-1, 1], the generators' output range."""
    x = images.astype(np.float32) / 127.5 - 1.0
    return x[:, None] if x.ndim == 3 else np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def augment(x: torch.Tensor, recipe: ClassifierRecipe, gen: torch.Generator, background: float = -1.0) -> torch.Tensor:
    """Random small rotation, shift and zoom of a batch (B, C, H, W), drawn from `gen`; uncovered pixels get the
    `background` value (-1 for bright-on-black digits and garments, +1 for ink on white paper)."""
    b = len(x)
    angle = (torch.rand(b, generator=gen) * 2 - 1) * recipe.max_rotate_deg * torch.pi / 180
    scale = 1 + (torch.rand(b, generator=gen) * 2 - 1) * recipe.max_scale
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * recipe.max_shift
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(x - background, grid, align_corners=False, padding_mode="zeros") + background


def background_value(x: torch.Tensor) -> float:
    """The set's background in [-1, 1]: the median of its images' corner pixels."""
    return float(torch.cat([x[:, :, 0, 0], x[:, :, 0, -1], x[:, :, -1, 0], x[:, :, -1, -1]]).median())


def train_classifier(data: LabelledImages, recipe: ClassifierRecipe = ClassifierRecipe()) -> ImageClassifier:
    x, y = torch.from_numpy(to_input(data.images)), torch.from_numpy(data.labels)
    torch.manual_seed(recipe.seed)
    net = ImageClassifier(recipe.width, recipe.feature_dim, len(data.classes), channels=x.shape[1],
                          image_size=x.shape[-1])
    background = background_value(x)
    augmented = recipe.max_rotate_deg > 0 or recipe.max_shift > 0 or recipe.max_scale > 0
    opt = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    steps_per_epoch = len(x) // recipe.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=recipe.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(recipe.seed)
    net.train()
    for epoch in range(recipe.epochs):
        perm = torch.randperm(len(x), generator=gen)
        correct = 0
        for i in range(steps_per_epoch):
            idx = perm[i * recipe.batch_size:(i + 1) * recipe.batch_size]
            logits = net(augment(x[idx], recipe, gen, background) if augmented else x[idx])
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            correct += (logits.argmax(1) == y[idx]).sum().item()
        log.info("classifier epoch %d/%d: train accuracy %.4f", epoch + 1, recipe.epochs,
                 correct / (steps_per_epoch * recipe.batch_size))
    return net.eval()


@torch.no_grad()
def classify(net: ImageClassifier, images: np.ndarray | torch.Tensor, batch_size: int = 500) -> tuple[
        np.ndarray, np.ndarray]:
    """Images (N, H, W) / (N, H, W, 3) uint8 or (N, C, H, W) float in [-1, 1] -> (features (N, D), labels (N,))."""
    if isinstance(images, np.ndarray) and images.dtype == np.uint8:
        images = to_input(images)
    x = torch.as_tensor(images, dtype=torch.float32)
    feats, preds = [], []
    for i in range(0, len(x), batch_size):
        f = net.features(x[i:i + batch_size])
        feats.append(f)
        preds.append(net.head(f).argmax(1))
    return torch.cat(feats).numpy(), torch.cat(preds).numpy()


def load_or_train(name: str, recipe: ClassifierRecipe, training_set: Callable[[], LabelledImages], data_dir: Path,
                  *, trained_on: str, heldout: Callable[[], LabelledImages] | None = None) -> tuple[
        ImageClassifier, dict[str, Any]]:
    """The classifier cached as <data_dir>/eval/<name>.{safetensors,json}, trained (and measured on `heldout`, if
    given) the first time or whenever the recipe differs from the cached one. Returns it with its JSON record."""
    folder = Path(data_dir) / "eval"
    weights, meta_path = folder / f"{name}.safetensors", folder / f"{name}.json"
    if weights.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("recipe") == asdict(recipe):
            shape = meta.get("input", {"channels": 1, "image_size": 28, "num_classes": 10})  # digit-classifier-v1
            net = ImageClassifier(recipe.width, recipe.feature_dim, shape["num_classes"], channels=shape["channels"],
                                  image_size=shape["image_size"])
            net.load_state_dict(load_file(str(weights)), strict=True)
            return net.eval().requires_grad_(False), meta
    data = training_set()
    log.info("training %s on %d images (%s)", name, len(data.labels), trained_on)
    net = train_classifier(data, recipe).requires_grad_(False)
    x = to_input(data.images[:1])
    meta = {"name": name, "recipe": asdict(recipe), "trained_on": trained_on,
            "input": {"channels": x.shape[1], "image_size": x.shape[-1], "num_classes": len(data.classes)},
            "classes": list(data.classes)}
    if heldout is not None:
        ref = heldout()
        meta["heldout_accuracy"] = float((classify(net, ref.images)[1] == ref.labels).mean())
        meta["heldout_images"] = len(ref.labels)
        log.info("%s: accuracy %.4f on %d held-out images", name, meta["heldout_accuracy"], len(ref.labels))
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return net, meta


def load_or_train_classifier(data_dir: Path = DEFAULT_DATA_DIR,
                             recipe: ClassifierRecipe = ClassifierRecipe()) -> ImageClassifier:
    """The digits benchmark's classifier (its reference accuracy is measured by the benchmark itself)."""
    net, _meta = load_or_train(CLASSIFIER_NAME, recipe, lambda: classifier_training_set(data_dir), data_dir,
                               trained_on="MNIST train split + OpenCV digits not overlapping the reference")
    return net


def load_or_train_art_classifier(dataset: str, data_dir: Path = DEFAULT_DATA_DIR,
                                 recipe: ClassifierRecipe | None = None) -> tuple[ImageClassifier, dict[str, Any]]:
    """The class classifier of a conditional art set (calligraphy, emoji, fashion), trained on its train split only;
    its JSON record carries `heldout_accuracy`."""
    from models.datasets import load_dataset

    recipe = recipe or ART_RECIPES[dataset]
    return load_or_train(art_classifier_name(dataset), recipe, lambda: load_dataset(dataset, data_dir).train(),
                         data_dir, trained_on=f"the {dataset} train split",
                         heldout=lambda: load_dataset(dataset, data_dir).reference())
