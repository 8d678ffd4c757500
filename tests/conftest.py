"""Settings for the whole suite.

`make test` runs two workers on a machine of two cores, so a test that keeps both cores busy
starves whatever the other worker runs. Timing tests suffered from it (a paced stream's time to
first token measured 20 ms late while the other worker scored prompts with the transformer
tier). So:

- each worker's PyTorch gets one thread. Only PyTorch's: `OMP_NUM_THREADS` would also change
  scikit-learn's parallel sums, and with them the retrained linear model that a test compares
  with the shipped one;
- tests that time things, and the few that still need both cores, hold `cpu_to_itself`, a lock
  the workers share, so they never run at the same time.
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
    """While the test runs, no other test holding this fixture runs in another worker."""
    # Each worker's base directory sits in the run's own directory, which all of them share.
    lock = tmp_path_factory.getbasetemp().parent / "cpu_to_itself.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
