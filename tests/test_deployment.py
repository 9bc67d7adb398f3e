"""What can be checked of the Docker deployment without a Docker engine."""

from __future__ import annotations

import re

import pytest
import yaml

from atelier.cli import build_parser
from atelier.settings import Settings
from tests.conftest import REPO
from worker.routing import LONG_QUEUE, QUEUES, QUICK_QUEUE

SETTINGS_ENV = {f"ATELIER_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _subcommands() -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return set(sub.choices)


WORKERS = ("worker", "worker-train")
APP_SERVICES = ("api", *WORKERS)


def test_services_and_their_commands_are_real_entry_points(compose):
    services = compose["services"]
    assert set(services) == {"redis", *APP_SERVICES}
    for name in APP_SERVICES:
        cmd = services[name]["command"]
        assert cmd[0] == "atelier" and cmd[1] in _subcommands(), cmd
        build_parser().parse_args(cmd[1:])  # the arguments parse too
    assert services["api"]["command"][1] == "serve"
    assert all(services[name]["command"][1] == "worker" for name in WORKERS)


def test_training_has_workers_of_its_own_and_every_queue_a_consumer(compose):
    queues = {name: build_parser().parse_args(compose["services"][name]["command"][1:]).queues for name in WORKERS}
    assert queues == {"worker": [QUICK_QUEUE], "worker-train": [LONG_QUEUE]}
    assert {q for qs in queues.values() for q in qs} == set(QUEUES)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'atelier = "atelier.cli:main"' in pyproject


def test_environment_variables_are_ones_the_settings_know(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) <= SETTINGS_ENV, set(env) - SETTINGS_ENV
        assert env["ATELIER_REDIS_URL"].startswith("redis://redis:")
        assert env["ATELIER_VISIBILITY_TIMEOUT_SECONDS" if name in WORKERS else "ATELIER_RESULT_TTL_SECONDS"]


def test_redis_persists_and_has_a_healthcheck_others_wait_for(compose):
    redis = compose["services"]["redis"]
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert redis["healthcheck"]["test"][-1] == "ping"
    for name in APP_SERVICES:
        assert compose["services"][name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_worker_reserves_an_nvidia_gpu_and_api_listens_on_loopback_only(compose):
    devices = compose["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert all(p.startswith("127.0.0.1:") for p in compose["services"]["api"]["ports"])


def test_dockerfile_copies_every_package_and_runs_the_cli():
    dockerfile = (REPO / "Dockerfile").read_text()
    for folder in ("atelier", "app", "worker", "models", "templates", "static"):
        assert re.search(rf"^COPY {folder} ", dockerfile, re.M), folder
    assert "torch==2.13.0" in dockerfile and "USER atelier" in dockerfile
    assert 'CMD ["atelier", "serve"' in dockerfile


def test_env_example_documents_every_setting():
    text = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?(ATELIER_[A-Z_]+)=", text, re.M))
    assert documented == SETTINGS_ENV
