from worker.records import JobRecord, blob_key, cache_key_for, new_job_id, utcnow

PARAMS = {"model": "digits", "seed": 1, "count": 4, "class": "7", "truncation": 1.0}


def test_cache_key_is_stable_and_order_independent():
    a = cache_key_for("generate", "digits", "1.0.0", PARAMS)
    b = cache_key_for("generate", "digits", "1.0.0", dict(reversed(list(PARAMS.items()))))
    assert a == b
    assert len(a) == 64 and all(c in "0123456789abcdef" for c in a)


def test_cache_key_changes_with_everything_that_changes_pixels():
    base = cache_key_for("generate", "digits", "1.0.0", PARAMS)
    variants = [
        cache_key_for("generate", "digits", "1.0.1", PARAMS),  # new weights
        cache_key_for("restore", "digits", "1.0.0", PARAMS),
        *(cache_key_for("generate", "digits", "1.0.0", {**PARAMS, k: v})
          for k, v in [("seed", 2), ("count", 5), ("class", "3"), ("truncation", 0.7)]),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


def test_record_round_trips_through_json_with_class_alias():
    rec = JobRecord(id=new_job_id(), kind="generate", created_at=utcnow(), params=PARAMS, cache_key="k",
                    images=[{"index": 0, "seed": 1, "class": "7"}])
    raw = rec.to_json()
    assert '"class":"7"' in raw
    back = JobRecord.from_json(raw)
    assert back == rec and back.images[0].class_name == "7"


def test_blob_key_layout():
    assert blob_key("abc", 3) == "abc/3"
    assert blob_key("abc", "grid") == "abc/grid"
