"""The plan: PTUs for a percentile of minutes, monthly costs at several PTU counts, the
break-even utilization, and a recommendation that says why.

Every formula is in docs/planner.md; the names here follow it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sluicegate.planner.capacity import HOURS_PER_MONTH, ModelCapacity
from sluicegate.planner.demand import Demand
from sluicegate.planner.replay import ReplayResult, replay

TABLE_ROWS = 12
"""PTU counts shown in the cost table (plus the ones the plan names)."""


@dataclass(frozen=True, slots=True)
class PlanOptions:
    percentile: float = 95.0
    payg_tpm: int | None = None
    payg_rpm: int | None = None
    window_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class CostRow:
    """One PTU count with PAYG spillover, per month."""

    ptus: int
    ptu_usd: float
    payg_usd: float
    utilization: float
    """Share of the PTU capacity used over the period."""
    spill_share: float
    """Share of all tokens served by PAYG."""
    refused_share: float
    """Share of all tokens refused by both (429)."""
    minutes_spilling: int
    minutes_refused: int
    replay: ReplayResult

    @property
    def total_usd(self) -> float:
        return self.ptu_usd + self.payg_usd


@dataclass(frozen=True, slots=True)
class Plan:
    model: str
    source: str
    capacity: ModelCapacity
    options: PlanOptions
    minutes: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    weighted_percentile_tpm: float
    """Weighted tokens in the percentile minute."""
    peak_weighted_tpm: float
    exact_ptus: float
    """weighted_percentile_tpm / input_tpm_per_ptu, before rounding."""
    ptus_for_percentile: int
    ptus_for_peak: int
    payg_month_usd: float
    """All PAYG (no PTU)."""
    all_ptu_month_usd: float
    """PTUs for the peak minute, no PAYG."""
    break_even_utilization: float | None
    """Utilization above which a PTU costs less than the same tokens on PAYG (None: no tokens)."""
    rows: list[CostRow]
    best: CostRow
    recommended: CostRow
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def month_factor(self) -> float:
        return HOURS_PER_MONTH * 60.0 / self.minutes


def minute_weighted_tokens(demand: Demand, capacity: ModelCapacity) -> list[int]:
    """Weighted tokens (input-token equivalents) arriving in each minute of the period."""
    totals = [0] * demand.minutes
    for now, prompt, completion in zip(
        demand.times, demand.prompt_tokens, demand.completion_tokens, strict=True
    ):
        totals[min(demand.minutes - 1, int(now // 60.0))] += capacity.weighted(prompt, completion)
    return totals


def nearest_rank(values: list[int], percentile: float) -> int:
    """The nearest-rank percentile: the smallest value at least `percentile`% of values reach."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100.0 * len(ordered) - 1e-9))
    return ordered[rank - 1]


def break_even_utilization(
    capacity: ModelCapacity, prompt_tokens: int, completion_tokens: int
) -> float | None:
    """PTU price per hour / PAYG price of a full PTU-hour of this traffic's token mix."""
    weighted = prompt_tokens + capacity.output_token_weight * completion_tokens
    if weighted <= 0:
        return None
    usd_per_weighted_token = capacity.payg_usd(prompt_tokens, completion_tokens) / weighted
    full_hour_usd = capacity.input_tpm_per_ptu * 60.0 * usd_per_weighted_token
    if full_hour_usd <= 0:
        return math.inf
    return capacity.ptu_hour_usd / full_hour_usd


def deployable_counts(capacity: ModelCapacity, up_to: int) -> list[int]:
    """0 (no PTU) and every deployable count from the minimum up to `up_to`."""
    if up_to < capacity.minimum_ptus:
        return [0]
    return [0, *range(capacity.minimum_ptus, up_to + 1, capacity.increment_ptus)]


