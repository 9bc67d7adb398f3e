"""A CPU-efficient U-Net family for photo repair: denoise, inpaint and damage detection.

Most of the arithmetic happens at reduced resolution: the input is folded 2x2 into channels (PixelUnshuffle), so
the first and widest-in-pixels level already runs at 1/2 resolution, and each further level halves again
(1/4, 1/8, 1/16). Decoder levels are joined to the encoder by addition (cheaper than concatenation), upsampled by
a 1x1 convolution + PixelShuffle, and the output is unfolded back to full resolution. A thin optional head at full
resolution refines edges (a few channels only). Residual outputs: the denoiser and the inpainter predict a
correction added to their input.

Inpainting with a prefill (config `prefill="normconv"`, models/networks/prefill.py): the hole is first filled by a
cheap smooth interpolation of the known pixels, the network reads that prefilled image + mask and predicts a
residual on it; its last layers start at zero, so an untrained network returns exactly the prefill. With
`prefill="none"` (inpaint 0.1.0) the hole is blanked to mid-grey and the network invents it from nothing.

    UNetCore        tensor -> tensor, no task logic                                 (B, in, H, W) -> (B, out, H, W)
    Denoiser        RGB + optional noise level (blind when absent)                  -> RGB
    Inpainter       RGB + mask (1 = missing); pixels outside the mask come back unchanged  -> RGB
    DamageDetector  RGB -> damage-mask logits (1 channel)

The wrappers pad any size up to a multiple of 2**levels (reflection) and crop back, so 37x53 works. Inputs and
outputs are in [0, 1]. One config dataclass (RestoreUNetConfig) rebuilds every variant; it is saved in the
checkpoint's manifest.

Blind denoising: the denoiser takes two extra input planes, a noise level map (sigma / 50) and a "known" flag.
Training feeds the true level with the flag set half of the time, and zeros without the flag otherwise, so one
network serves both modes; a user's --sigma becomes a strength control.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from models.networks.prefill import PREFILLS

TASKS = ("denoise", "inpaint", "detect")
LEVEL_SCALE = 50.0  # noise level map = sigma (0-255 scale) / LEVEL_SCALE


@dataclass
class RestoreUNetConfig:
    task: str = "denoise"  # denoise | inpaint | detect: picks the input planes and the output
    widths: tuple[int, ...] = (32, 64, 96, 128)  # channels at 1/2, 1/4, 1/8, 1/16 resolution (len = levels)
    enc_blocks: tuple[int, ...] = (1, 2, 2, 2)  # residual blocks per encoder level (the last is the bottleneck)
    dec_blocks: tuple[int, ...] = (1, 1, 1)  # residual blocks per decoder level, finest first (len = levels - 1)
    dilations: tuple[int, ...] = ()  # extra dilated blocks at the deepest level, for context (inpaint)
    gated: bool = False  # gated convolutions (feature * sigmoid(gate)), for masked inputs
    head_channels: int = 16  # channels of the full-resolution refinement head; 0 = no head
    prefill: str = "none"  # inpaint: "none" = blank hole; "normconv" = refine a smooth fill (prefill.py)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; known: {TASKS}")
        if self.prefill not in PREFILLS:
            raise ValueError(f"unknown prefill {self.prefill!r}; known: {tuple(PREFILLS)}")
        if self.prefill != "none" and self.task != "inpaint":
            raise ValueError(f"prefill {self.prefill!r} is for inpainting, not {self.task!r}")
        self.widths, self.enc_blocks = tuple(self.widths), tuple(self.enc_blocks)
        self.dec_blocks, self.dilations = tuple(self.dec_blocks), tuple(self.dilations)
        if len(self.enc_blocks) != len(self.widths) or len(self.dec_blocks) != len(self.widths) - 1:
            raise ValueError("need len(enc_blocks) == len(widths) and len(dec_blocks) == len(widths) - 1")

    @property
    def in_channels(self) -> int:
        return {"denoise": 5, "inpaint": 4, "detect": 3}[self.task]  # RGB + level + known | RGB + mask | RGB

    @property
    def out_channels(self) -> int:
        return 1 if self.task == "detect" else 3

    @property
    def multiple(self) -> int:
        """Input sides must be a multiple of this (the wrappers pad)."""
        return 2 ** len(self.widths)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> "RestoreUNetConfig":
        """From a manifest or snapshot; keys it does not know are ignored, missing ones take their defaults (a
        manifest written before `prefill` existed means prefill "none")."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})


