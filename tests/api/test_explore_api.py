"""POST /api/v1/jobs/interpolate and /variations in embedded mode: happy paths, job references, cache, errors."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.main import create_app
from tests.api.test_jobs_api import submit, wait_done
from worker.images import read_provenance


@pytest.fixture
def client(settings_env):
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def post(client, what, body, status=202):
    r = client.post(f"/api/v1/jobs/{what}", json=body)
    assert r.status_code == status, r.text
    return r.json()


INTERP = {"model": "digits", "from": {"seed": 3, "class": "7"}, "to": {"seed": 11, "class": "1"}, "frames": 4}


def test_interpolate_job_end_to_end(client):
    job = wait_done(client, post(client, "interpolate", INTERP)["id"])
    assert job["status"] == "succeeded" and job["kind"] == "interpolate"
    assert job["params"] == {**INTERP, "truncation": 1.0, "ease": "linear", "pingpong": False}
    assert [im["t"] for im in job["images"]] == [0.0, 1 / 3, 2 / 3, 1.0] and len(job["results"]) == 4
    frame = client.get(job["results"][1])
    meta = read_provenance(frame.content)
    assert meta["from"] == INTERP["from"] and meta["to"] == INTERP["to"] and meta["t"] == 1 / 3
    anim = client.get(job["animation_url"], params={"download": 1})
    assert anim.status_code == 200 and anim.headers["content-type"] == "image/webp"
    assert anim.headers["content-disposition"] == 'attachment; filename="digits-s3-to-s11.webp"'
    with Image.open(io.BytesIO(anim.content)) as im:
        assert im.n_frames == 4
    strip = client.get(job["grid_url"])
    with Image.open(io.BytesIO(strip.content)) as im:
        assert im.size == (4 * 28 + 5 * 2, 28 + 4)
    # The last frame is the image a generate job makes from the same seed and class.
    gen = wait_done(client, submit(client, seed=11, **{"class": "1"})["id"])
    with Image.open(io.BytesIO(client.get(gen["results"][0]).content)) as a, \
            Image.open(io.BytesIO(client.get(job["results"][3]).content)) as b:
        assert a.tobytes() == b.tobytes()

    again = client.get(f"/api/v1/jobs/{post(client, 'interpolate', INTERP)['id']}").json()
    assert again["status"] == "succeeded" and again["cache_hit"] is True
    assert client.get(again["animation_url"]).content == anim.content


def test_ends_from_earlier_jobs(client):
    gen = wait_done(client, submit(client, seed=40, count=2, truncation=0.7)["id"])
    job = wait_done(client, post(client, "interpolate", {"from": {"job": gen["id"], "index": 0},
                                                         "to": {"job": gen["id"], "index": 1}, "frames": 3})["id"])
    assert job["status"] == "succeeded", job
    p = job["params"]
    assert p["model"] == "digits" and p["truncation"] == 0.7
    assert p["from"] == {"seed": 40, "class": gen["images"][0]["class"]}
    assert p["to"] == {"seed": 41, "class": gen["images"][1]["class"]}
    with Image.open(io.BytesIO(client.get(gen["results"][1]).content)) as a, \
            Image.open(io.BytesIO(client.get(job["results"][2]).content)) as b:
        assert a.tobytes() == b.tobytes()


def test_variations_end_to_end_and_cache(client):
    body = {"model": "digits", "seed": 5, "class": "2", "count": 3, "strength": 0.3, "variation_seed": 77}
    job = wait_done(client, post(client, "variations", body)["id"])
    assert job["status"] == "succeeded" and job["kind"] == "variations" and job["animation_url"] is None
    assert job["params"] == {**body, "truncation": 1.0}
    assert [(im["seed"], im["class"], im["variation_seed"]) for im in job["images"]] == \
        [(5, "2", 77), (5, "2", 78), (5, "2", 79)]
    meta = read_provenance(client.get(job["results"][2]).content)
    assert meta["variation_seed"] == 79 and meta["strength"] == 0.3 and meta["kind"] == "variations"
    assert client.get(f"/api/v1/jobs/{job['id']}/animation").status_code == 404
    hit = client.get(f"/api/v1/jobs/{post(client, 'variations', body)['id']}").json()
    assert hit["cache_hit"] is True
    assert [{**im, "url": None} for im in hit["images"]] == [{**im, "url": None} for im in job["images"]]
    assert client.get(hit["results"][2]).content == client.get(job["results"][2]).content


def test_variations_of_a_job_image_at_strength_zero_are_that_image(client):
    gen = wait_done(client, submit(client, seed=8, count=2)["id"])
    job = wait_done(client, post(client, "variations", {"job": gen["id"], "index": 1, "count": 2,
                                                        "strength": 0})["id"])
    assert job["params"]["seed"] == 9 and job["params"]["class"] == gen["images"][1]["class"]
    assert isinstance(job["params"]["variation_seed"], int)  # chosen and recorded
    with Image.open(io.BytesIO(client.get(gen["results"][1]).content)) as a, \
            Image.open(io.BytesIO(client.get(job["results"][0]).content)) as b:
        assert a.tobytes() == b.tobytes()


def test_animation_of_a_generate_job_is_404(client):
    gen = wait_done(client, submit(client, seed=1)["id"])
    assert gen["animation_url"] is None
    r = client.get(f"/api/v1/jobs/{gen['id']}/animation")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("what, body, status, code", [
    ("interpolate", {**INTERP, "model": "nope"}, 404, "unknown_model"),
    ("interpolate", {**INTERP, "frames": 1}, 422, "bad_input"),
    ("interpolate", {**INTERP, "frames": 65}, 422, "bad_input"),
    ("interpolate", {**INTERP, "ease": "bounce"}, 422, "bad_input"),
    ("interpolate", {**INTERP, "from": {"seed": 1, "class": "x"}}, 422, "unknown_class"),
    ("interpolate", {**INTERP, "from": {}}, 422, "bad_input"),
    ("interpolate", {**INTERP, "from": {"seed": 1, "job": "0" * 32}}, 422, "bad_input"),
    ("interpolate", {**INTERP, "to": {"job": "0" * 32}}, 422, "bad_input"),
    ("interpolate", {"from": {"seed": 1}, "to": {"seed": 2}}, 422, "bad_input"),  # no model
    ("variations", {"model": "digits", "seed": 1, "strength": 1.5}, 422, "bad_input"),
    ("variations", {"model": "digits", "seed": 1, "count": 65}, 422, "bad_input"),
    ("variations", {"model": "nope", "seed": 1}, 404, "unknown_model"),
    ("variations", {"job": "not-a-job"}, 422, "bad_input"),
])
def test_bad_requests(client, what, body, status, code):
    r = client.post(f"/api/v1/jobs/{what}", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and "Traceback" not in err["message"]


def test_job_references_that_do_not_fit(client):
    gen = wait_done(client, submit(client, seed=2, count=1)["id"])
    cases = [({"job": gen["id"], "index": 3}, "no image 3"), ({"job": gen["id"], "class": "1"}, "class")]
    var = wait_done(client, post(client, "variations", {"model": "digits", "seed": 1, "count": 1})["id"])
    cases.append(({"job": var["id"]}, "variations job"))
    for ref, words in cases:
        r = client.post("/api/v1/jobs/variations", json=ref)
        assert r.status_code == 422 and words in r.json()["error"]["message"], r.text
    r = client.post("/api/v1/jobs/interpolate", json={"model": "other", "from": {"job": gen["id"]},
                                                      "to": {"seed": 1}})
    assert r.status_code == 422 and "one model" in r.json()["error"]["message"]
