"""Markdown tables from the stack study's results.json (the runner's output)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _best(target: dict[str, Any], phase: str) -> dict[str, Any] | None:
    entry = target.get(phase)
    return None if entry is None else entry["best"]


def _rps(target: dict[str, Any], phase: str) -> str:
    best = _best(target, phase)
    if best is None:
        return "–"
    errors = sum(best["result"]["errors"].values())
    return f"{best['result']['rps']:,.0f}" + (f" ({errors} err)" if errors else "")


def _per_core(target: dict[str, Any], phase: str) -> str:
    """req/s divided by the share of a core the proxy got: robust to CPU stolen by others."""
    entry = target.get(phase)
    if entry is None:
        return "–"
    best = max(
        (
            r["result"]["rps"] / (r["stack_cpu_pct"] / 100)
            for r in entry["runs"]
            if r["stack_cpu_pct"]
        ),
        default=None,
    )
    return "–" if best is None else f"{best:,.0f}"


def _lat(target: dict[str, Any], phase: str, key: str = "latency") -> tuple[float, float] | None:
    best = _best(target, phase)
    if best is None or not best["result"].get(key):
        return None
    dist = best["result"][key]
    return float(dist["p50"]), float(dist["p99"])


def stack_table(results: dict[str, Any]) -> str:
    rate = f"open_{results['config']['rate']:g}"
    direct = results["targets"].get("direct", {})
    base = _lat(direct, rate)
    rows = [
        "| stack | req/s c=32 | req/s c=64 | stream req/s c=32 | stream req/s c=64 "
        "| stream first byte p50 c=32 | p50 / p99 @rate | added p50 / p99 | proxy CPU @rate "
        "| req/s per busy core (plain / stream, c=32) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, target in results["targets"].items():
        if "error" in target:
            rows.append(f"| {name} | failed: {target['error']} |||||||| ")
            continue
        lat = _lat(target, rate)
        ttfb = _lat(target, "stream_c32", "ttfb")
        added = (
            f"+{lat[0] - base[0]:.2f} / +{lat[1] - base[1]:.2f} ms"
            if lat and base and name != "direct"
            else "–"
        )
        best = _best(target, rate)
        cpu = f"{best['stack_cpu_pct']:.0f}%" if best and name != "direct" else "–"
        ttfb_text = f"{ttfb[0]:.2f} ms" if ttfb else "–"
        lat_text = f"{lat[0]:.2f} / {lat[1]:.2f} ms" if lat else "–"
        rows.append(
            f"| {name} | {_rps(target, 'plain_c32')} | {_rps(target, 'plain_c64')} "
            f"| {_rps(target, 'stream_c32')} | {_rps(target, 'stream_c64')} "
            f"| {ttfb_text} | {lat_text} | {added} | {cpu} "
            f"| {_per_core(target, 'plain_c32')} / {_per_core(target, 'stream_c32')} |"
        )
    return "\n".join(rows)


def noise_table(results: dict[str, Any]) -> str:
    rows = [
        "| target | phase | each run (req/s or p50/p99 ms) | foreign CPU % per run "
        "| idle % before (cpu0, cpu1) |",
        "|---|---|---|---|---|",
    ]
    for name, target in results["targets"].items():
        if "error" in target:
            continue
        for phase, entry in target.items():
            runs = entry["runs"]
            if entry["phase"]["rate"] is None:
                values = " · ".join(f"{r['result']['rps']:,.0f}" for r in runs)
            else:
                values = " · ".join(
                    f"{r['result']['latency']['p50']:.2f}/{r['result']['latency']['p99']:.2f}"
                    for r in runs
                    if r["result"]["latency"]
                )
            foreign = " · ".join(f"{r['foreign_cpu_pct']:.0f}" for r in runs)
            idle = " · ".join(
                "/".join(f"{v:.0f}" for k, v in r["quiet_before"].items() if k.startswith("idle"))
                for r in runs
            )
            rows.append(f"| {name} | {phase} | {values} | {foreign} | {idle} |")
    return "\n".join(rows)


def selftest_table(results: dict[str, Any]) -> str:
    rows = [
        "| load | achieved req/s | send lag p50 / p99 | latency p50 / p99 (from schedule) "
        "| generator CPU |",
        "|---|---|---|---|---|",
    ]
    for entry in results.get("loadgen_selftest", []):
        res = entry["best"]["result"]
        lag = res.get("send_lag")
        lat = res.get("latency") or {"p50": 0, "p99": 0}
        load = f"open {res['rate']:g} req/s" if res["rate"] else f"closed c={res['concurrency']}"
        lag_text = f"{lag['p50']:.2f} / {lag['p99']:.2f} ms" if lag else "–"
        rows.append(
            f"| {load} | {res['rps']:,.0f} | {lag_text} "
            f"| {lat['p50']:.2f} / {lat['p99']:.2f} ms "
            f"| {100 * res['cpu_s'] / res['elapsed_s']:.0f}% |"
        )
    return "\n".join(rows)


def profile_lists(results: dict[str, Any]) -> str:
    lines: list[str] = []
    for phase, spots in results.get("profile", {}).items():
        if not isinstance(spots, dict):
            lines.append(f"- {phase}: {spots}")
            continue
        lines.append(f"\n**{phase}** ({spots['samples']} samples)\n")
        lines.append("innermost Python frame (self, native folded in):")
        lines += [f"- {share:5.1f}%  {name}" for name, share in spots["python_self_top"]]
        lines.append("\nself (native frames included):")
        lines += [f"- {share:5.1f}%  {name}" for name, share in spots["self_top"]]
        lines.append("\ninclusive (Python frames below the event loop):")
        lines += [f"- {share:5.1f}%  {name}" for name, share in spots["inclusive_top"]]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    parts = [
        "## Stacks (best of repeats)\n",
        stack_table(results),
        "\n## Every run, with the noise seen\n",
        noise_table(results),
    ]
    if results.get("loadgen_selftest"):
        parts += ["\n## Load generator alone on one core\n", selftest_table(results)]
    if results.get("profile"):
        parts += ["\n## aiohttp proxy profile\n", profile_lists(results)]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