def tiny_config(task: str) -> RestoreUNetConfig:
    """A few thousand parameters: for tests."""
    return RestoreUNetConfig(task=task, widths=(8, 12), enc_blocks=(1, 1), dec_blocks=(1,),
                             dilations=(2,) if task == "inpaint" else (), gated=task == "inpaint", head_channels=4)


# ---------------------------------------------------------------------------------------------------- blocks

def act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.1)


class ResBlock(nn.Module):
    """x + conv(act(conv(x))); gated: the first conv also yields a gate, feature * sigmoid(gate)."""

    def __init__(self, c: int, dilation: int = 1, gated: bool = False) -> None:
        super().__init__()
        self.gated = gated
        self.conv1 = nn.Conv2d(c, 2 * c if gated else c, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        nn.init.zeros_(self.conv2.bias)
        with torch.no_grad():
            self.conv2.weight.mul_(0.2)  # small residual branches at start: a well-conditioned identity-ish net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x)
        if self.gated:
            f, g = h.chunk(2, dim=1)
            h = act(f) * torch.sigmoid(g)
        else:
            h = act(h)
        return x + self.conv2(h)


class Up(nn.Module):
    """(B, cin, h, w) -> (B, cout, 2h, 2w) by a 1x1 conv to 4*cout channels and PixelShuffle."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


class UNetCore(nn.Module):
    def __init__(self, cfg: RestoreUNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w, cin, cout = cfg.widths, cfg.in_channels, cfg.out_channels
        self.unshuffle = nn.PixelUnshuffle(2)
        self.stem = nn.Conv2d(4 * cin, w[0], 3, padding=1)
        self.enc = nn.ModuleList(nn.Sequential(*[ResBlock(w[i], gated=cfg.gated) for _ in range(n)])
                                 for i, n in enumerate(cfg.enc_blocks))
        self.down = nn.ModuleList(nn.Conv2d(w[i], w[i + 1], 3, stride=2, padding=1) for i in range(len(w) - 1))
        self.context = nn.Sequential(*[ResBlock(w[-1], dilation=d, gated=cfg.gated) for d in cfg.dilations])
        self.up = nn.ModuleList(Up(w[i + 1], w[i]) for i in range(len(w) - 1))
        self.dec = nn.ModuleList(nn.Sequential(*[ResBlock(w[i], gated=cfg.gated) for _ in range(n)])
                                 for i, n in enumerate(cfg.dec_blocks))
        self.tail = nn.Conv2d(w[0], 4 * cout, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        if cfg.head_channels:
            self.head = nn.Sequential(nn.Conv2d(cin + cout, cfg.head_channels, 3, padding=1), nn.LeakyReLU(0.1),
                                      nn.Conv2d(cfg.head_channels, cout, 3, padding=1))
            nn.init.zeros_(self.head[2].weight)
            nn.init.zeros_(self.head[2].bias)
        else:
            self.head = None
        with torch.no_grad():
            self.tail.weight.mul_(0.0 if cfg.prefill != "none" else 0.1)  # refining a prefill: start at it
            self.tail.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, in, H, W) with H, W multiples of cfg.multiple
        h = self.stem(self.unshuffle(x))  # (B, w0, H/2, W/2)
        skips = []
        for i, enc in enumerate(self.enc):
            h = enc(h)
            if i < len(self.down):
                skips.append(h)
                h = self.down[i](h)  # (B, w[i+1], H/2^(i+2), W/2^(i+2))
        h = self.context(h)
        for i in reversed(range(len(self.up))):
            h = self.dec[i](self.up[i](h) + skips[i])  # (B, w[i], H/2^(i+1), W/2^(i+1))
        y = self.shuffle(self.tail(h))  # (B, out, H, W)
        if self.head is not None:
            y = y + self.head(torch.cat([x, y], dim=1))
        return y


# ---------------------------------------------------------------------------------------------------- padding

def pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad (B, C, H, W) on the bottom/right to multiples of `multiple`; reflection where the image is big enough."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


class _Task(nn.Module):
    def __init__(self, cfg: RestoreUNetConfig, task: str) -> None:
        super().__init__()
        if cfg.task != task:
            raise ValueError(f"config is for task {cfg.task!r}, not {task!r}")
        self.cfg = cfg
        self.core = UNetCore(cfg)


class Denoiser(_Task):
    def __init__(self, cfg: RestoreUNetConfig) -> None:
        super().__init__(cfg, "denoise")

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float | None = None) -> torch.Tensor:
        """x: (B, 3, H, W) noisy in [0, 1]. sigma on the 0-255 scale: None = blind; a number, (B,) or
        (B, 1, H, W) = the noise level (also a strength control); NaN entries = blind for those images.
        Returns the denoised (B, 3, H, W)."""
        b, _, h, w = x.shape
        if sigma is None:
            s = x.new_full((b, 1, 1, 1), float("nan"))
        else:
            s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
            s = s.reshape(-1, 1, 1, 1) if s.dim() <= 1 else s
        known = (~torch.isnan(s)).to(x.dtype).expand(b, 1, h, w)
        level = torch.nan_to_num(s, nan=0.0).expand(b, 1, h, w) / LEVEL_SCALE
        inp, (h0, w0) = pad_to(torch.cat([x - 0.5, level, known], dim=1), self.cfg.multiple)
        out = inp[:, :3] + 0.5 + self.core(inp)  # residual: noisy + correction
        return out[..., :h0, :w0]


class Inpainter(_Task):
    def __init__(self, cfg: RestoreUNetConfig) -> None:
        super().__init__(cfg, "inpaint")

    def predict(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The network's raw guess everywhere (training uses it); mask (B, 1, H, W), 1 = missing."""
        fill = PREFILLS[self.cfg.prefill]
        if fill is None:
            masked = (x - 0.5) * (1 - mask)  # holes become 0 (mid-grey): nothing of the lost pixels leaks in
            inp, (h0, w0) = pad_to(torch.cat([masked, mask], dim=1), self.cfg.multiple)
            return (inp[:, :3] + 0.5 + self.core(inp))[..., :h0, :w0]
        # the smooth fill reads only the known pixels: nothing of the lost ones leaks in either
        start = fill(x * (1 - mask), 1 - mask)  # (B, 3, H, W): known pixels as given, the hole interpolated
        inp, (h0, w0) = pad_to(torch.cat([start - 0.5, mask], dim=1), self.cfg.multiple)
        return start + self.core(inp)[..., :h0, :w0]  # prefill + residual

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, 3, H, W) in [0, 1], mask (B, 1, H, W) with 1 = missing -> x outside the mask, filled inside."""
        mask = (mask > 0.5).to(x.dtype)
        pred = self.predict(x, mask).clamp(0, 1)
        return torch.where(mask.bool(), pred, x)  # exactly the input outside the mask


class DamageDetector(_Task):
    def __init__(self, cfg: RestoreUNetConfig) -> None:
        super().__init__(cfg, "detect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 3, H, W) in [0, 1] -> damage logits (B, 1, H, W); sigmoid > 0.5 = damaged."""
        inp, (h0, w0) = pad_to(x - 0.5, self.cfg.multiple)
        return self.core(inp)[..., :h0, :w0]