def cost_row(demand: Demand, capacity: ModelCapacity, ptus: int, options: PlanOptions) -> CostRow:
    result = replay(
        demand,
        capacity,
        ptus,
        payg_tpm=options.payg_tpm,
        payg_rpm=options.payg_rpm,
        window_seconds=options.window_seconds,
    )
    factor = demand.month_factor
    total_tokens = sum(demand.prompt_tokens) + sum(demand.completion_tokens)
    capacity_tokens = capacity.ptu_capacity_tpm(ptus) * demand.minutes
    return CostRow(
        ptus=ptus,
        ptu_usd=capacity.ptu_month_usd(ptus),
        payg_usd=factor
        * capacity.payg_usd(result.spilled_prompt_tokens, result.spilled_completion_tokens),
        utilization=result.ptu_weighted_tokens / capacity_tokens if capacity_tokens else 0.0,
        spill_share=result.spilled_tokens / total_tokens if total_tokens else 0.0,
        refused_share=result.refused_tokens / total_tokens if total_tokens else 0.0,
        minutes_spilling=result.minutes_spilling,
        minutes_refused=result.minutes_refused,
        replay=result,
    )


def make_plan(demand: Demand, capacity: ModelCapacity, options: PlanOptions) -> Plan:
    if not 0 < options.percentile <= 100:
        raise ValueError("the percentile must be above 0 and at most 100")
    minutes = minute_weighted_tokens(demand, capacity)
    percentile_tpm = nearest_rank(minutes, options.percentile)
    peak_tpm = max(minutes)
    exact = percentile_tpm / capacity.input_tpm_per_ptu
    for_percentile = capacity.round_ptus(exact)
    for_peak = capacity.round_ptus(peak_tpm / capacity.input_tpm_per_ptu)
    prompt, completion = sum(demand.prompt_tokens), sum(demand.completion_tokens)

    rows: dict[int, CostRow] = {}

    def row(ptus: int) -> CostRow:
        if ptus not in rows:
            rows[ptus] = cost_row(demand, capacity, ptus, options)
        return rows[ptus]

    counts = deployable_counts(capacity, max(for_peak, capacity.minimum_ptus))
    for ptus in _sample(counts, TABLE_ROWS):
        row(ptus)
    for ptus in {for_percentile, for_peak}:
        row(ptus)
    best = _cheapest(counts, row)
    recommended, reasons = _recommend(best, row, counts, capacity, options)
    plan = Plan(
        model=demand.model,
        source=demand.source,
        capacity=capacity,
        options=options,
        minutes=demand.minutes,
        requests=demand.requests,
        prompt_tokens=prompt,
        completion_tokens=completion,
        weighted_percentile_tpm=float(percentile_tpm),
        peak_weighted_tpm=float(peak_tpm),
        exact_ptus=exact,
        ptus_for_percentile=for_percentile,
        ptus_for_peak=for_peak,
        payg_month_usd=demand.month_factor * capacity.payg_usd(prompt, completion),
        all_ptu_month_usd=capacity.ptu_month_usd(for_peak),
        break_even_utilization=break_even_utilization(capacity, prompt, completion),
        rows=sorted(rows.values(), key=lambda item: item.ptus),
        best=best,
        recommended=recommended,
        warnings=_warnings(demand),
    )
    plan.reasons.extend(explain(plan, reasons))
    return plan


def _sample(counts: list[int], size: int) -> list[int]:
    if len(counts) <= size:
        return counts
    step = (len(counts) - 1) / (size - 1)
    return sorted({counts[round(index * step)] for index in range(size)})


def _cheapest(counts: list[int], row: Callable[[int], CostRow]) -> CostRow:
    """The cheapest count: the sampled table's best, then a search between its neighbours
    (total cost falls then rises with the PTU count, so the minimum is between them)."""
    sampled = _sample(counts, TABLE_ROWS)
    best = min(sampled, key=lambda ptus: (row(ptus).total_usd, ptus))
    at = sampled.index(best)
    low = counts.index(sampled[max(0, at - 1)])
    high = counts.index(sampled[min(len(sampled) - 1, at + 1)])
    while high - low > 2:
        left = low + (high - low) // 3
        right = high - (high - low) // 3
        if row(counts[left]).total_usd <= row(counts[right]).total_usd:
            high = right
        else:
            low = left
    window = [counts[index] for index in range(low, high + 1)] + [best]
    return min((row(ptus) for ptus in window), key=lambda item: (item.total_usd, item.ptus))


