from pathlib import Path

from atelier.settings import SHIPPED_WEIGHTS, Settings


def test_defaults_are_embedded_and_localhost(monkeypatch):
    for var in ("ATELIER_REDIS_URL", "ATELIER_HOST", "ATELIER_MODEL_DIRS"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert not s.distributed and s.host == "127.0.0.1" and s.model_dirs == [SHIPPED_WEIGHTS]


def test_environment_overrides_and_colon_separated_model_dirs(monkeypatch):
    monkeypatch.setenv("ATELIER_REDIS_URL", "redis://r:6379/0")
    monkeypatch.setenv("ATELIER_MODEL_DIRS", "/a:/b")
    monkeypatch.setenv("ATELIER_RESULT_TTL_SECONDS", "600")
    s = Settings()
    assert s.distributed and s.model_dirs == [Path("/a"), Path("/b")] and s.result_ttl_seconds == 600
