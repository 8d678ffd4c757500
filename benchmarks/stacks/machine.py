"""How busy the machine is: per-CPU idle from /proc/stat, and CPU time of process trees.

Other work may share this machine, so every measurement is preceded by a wait for quiet CPUs and
followed by an estimate of the CPU that processes outside the study used meanwhile ("foreign"
CPU), which is recorded beside the result as its noise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HZ = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Cumulative jiffies of one CPU."""

    busy: int
    total: int


def cpu_times() -> dict[int, CpuTimes]:
    """Per-CPU cumulative busy and total jiffies."""
    result: dict[int, CpuTimes] = {}
    with open("/proc/stat", encoding="ascii") as fh:
        for line in fh:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *fields = line.split()
            values = [int(v) for v in fields[:8]]
            idle = values[3] + values[4]  # idle + iowait
            total = sum(values)
            result[int(name[3:])] = CpuTimes(busy=total - idle, total=total)
    return result


def idle_percent(before: dict[int, CpuTimes], after: dict[int, CpuTimes], cpu: int) -> float:
    total = after[cpu].total - before[cpu].total
    if total <= 0:
        return 100.0
    return round(100.0 * (1 - (after[cpu].busy - before[cpu].busy) / total), 1)


def busy_seconds(
    before: dict[int, CpuTimes], after: dict[int, CpuTimes], cpus: Iterable[int]
) -> float:
    return sum(after[c].busy - before[c].busy for c in cpus) / _HZ


def wait_quiet(
    cpus: Sequence[int], min_idle: float, max_wait_s: float, window_s: float = 1.0
) -> dict[str, float]:
    """Wait until every CPU in ``cpus`` was at least ``min_idle`` % idle over one window.

    Returns what was seen last (idle % per CPU and seconds waited); proceeds after
    ``max_wait_s`` anyway, so a busy machine shows up in the record instead of hanging the run.
    """
    start = time.monotonic()
    while True:
        before = cpu_times()
        time.sleep(window_s)
        after = cpu_times()
        seen = {f"idle_cpu{c}": idle_percent(before, after, c) for c in cpus}
        waited = time.monotonic() - start
        if all(v >= min_idle for v in seen.values()) or waited >= max_wait_s:
            return {**seen, "waited_s": round(waited, 1)}


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    pids = [root]
    index = 0
    while index < len(pids):
        pid = pids[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                    pids.extend(int(p) for p in fh.read().split())
        except OSError:
            continue
    return pids


def process_cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds of these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _HZ
