"""Interpolation and variations: exact ends, reproducibility from metadata, and the network's soft class hook."""

import io

import pytest
import torch
from PIL import Image

from models.explore import (
    class_input,
    frame_times,
    interpolation_latent,
    slerp,
    variation_latent,
)
from models.generate import latent_for_seed
from models.networks.cdcgan import CDCGANConfig, Generator
from models.registry import Registry
from worker.explore import interpolate, interpolation_frame, variation_image, variations
from worker.generate import generate_images
from worker.images import read_provenance
from worker.records import JobRecord, blob_key, cache_key_for, new_job_id, utcnow
from worker.runtime import ModelCache
from worker.store import DiskStore
from worker.tasks import run_job


@pytest.fixture
def models(tiny_models):
    return ModelCache(Registry([tiny_models]), device="cpu")


def test_slerp_is_exact_at_the_ends_and_stays_on_the_shell():
    a, b = latent_for_seed(1, 64, 1.0), latent_for_seed(2, 64, 1.0)
    assert torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    assert abs(mid.norm() - (a.norm() + b.norm()) / 2) < 0.05 * a.norm()  # a straight line would shrink ~30 %
    assert torch.allclose(slerp(a, a, 0.3), a)  # parallel: no division by sin(0)
    assert torch.equal(interpolation_latent(1, 2, 0.0, latent_dim=64, truncation=0.7), latent_for_seed(1, 64, 0.7))


def test_frame_times_run_exactly_from_zero_to_one():
    for ease in ("linear", "smoothstep"):
        ts = frame_times(5, ease)
        assert ts[0] == 0.0 and ts[-1] == 1.0 and ts == sorted(ts)
    assert frame_times(3, "smoothstep")[1] == 0.5


def test_soft_class_weights_equal_the_class_index_and_blend_embeddings():
    torch.manual_seed(0)
    net = Generator(CDCGANConfig(latent_dim=8, embed_dim=4, base_channels=4)).eval()
    z = torch.randn(1, 8)
    one_hot = torch.zeros(1, 10)
    one_hot[0, 3] = 1.0
    with torch.no_grad():
        assert torch.allclose(net(z, torch.tensor([3])), net(z, one_hot), atol=1e-6)
        mixed = net(z, class_input(10, 3, 5, 0.5))
    assert not torch.allclose(mixed, net(z, torch.tensor([3]))) and not torch.allclose(mixed, net(z, torch.tensor([5])))
    assert class_input(10, 3, 5, 0.0).tolist() == [3] and class_input(10, 3, 5, 1.0).tolist() == [5]


def _single(model, seed, cls, psi):
    return generate_images(model, seed=seed, count=1, class_name=cls, truncation=psi).images[0].png


def _pixels(png):
    with Image.open(io.BytesIO(png)) as im:
        return im.tobytes()


def test_interpolation_ends_are_the_generated_images_and_frames_recreate_from_metadata(models):
    model = models.get("digits")
    start, end = {"seed": 3, "class": "7"}, {"seed": 11, "class": "1"}
    out = interpolate(model, start=start, end=end, frames=5, truncation=0.8, ease="smoothstep")
    assert len(out.images) == 5 and [im.info.t for im in out.images] == frame_times(5, "smoothstep")
    assert _pixels(out.images[0].png) == _pixels(_single(model, 3, "7", 0.8))
    assert _pixels(out.images[-1].png) == _pixels(_single(model, 11, "1", 0.8))
    meta = read_provenance(out.images[2].png)
    assert meta["from"] == start and meta["to"] == end and meta["method"] == "slerp" and meta["t"] == 0.5
    again = interpolation_frame(model, start=meta["from"], end=meta["to"], t=meta["t"], truncation=meta["truncation"])
    assert again.tobytes() == _pixels(out.images[2].png)
    with Image.open(io.BytesIO(out.animation)) as anim:
        assert anim.format == "WEBP" and anim.n_frames == 5 and anim.info.get("loop") == 0
    with Image.open(io.BytesIO(out.summary_png)) as strip:
        assert strip.size == (5 * 28 + 6 * 2, 28 + 4)
    pingpong = interpolate(model, start=start, end=end, frames=5, truncation=0.8, pingpong=True)
    with Image.open(io.BytesIO(pingpong.animation)) as anim:
        assert anim.n_frames == 8  # 0 1 2 3 4 3 2 1, then loops


def test_interpolation_is_deterministic(models):
    model = models.get("digits")
    a = interpolate(model, start={"seed": 1, "class": "2"}, end={"seed": 2, "class": "2"}, frames=4, truncation=1.0)
    b = interpolate(model, start={"seed": 1, "class": "2"}, end={"seed": 2, "class": "2"}, frames=4, truncation=1.0)
    assert [im.png for im in a.images] == [im.png for im in b.images] and a.animation == b.animation


def test_variations_at_strength_zero_are_the_source_and_recreate_from_metadata(models):
    model = models.get("digits")
    source = _pixels(_single(model, 9, "4", 0.9))
    same = variations(model, seed=9, class_name="4", count=3, strength=0.0, variation_seed=100, truncation=0.9)
    assert all(_pixels(im.png) == source for im in same.images)
    out = variations(model, seed=9, class_name="4", count=3, strength=0.4, variation_seed=100, truncation=0.9)
    assert len({_pixels(im.png) for im in out.images}) == 3 and _pixels(out.images[0].png) != source
    meta = read_provenance(out.images[1].png)
    assert (meta["seed"], meta["class"], meta["variation_seed"], meta["strength"]) == (9, "4", 101, 0.4)
    again = variation_image(model, seed=meta["seed"], class_name=meta["class"], variation_seed=meta["variation_seed"],
                            strength=meta["strength"], truncation=meta["truncation"])
    assert again.tobytes() == _pixels(out.images[1].png)
    # strength 1 is the variation seed's own image, in the source's class
    full = variations(model, seed=9, class_name="4", count=1, strength=1.0, variation_seed=5, truncation=0.9)
    assert _pixels(full.images[0].png) == _pixels(_single(model, 5, "4", 0.9))
    assert torch.equal(variation_latent(9, 5, 0.0, latent_dim=8, truncation=1.0), latent_for_seed(9, 8, 1.0))


def test_interpolate_job_stores_frames_strip_and_animation(tmp_path, models):
    store = DiskStore(tmp_path, ttl_seconds=3600)
    params = {"model": "digits", "from": {"seed": 1, "class": "3"}, "to": {"seed": 2, "class": "8"}, "frames": 3,
              "truncation": 1.0, "ease": "linear", "pingpong": False}
    rec = JobRecord(id=new_job_id(), kind="interpolate", created_at=utcnow(), params=params,
                    cache_key=cache_key_for("interpolate", "digits", "0.0.1-test", params))
    store.create_job(rec)
    run_job(rec.id, store=store, models=models)
    done = store.get_job(rec.id)
    assert done.status == "succeeded" and [im.t for im in done.images] == [0.0, 0.5, 1.0]
    assert store.get_blob(blob_key(rec.cache_key, "animation"))[8:12] == b"WEBP"
    assert read_provenance(store.get_blob(blob_key(rec.cache_key, "grid")))["frames"] == 3
