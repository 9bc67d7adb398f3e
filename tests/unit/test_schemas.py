import pytest
from pydantic import ValidationError

from app.schemas import GenerateRequest


def test_generate_request_accepts_class_alias_and_defaults():
    req = GenerateRequest.model_validate({"model": "digits", "class": "7"})
    assert req.class_name == "7" and req.count == 1 and req.truncation == 1.0 and req.seed is None


@pytest.mark.parametrize("body", [
    {"model": "digits", "count": 0},
    {"model": "digits", "seed": -1},
    {"model": "digits", "seed": 2**32},
    {"model": "digits", "truncation": 0},
    {"model": "digits", "truncation": 1.5},
    {"model": "digits", "colour": "red"},  # unknown fields are refused, not ignored
    {"count": 2},
])
def test_generate_request_rejects_bad_values(body):
    with pytest.raises(ValidationError):
        GenerateRequest.model_validate(body)