NETWORKS: dict[str, type[_Task]] = {"denoise": Denoiser, "inpaint": Inpainter, "detect": DamageDetector}


def build(cfg: RestoreUNetConfig) -> nn.Module:
    return NETWORKS[cfg.task](cfg)


@torch.no_grad()
def macs_per_pixel(cfg: RestoreUNetConfig, size: int = 64) -> float:
    """Multiply-accumulates per input pixel of one forward pass (convolutions only), measured with hooks."""
    net = UNetCore(cfg)
    total = 0

    def hook(m: nn.Conv2d, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    net(torch.zeros(1, cfg.in_channels, size, size))
    for h in handles:
        h.remove()
    return total / (size * size)


def builder(task: str):
    """ARCHITECTURES entry: config dict (from a manifest) -> the task's inference network."""

    def build_from_dict(config: dict) -> nn.Module:
        cfg = RestoreUNetConfig.from_dict(config)
        if cfg.task != task:
            raise ValueError(f"architecture {task}-unet needs a config with task {task!r}, got {cfg.task!r}")
        return build(cfg)

    return build_from_dict


# ---------------------------------------------------------------------------------------------------- widening

def can_widen(old: RestoreUNetConfig, new: RestoreUNetConfig) -> str | None:
    """Why `old` weights cannot seed a `new` network function-preservingly, or None when they can: same task,
    levels, gating and prefill; widths, block counts and head channels may only grow, and dilated context blocks may
    be appended (a new one starts as the identity, like any new residual block)."""
    if (old.task, old.prefill, old.gated) != (new.task, new.prefill, new.gated):
        return "task, prefill and gating must stay the same"
    if new.dilations[: len(old.dilations)] != old.dilations:
        return "dilated context blocks may only be appended after the existing ones"
    if old.gated:
        return "gated networks split conv1's output in two halves, which widening would mix"
    if len(old.widths) != len(new.widths):
        return "the number of levels must stay the same"
    pairs = zip(old.widths + old.enc_blocks + old.dec_blocks, new.widths + new.enc_blocks + new.dec_blocks)
    if any(n < o for o, n in pairs) or new.head_channels < old.head_channels:
        return "widths, block counts and head channels may only grow"
    if old.head_channels == 0 and new.head_channels > 0:
        return "a head cannot be added to a network trained without one"
    return None


@torch.no_grad()
def widen_into(net: nn.Module, old_state: dict[str, torch.Tensor]) -> None:
    """Load a smaller network's weights into `net` (a wider and/or deeper one of the same task) so that it computes
    exactly what the smaller one did, and its new capacity starts out free to learn (net2net-style widening).

    Every layer keeps the old weights in the leading slice of its channels. That is correct through PixelShuffle
    too, which groups output channel c as rows 4c..4c+3, so the old channels are still the leading rows. An old
    output channel must not read a new input channel, so those weights are zero; new output channels keep their
    random initialisation (no old channel reads them yet). Residual blocks that the old network did not have start
    as the identity (their second convolution zero)."""
    new_state = net.state_dict()
    for name, old in old_state.items():
        if name not in new_state:
            raise ValueError(f"widening: {name} of the smaller network has no place in the larger one")
        target = new_state[name]
        if old.dim() != target.dim() or any(o > n for o, n in zip(old.shape, target.shape)):
            raise ValueError(f"widening: {name} {tuple(old.shape)} does not fit in {tuple(target.shape)}")
        if old.dim() == 4:  # conv weight (out, in, kh, kw)
            target[: old.shape[0], old.shape[1]:] = 0
        target[tuple(slice(0, s) for s in old.shape)] = old.to(target.dtype)
    for prefix, module in net.named_modules():
        if isinstance(module, ResBlock) and f"{prefix}.conv1.weight" not in old_state:
            new_state[f"{prefix}.conv2.weight"].zero_()
            new_state[f"{prefix}.conv2.bias"].zero_()
    net.load_state_dict(new_state)
