import os

import pytest

from accreditation.trust import selectors, snapshots
from tests.trust.factories import Workflow


@pytest.fixture(autouse=True)
def _fresh_snapshot_store(monkeypatch):
    """Each test starts with an empty snapshot store (Redis db of this run, or in-process);
    parallel workers (xdist) each get their own key namespace in the shared Redis db."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        monkeypatch.setattr(snapshots, "NAMESPACE", f"trust-test-{worker}:")
    snapshots.set_store(None)
    snapshots.get_store().flush()
    selectors.local_counter._counts.clear()
    yield
    snapshots.set_store(None)


@pytest.fixture
def wf(django_capture_on_commit_callbacks) -> Workflow:
    return Workflow(django_capture_on_commit_callbacks)


@pytest.fixture
def redis_down():
    """Point the snapshot store at a closed port: connection refused, as if Redis stopped."""
    store = snapshots.RedisSnapshotStore("redis://127.0.0.1:9/0", timeout=0.05)
    snapshots.set_store(store)
    return store
