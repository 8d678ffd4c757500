"""Sample a running proxy with py-spy and say where its time goes.

py-spy's raw (collapsed-stack) output has one line per distinct stack: ``f1;f2;...;fn COUNT``.
``summarize`` turns it into the functions that hold the CPU themselves (self) and the ones under
which time is spent (inclusive), each as a share of all samples.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<where>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True, slots=True)
class Hotspots:
    samples: int
    self_top: list[tuple[str, float]]
    inclusive_top: list[tuple[str, float]]
    """Python frames under which time is spent, leaving out the loop's own (>= 95%)."""
    python_self_top: list[tuple[str, float]]
    """Self time charged to the innermost Python frame (native frames folded into it)."""


def py_spy() -> str | None:
    """Path of the py-spy executable next to this interpreter or on PATH."""
    import sys

    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, out: Path, fmt: str, cpu: int, native: bool) -> bool:
    """Record ``seconds`` of samples of ``pid``; py-spy itself runs on ``cpu``."""
    exe = py_spy()
    if exe is None:
        return False
    cmd = ["taskset", "-c", str(cpu), exe, "record", "-p", str(pid), "-d", str(seconds)]
    cmd += ["-r", "200", "-f", fmt, "-o", str(out)]
    if native:
        cmd.append("--native")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    return done.returncode == 0 and out.exists()


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    where = match["where"]
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    return f"{match['func']} ({where})"


def summarize(raw: Path, top: int = 15) -> Hotspots:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    python_own: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [_name(f) for f in stack.split(";")]
        own[frames[-1]] += count
        for name in {f for f in frames if ".py" in f}:
            inclusive[name] += count
        python_frames = [f for f in frames if ".py" in f]
        python_own[python_frames[-1] if python_frames else frames[-1]] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        total = samples or 1
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    outer = {name for name, n in inclusive.items() if n >= 0.95 * samples}
    for name in outer:
        del inclusive[name]
    return Hotspots(samples, share(own), share(inclusive), share(python_own))
