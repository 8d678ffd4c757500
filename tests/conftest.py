"""Settings for the whole suite.

`make test` runs two workers on a machine of two cores. PyTorch takes every core for a forward
pass by default, so while one worker scored prompts with the transformer tier the other
worker's timing tests were starved (a paced stream's time to first token measured 20 ms late).
One thread per worker, inherited by the gateways the tests start.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
