"""The library's notices logged in a Dask worker process reach the user: they are handed to
the submitting process's ``talentwar`` logger with the result."""

from __future__ import annotations

import logging
import os

import pytest

from sim.errors import log
from sim.sweeps import backends
from sim.sweeps.backends import DaskBackend, with_notices


def test_a_notice_logged_in_a_dask_worker_reaches_the_submitting_process(
        caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("distributed")
    caplog.set_level(logging.INFO, logger=log.name)
    backend = DaskBackend("local", 1)
    try:
        info = backend.run(log.info, "removed %s, left by an interrupted run", "x/.tmp")
        warning = backend.run(log.warning, "%d runs dropped", 3)
        assert info.result() is None and warning.result() is None
        assert info.result() is None  # told once
        worker = backend.client.run(os.getpid)
    finally:
        backend.close(cancel=True)
    notices = [r for r in caplog.records if r.name == log.name]
    assert [(r.levelno, r.getMessage()) for r in notices] == [
        (logging.INFO, "removed x/.tmp, left by an interrupted run"),
        (logging.WARNING, "3 runs dropped")]
    assert {r.process for r in notices} == set(worker.values()) != {os.getpid()}


def test_in_the_submitting_process_a_notice_is_not_kept_twice(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    value, kept = with_notices(os.getpid(), log.info, "removed %s", "y")
    assert value is None and kept == []
    assert [r.getMessage() for r in caplog.records] == ["removed y"]


def test_a_worker_process_without_a_handler_keeps_its_notices(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # (as a worker, it would set the allocator: not this test process's)
    monkeypatch.setattr(backends, "keep_freed_memory", lambda: False)
    handlers, level = list(log.handlers), log.level
    for handler in handlers:
        log.removeHandler(handler)
    try:
        _, kept = with_notices(os.getpid() + 1, log.info, "removed %s", "z")
    finally:
        for handler in handlers:
            log.addHandler(handler)
        log.setLevel(level)
    assert [(k["levelno"], k["msg"], k["args"]) for k in kept] == [
        (logging.INFO, "removed z", None)]
