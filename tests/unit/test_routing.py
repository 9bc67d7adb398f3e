"""Which queue each kind of job goes to, how `atelier worker` picks its queues, and the worker's shutdown flag."""

from __future__ import annotations

import os
import time

import pytest
import redis

from atelier.cli import build_parser
from worker.routing import LONG_KINDS, LONG_QUEUE, QUEUES, QUICK_QUEUE, queue_for


def test_training_goes_to_its_own_queue_and_everything_else_to_the_quick_one():
    from worker.tasks import HANDLERS

    assert LONG_KINDS == {"train"} and LONG_KINDS <= set(HANDLERS)
    assert {kind: queue_for(kind) for kind in HANDLERS} == {
        "generate": QUICK_QUEUE, "interpolate": QUICK_QUEUE, "variations": QUICK_QUEUE, "restore": QUICK_QUEUE,
        "upscale": QUICK_QUEUE, "train": LONG_QUEUE}
    assert QUEUES == ("atelier", "atelier-train")  # "atelier": the one queue of earlier releases, kept


def test_worker_takes_both_queues_unless_told_otherwise():
    parse = build_parser().parse_args
    assert parse(["worker"]).queues == ["atelier", "atelier-train"]
    assert parse(["worker", "--queues", "atelier-train"]).queues == ["atelier-train"]
    assert parse(["worker", "--queues", " atelier-train,atelier,atelier-train "]).queues == ["atelier-train", "atelier"]


@pytest.mark.parametrize("bad", ["", ",", "atelier-trian", "atelier,celery"])
def test_worker_refuses_a_queue_nobody_publishes_to(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["worker", "--queues", bad])
    assert exc.value.code == 2 and "atelier-train" in capsys.readouterr().err


@pytest.fixture
def celery_env(redis_server, monkeypatch):
    """worker.celery_app reads the broker URL once, at import: always this session's Redis, whichever test is first."""
    from atelier.settings import get_settings

    monkeypatch.setenv("ATELIER_REDIS_URL", redis_server)
    get_settings.cache_clear()
    redis.Redis.from_url(redis_server).flushdb()
    yield redis_server
    get_settings.cache_clear()


def test_worker_command_passes_the_queues_to_celery(celery_env, monkeypatch):
    from atelier import cli
    from worker.celery_app import app

    seen = []
    monkeypatch.setattr(app, "worker_main", lambda argv: seen.append(argv))
    assert cli.main(["worker", "--queues", "atelier-train", "--pool", "solo"]) == 0
    assert cli.main(["worker"]) == 0
    assert "--queues=atelier-train" in seen[0] and "--pool=solo" in seen[0]
    assert "--queues=atelier,atelier-train" in seen[1] and "--prefetch-multiplier=1" in seen[1]


def test_celery_declares_both_queues_and_forks_its_pool(celery_env):
    from worker.celery_app import app

    assert [(q.name, q.exchange.name, q.routing_key) for q in app.conf.task_queues] == [
        ("atelier", "atelier", "atelier"), ("atelier-train", "atelier-train", "atelier-train")]
    assert app.conf.task_default_queue == QUICK_QUEUE and app.conf.worker_pool_start_method == "fork"


def test_jobs_are_published_to_their_kinds_queue_and_depth_counts_both(celery_env):
    from worker.queue import CeleryQueue

    r = redis.Redis.from_url(celery_env)
    queue = CeleryQueue(celery_env)
    try:
        assert queue.depth() == 0
        queue.submit("a" * 32, "train")
        queue.submit("b" * 32, "generate")
        queue.submit("c" * 32, "restore")
        assert r.llen(LONG_QUEUE) == 1 and r.llen(QUICK_QUEUE) == 2 and queue.depth() == 3
        assert "a" * 32 in r.lindex(LONG_QUEUE, 0).decode()
    finally:
        queue.close()


def test_shutdown_flag_set_in_the_parent_is_seen_by_a_forked_child(celery_env):
    """What prefork relies on: the main process sets the flag in its SIGTERM handler, the pool child running the
    job reads it."""
    from worker.celery_app import _ShutdownFlag

    flag = _ShutdownFlag()
    pid = os.fork()
    if pid == 0:  # the child: waits up to 10 s for the parent's word
        deadline = time.monotonic() + 10
        while not flag.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(0 if flag.is_set() else 1)
    assert not flag.is_set()
    time.sleep(0.1)
    flag.set()
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0


def test_a_handed_back_job_is_logged_at_info_without_a_traceback(caplog):
    import logging

    from celery.exceptions import Reject

    from worker.celery_app import HANDED_BACK

    trace_log = logging.getLogger("celery.app.trace")
    caplog.set_level(logging.INFO, logger="celery.app.trace")
    for exc in (Reject(f"job j1 {HANDED_BACK}", requeue=True), Reject("bad message", requeue=False)):
        try:
            raise exc
        except Reject:
            trace_log.warning("Task %s rejected: %r", "atelier.run_job", exc, exc_info=True)
    handed_back, other = caplog.records
    assert (handed_back.levelname, handed_back.exc_info) == ("INFO", None)
    assert "job j1 handed back" in handed_back.getMessage()
    assert other.levelname == "WARNING" and other.exc_info is not None  # any other rejection is still a warning