def _recommend(
    best: CostRow,
    row: Callable[[int], CostRow],
    counts: list[int],
    capacity: ModelCapacity,
    options: PlanOptions,
) -> tuple[CostRow, list[str]]:
    """The cheapest count, unless PAYG's quota refuses requests there: then the cheapest
    count at which nothing is refused (a 429 to a user costs more than the difference)."""
    if best.minutes_refused == 0:
        return best, []
    for ptus in counts:
        if ptus > best.ptus and row(ptus).minutes_refused == 0:
            safe = row(ptus)
            return safe, [
                f"The cheapest count, {best.ptus} PTUs, leaves {best.minutes_refused} minutes "
                f"in which the PAYG quota refuses requests too (429 to clients); "
                f"{safe.ptus} PTUs is the smallest count with none, for "
                f"${safe.total_usd - best.total_usd:,.0f} more per month."
            ]
    return best, [
        f"Even at {counts[-1]} PTUs the PAYG quota refuses requests in some minutes; raise the "
        "PAYG quota (--payg-tpm/--payg-rpm) or buy more PTUs."
    ]


def explain(plan: Plan, extra: list[str]) -> list[str]:
    """The recommendation in plain words."""
    chosen, capacity = plan.recommended, plan.capacity
    reasons: list[str] = []
    even = plan.break_even_utilization
    if chosen.ptus == 0:
        reasons.append(
            f"Stay on PAYG: it costs ${plan.payg_month_usd:,.0f} per month, and no PTU count is "
            "cheaper."
        )
        if even is not None and even > 1:
            reasons.append(
                f"A PTU would have to run at {even:.0%} utilization to pay for itself, which is "
                "impossible: at these prices PTUs buy latency and guaranteed capacity, not savings."
            )
        elif even is not None:
            reasons.append(
                f"A PTU pays for itself above {even:.0%} utilization; even the smallest "
                f"deployment ({capacity.minimum_ptus} PTUs) would be used less than that."
            )
    else:
        saving = plan.payg_month_usd - chosen.total_usd
        reasons.append(
            f"Buy {chosen.ptus} PTUs and let the rest spill to PAYG: "
            f"${chosen.total_usd:,.0f} per month (${chosen.ptu_usd:,.0f} PTU + "
            f"${chosen.payg_usd:,.0f} PAYG), "
            + (
                f"${saving:,.0f} less than all-PAYG (${plan.payg_month_usd:,.0f})"
                if saving >= 0
                else f"${-saving:,.0f} more than all-PAYG (${plan.payg_month_usd:,.0f})"
            )
            + f" and ${plan.all_ptu_month_usd - chosen.total_usd:,.0f} less than PTUs for the "
            f"peak minute ({plan.ptus_for_peak} PTUs, ${plan.all_ptu_month_usd:,.0f})."
        )
        reasons.append(
            f"At {chosen.ptus} PTUs the capacity is {chosen.utilization:.0%} used "
            + (
                f"(break-even is {even:.0%})"
                if even is not None and math.isfinite(even)
                else "(PAYG is free at these prices)"
            )
            + f"; {chosen.spill_share:.1%} of the tokens spill to PAYG, in "
            f"{chosen.minutes_spilling:,} of {plan.minutes:,} minutes: without spillover those "
            "minutes would see 429s."
        )
    sized = plan.ptus_for_percentile
    if sized != chosen.ptus and sized > 0:
        percentile_row = next(row for row in plan.rows if row.ptus == sized)
        difference = percentile_row.total_usd - chosen.total_usd
        reasons.append(
            f"Sizing for the {plan.options.percentile:g}th percentile minute would mean {sized} "
            f"PTUs: ${percentile_row.total_usd:,.0f} per month "
            f"({'+' if difference >= 0 else '-'}${abs(difference):,.0f}), "
            f"{percentile_row.spill_share:.1%} of tokens spilling in "
            f"{percentile_row.minutes_spilling} minutes. Choose it if latency on the PTU matters "
            "more than the difference."
        )
    reasons.extend(extra)
    return reasons


def _warnings(demand: Demand) -> list[str]:
    warnings: list[str] = []
    if demand.start is not None and demand.minutes < 7 * 24 * 60:
        warnings.append(
            f"The usage log covers {demand.minutes / 1440:.1f} days; a week or more captures "
            "weekly cycles and gives a steadier plan."
        )
    if demand.requests == 0:
        warnings.append("There are no requests: nothing to plan.")
    return warnings
