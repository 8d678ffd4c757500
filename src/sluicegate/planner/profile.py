"""The traffic profile: a typical day described hour by hour, turned into requests.

Each hour has an average and a peak rate (requests per minute). The peak lasts `peak_minutes`
minutes of the hour, spread evenly; the other minutes share the rest of the hour's requests, so
the hour's average is exactly `rpm`. Requests are evenly spaced within their minute.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from sluicegate.config.strict import Strict
from sluicegate.planner.demand import Demand
from sluicegate.planner.documents import load_document
from sluicegate.planner.errors import PlanInputError


class HourTraffic(Strict):
    hour: int | str
    """An hour of the day (0-23, UTC or local: be consistent) or an inclusive range "9-17"."""
    rpm: float = Field(ge=0)
    """Average requests per minute over the hour."""
    peak_rpm: float | None = Field(default=None, ge=0)
    """Requests per minute during the hour's busiest minutes; defaults to `rpm` (flat)."""
    peak_minutes: int | None = Field(default=None, ge=1, le=60)
    """How many minutes of the hour run at `peak_rpm`; defaults to the profile's."""
    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)

    @field_validator("hour")
    @classmethod
    def _hours(cls, value: int | str) -> int | str:
        _expand(value)
        return value

    @model_validator(mode="after")
    def _peak_not_below_average(self) -> HourTraffic:
        if self.peak_rpm is not None and self.peak_rpm < self.rpm:
            raise ValueError(
                f"peak_rpm ({self.peak_rpm:g}) is below rpm ({self.rpm:g}), the hour's average; "
                "the peak is the busiest minutes' rate, so raise it or lower rpm"
            )
        return self

    def hours(self) -> list[int]:
        return _expand(self.hour)


class TrafficProfile(Strict):
    model: str = Field(min_length=1)
    """The model, as named in the capacity table."""
    prompt_tokens: int = Field(ge=0)
    """Prompt tokens per request (an hour may override it)."""
    completion_tokens: int = Field(ge=0)
    """Completion tokens per request (an hour may override it)."""
    peak_minutes: int = Field(default=5, ge=1, le=60)
    hours: list[HourTraffic] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_hour_once(self) -> TrafficProfile:
        seen: dict[int, int] = {}
        for index, entry in enumerate(self.hours):
            for hour in entry.hours():
                if hour in seen:
                    raise ValueError(
                        f"hour {hour} is given twice (hours[{seen[hour]}] and hours[{index}]); "
                        "each hour of the day must appear exactly once"
                    )
                seen[hour] = index
        missing = sorted(set(range(24)) - set(seen))
        if missing:
            raise ValueError(
                f"hours {_ranges(missing)} are missing; list every hour of the day 0-23 "
                "(rpm: 0 for quiet hours)"
            )
        return self


def load_profile(path: Path) -> TrafficProfile:
    profile = load_document(path, TrafficProfile, "traffic profile")
    _check_peaks(profile, str(path))
    return profile


def minute_rates(profile: TrafficProfile) -> list[float]:
    """Requests per minute for each of the day's 1440 minutes."""
    rates = [0.0] * 1440
    for entry in profile.hours:
        peak = entry.rpm if entry.peak_rpm is None else entry.peak_rpm
        count = entry.peak_minutes or profile.peak_minutes
        base = _base_rate(entry.rpm, peak, count)
        peaks = {math.floor((index + 0.5) * 60 / count) for index in range(count)}
        for hour in entry.hours():
            for minute in range(60):
                rates[hour * 60 + minute] = peak if minute in peaks else base
    return rates


def profile_demand(profile: TrafficProfile, source: str) -> Demand:
    """The profile's day as requests: whole requests per minute (fractions carry over to the
    next minute), evenly spaced within the minute."""
    sizes: dict[int, tuple[int, int]] = {}
    for entry in profile.hours:
        prompt = profile.prompt_tokens if entry.prompt_tokens is None else entry.prompt_tokens
        completion = (
            profile.completion_tokens
            if entry.completion_tokens is None
            else entry.completion_tokens
        )
        for hour in entry.hours():
            sizes[hour] = (prompt, completion)
    times: list[float] = []
    prompts: list[int] = []
    completions: list[int] = []
    carried = 0.0
    for minute, rate in enumerate(minute_rates(profile)):
        carried += rate
        count = math.floor(carried + 1e-9)
        carried -= count
        prompt, completion = sizes[minute // 60]
        for index in range(count):
            times.append(minute * 60.0 + index * 60.0 / count)
        prompts.extend([prompt] * count)
        completions.extend([completion] * count)
    return Demand(profile.model, source, 1440, times, prompts, completions)


def _base_rate(rpm: float, peak: float, count: int) -> float:
    if count == 60:
        return peak
    return max(0.0, (60 * rpm - count * peak) / (60 - count))


def _check_peaks(profile: TrafficProfile, source: str) -> None:
    for index, entry in enumerate(profile.hours):
        peak = entry.rpm if entry.peak_rpm is None else entry.peak_rpm
        count = entry.peak_minutes or profile.peak_minutes
        if (60 * entry.rpm - count * peak) < -1e-9:
            raise PlanInputError(
                f"{source}: hours[{index}] (hour {entry.hour}): {count} peak minutes at "
                f"{peak:g} rpm are more requests ({count * peak:g}) than the hour has at an "
                f"average of {entry.rpm:g} rpm ({60 * entry.rpm:g}); lower peak_minutes or "
                "peak_rpm, or raise rpm"
            )


def _expand(value: int | str) -> list[int]:
    text = str(value).strip()
    first, _, last = text.partition("-")
    try:
        start, end = int(first), int(last) if last else int(first)
    except ValueError:
        raise ValueError(f"hour must be 0-23 or a range like 9-17, got {value!r}") from None
    if not 0 <= start <= end <= 23:
        raise ValueError(f"hour must be 0-23 or a range like 9-17 with start <= end, got {value!r}")
    return list(range(start, end + 1))


def _ranges(hours: list[int]) -> str:
    parts: list[str] = []
    start = previous = hours[0]
    for hour in [*hours[1:], None]:
        if hour is not None and hour == previous + 1:
            previous = hour
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if hour is not None:
            start = previous = hour
    return ", ".join(parts)
