"""Settings for the whole suite.

`make test` runs two workers on a machine of two cores, so a test that keeps both cores busy
starves whatever the other worker runs. Timing tests suffered from it (a paced stream's time to
first token measured 20 ms late while the other worker scored prompts with the transformer
tier). So:

- each worker's PyTorch gets one thread. Only PyTorch's: `OMP_NUM_THREADS` would also change
  scikit-learn's parallel sums, and with them the retrained linear model that a test compares
  with the shipped one;
- tests that time things, and the few that still need both cores, hold `cpu_to_itself`, a lock
  the workers share: every other test holds it shared, so such a test runs alone (a paced
  stream's time to first token still measured 8 ms late at p99 on a slower machine with the
  other worker running ordinary tests beside it).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_configure(config: pytest.Config) -> None:
    worker = hasattr(config, "workerinput")  # set by pytest-xdist in its workers
    if worker and importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)


@pytest.fixture
def cpu_to_itself(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """While the test runs, no other test runs in another worker."""
    yield from _holding(tmp_path_factory, fcntl.LOCK_EX)


@pytest.fixture(autouse=True)
def _cpu_shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Every other test holds the same lock shared: any number run together, none beside a test
    that has the CPU to itself."""
    if "cpu_to_itself" in request.fixturenames:
        yield
        return
    yield from _holding(tmp_path_factory, fcntl.LOCK_SH)


def _holding(tmp_path_factory: pytest.TempPathFactory, mode: int) -> Iterator[None]:
    # Each worker's base directory sits in the run's own directory, which all of them share.
    lock = tmp_path_factory.getbasetemp().parent / "cpu_to_itself.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
