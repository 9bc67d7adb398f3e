"""The evaluation classifier: a small CNN whose penultimate features drive the Fréchet distance and whose
predictions measure class accuracy of conditional samples.

It is an evaluation tool, not a served model: `load_or_train_classifier` trains it deterministically (fixed seed,
fixed recipe; bit-identical for the same torch version and thread count, within float rounding otherwise) the
first time (a few minutes on 2 cores) and caches it as safetensors + JSON in the data cache. It learns from the MNIST
train split plus the non-overlapping OpenCV digits (models.data.classifier_training_set), with light random
affine augmentation — never from the 2,000 held-out reference digits the distances are measured against.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from models.data import DEFAULT_DATA_DIR, DigitSet, classifier_training_set, to_unit_range

log = logging.getLogger(__name__)

CLASSIFIER_NAME = "digit-classifier-v1"  # bump when the recipe below changes; part of the cache file name


@dataclass(frozen=True)
class ClassifierRecipe:
    width: int = 32  # channels of the first conv block; the second has twice as many
    feature_dim: int = 128  # penultimate (feature) size used by the Fréchet distance
    epochs: int = 6
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    max_rotate_deg: float = 10.0  # augmentation: random rotation in +-degrees
    max_shift: float = 0.1  # augmentation: random translation, fraction of the half-width (~1.4 px)
    max_scale: float = 0.1  # augmentation: random zoom in 1 +- this


class DigitClassifier(nn.Module):
    def __init__(self, width: int = 32, feature_dim: int = 128, num_classes: int = 10) -> None:
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, w, 14, 14)
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 2w, 7, 7)
            nn.Flatten(),
            nn.Linear(2 * w * 7 * 7, feature_dim), nn.ReLU(),  # (B, feature_dim): the FD features
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28) in [-1, 1] -> (B, feature_dim) penultimate activations."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28) in [-1, 1] -> (B, num_classes) logits."""
        return self.head(self.dropout(self.features(x)))


def augment(x: torch.Tensor, recipe: ClassifierRecipe, gen: torch.Generator) -> torch.Tensor:
    """Random small rotation, shift and zoom of a batch (B, 1, H, W), drawn from `gen`."""
    b = len(x)
    angle = (torch.rand(b, generator=gen) * 2 - 1) * recipe.max_rotate_deg * torch.pi / 180
    scale = 1 + (torch.rand(b, generator=gen) * 2 - 1) * recipe.max_scale
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * recipe.max_shift
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1  # pad with background -1


def train_classifier(data: DigitSet, recipe: ClassifierRecipe = ClassifierRecipe()) -> DigitClassifier:
    torch.manual_seed(recipe.seed)
    net = DigitClassifier(recipe.width, recipe.feature_dim, len(data.classes))
    x, y = torch.from_numpy(to_unit_range(data.images)), torch.from_numpy(data.labels)
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
            logits = net(augment(x[idx], recipe, gen))
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            correct += (logits.argmax(1) == y[idx]).sum().item()
        log.info("classifier epoch %d/%d: train accuracy %.4f", epoch + 1, recipe.epochs,
                 correct / (steps_per_epoch * recipe.batch_size))
    return net.eval()


def load_or_train_classifier(data_dir: Path = DEFAULT_DATA_DIR,
                             recipe: ClassifierRecipe = ClassifierRecipe()) -> DigitClassifier:
    """The cached classifier, trained and cached the first time."""
    folder = Path(data_dir) / "eval"
    weights, meta_path = folder / f"{CLASSIFIER_NAME}.safetensors", folder / f"{CLASSIFIER_NAME}.json"
    if weights.is_file() and meta_path.is_file() and json.loads(meta_path.read_text()).get("recipe") == asdict(recipe):
        net = DigitClassifier(recipe.width, recipe.feature_dim)
        net.load_state_dict(load_file(str(weights)))
        return net.eval().requires_grad_(False)
    data = classifier_training_set(data_dir)
    log.info("training %s on %d digits (not the held-out reference)", CLASSIFIER_NAME, len(data))
    net = train_classifier(data, recipe).requires_grad_(False)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    meta_path.write_text(json.dumps({"name": CLASSIFIER_NAME, "recipe": asdict(recipe),
                                     "trained_on": f"{len(data)} digits: MNIST train split + OpenCV digits "
                                                   "not overlapping the reference"}, indent=2) + "\n")
    return net


@torch.no_grad()
def classify(net: DigitClassifier, images: np.ndarray | torch.Tensor, batch_size: int = 500) -> tuple[
        np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 or (N, 1, 28, 28) float in [-1, 1] -> (features (N, D), predicted labels (N,))."""
    if isinstance(images, np.ndarray) and images.dtype == np.uint8:
        images = to_unit_range(images)
    x = torch.as_tensor(images, dtype=torch.float32)
    feats, preds = [], []
    for i in range(0, len(x), batch_size):
        f = net.features(x[i:i + batch_size])
        feats.append(f)
        preds.append(net.head(f).argmax(1))
    return torch.cat(feats).numpy(), torch.cat(preds).numpy()
