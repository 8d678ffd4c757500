"""Budget spend counters in Redis, shared by every replica: N replicas enforce one budget.

Checking and charging every budget of a request is one Lua script, so replicas cannot both
squeeze into the last dollar. A counter Redis does not hold yet (a new period, or a Redis that
lost its data) is started from the ledger's spend with `SET NX`, so exactly one seed wins,
and expires a day after its period ends (a lifetime relative to now, so a skew between
our clock and Redis's cannot drop it early). Money is counted in whole micro-dollars (`INCRBY`).

While Redis is unreachable the store follows the quota failure mode: fail-open admits without
counting, fail-closed refuses with 503. Settling never raises: the request is already over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from redis.asyncio import Redis

from sluicegate.core.budget import (
    BudgetCharge,
    BudgetLine,
    BudgetRefusal,
    BudgetStanding,
    SpendSource,
    period_end,
    period_start,
    to_micros,
)
from sluicegate.core.clock import Clock, SystemClock
from sluicegate.core.errors import ServiceUnavailable
from sluicegate.core.quota import FailureMode
from sluicegate.stores.redis_calls import RedisCalls, Unavailable, as_ints, bounded_client

CHARGE = """
local amount = tonumber(ARGV[1])
local values = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v then return {-1, i} end
  values[i] = tonumber(v)
end
if ARGV[2] == '1' then
  for i = 1, #KEYS do
    if values[i] + amount > tonumber(ARGV[2 + i]) then return {0, i, values[i]} end
  end
end
local out = {1}
for i = 1, #KEYS do out[i + 1] = redis.call('INCRBY', KEYS[i], amount) end
return out
"""

SETTLE = """
local delta = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('INCRBY', KEYS[i], delta)
    if v < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL'); v = 0 end
    out[i] = v
  else
    out[i] = -1
  end
end
return out
"""

KEEP_AFTER_PERIOD = timedelta(days=1)
MAX_SEED_ROUNDS = 4


class RedisBudgetStore:
    """A `core.budget.BudgetStore` in Redis (redis-py asyncio)."""

    def __init__(
        self,
        client: Redis,
        source: SpendSource | None,
        *,
        prefix: str = "sluicegate",
        failure_mode: FailureMode = FailureMode.OPEN,
        timeout_s: float = 0.25,
        clock: Clock | None = None,
        owns_client: bool = False,
    ) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"a Redis key prefix must be non-empty without braces, not {prefix!r}")
        self._client = client
        self._source = source
        self._owns_client = owns_client
        self._prefix = f"{{{prefix}}}:b:"
        self._mode = FailureMode(failure_mode)
        self._calls = RedisCalls("budget store", clock or SystemClock(), timeout_s=timeout_s)
        self._charge = client.register_script(CHARGE)
        self._settle = client.register_script(SETTLE)

    @classmethod
    def from_url(
        cls, url: str, source: SpendSource | None, *, timeout_s: float = 0.25, **options: object
    ) -> RedisBudgetStore:
        client = bounded_client(url, timeout_s)
        return cls(client, source, timeout_s=timeout_s, owns_client=True, **options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"RedisBudgetStore(prefix={self._prefix!r}, mode={self._mode.value})"

    async def charge(
        self, lines: tuple[BudgetLine, ...], micros: int, at: datetime, *, enforce: bool = True
    ) -> tuple[BudgetCharge, list[BudgetStanding]] | BudgetRefusal:
        if micros < 0:
            raise ValueError(f"a charge must not be negative, not {micros}")
        keys = [self._key(line, at) for line in lines]
        args = [str(micros), "1" if enforce else "0"]
        args += [str(to_micros(line.budget.amount_usd)) for line in lines]
        try:
            for _ in range(MAX_SEED_ROUNDS):
                raw = as_ints(await self._calls.run(lambda: self._charge(keys=keys, args=args)))
                if raw[0] == -1:
                    await self._seed(lines[raw[1] - 1], keys[raw[1] - 1], at)
                    continue
                if raw[0] == 0:
                    return BudgetRefusal(lines[raw[1] - 1], raw[2], micros, at)
                standings = [
                    BudgetStanding(line, spent) for line, spent in zip(lines, raw[1:], strict=True)
                ]
                return BudgetCharge(lines, at, micros), standings
            raise Unavailable  # counters keep vanishing (evicted as soon as seeded)
        except Unavailable:
            if enforce and self._mode is FailureMode.CLOSED:
                raise ServiceUnavailable(
                    "The budget store is unreachable; requests with a budget are refused until "
                    "it is back."
                ) from None
            return BudgetCharge(lines, at, micros, offline=True), []

    async def settle(self, charge: BudgetCharge, actual_micros: int) -> list[BudgetStanding]:
        if charge.offline or not charge.lines:
            return []
        keys = [self._key(line, charge.at) for line in charge.lines]
        args = [str(max(0, actual_micros) - charge.micros)]
        try:
            raw = as_ints(await self._calls.run(lambda: self._settle(keys=keys, args=args)))
        except Unavailable:
            return []
        return [
            BudgetStanding(line, spent)
            for line, spent in zip(charge.lines, raw, strict=True)
            if spent >= 0
        ]

    async def spent(self, line: BudgetLine, at: datetime) -> int:
        key = self._key(line, at)
        try:
            value = await self._calls.run(lambda: self._client.get(key))
            if value is None:
                await self._seed(line, key, at)
                value = await self._calls.run(lambda: self._client.get(key))
        except Unavailable as exc:
            raise ServiceUnavailable("The budget store is unreachable.") from exc
        return int(value or 0)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _key(self, line: BudgetLine, at: datetime) -> str:
        return self._prefix + line.counter(at)

    async def _seed(self, line: BudgetLine, key: str, at: datetime) -> None:
        """Start a counter from the ledger; another replica's seed, if first, wins."""
        seed = 0
        if self._source is not None:
            since = period_start(line.budget.period, at)
            seed = to_micros(await self._source.spent_since(line.scope, line.subject, since))
        # Relative, not absolute: Redis's clock and ours may disagree, and an expiry already
        # past on Redis's clock would drop the counter the moment it is set.
        lifetime = period_end(line.budget.period, at) - at + KEEP_AFTER_PERIOD
        ttl_ms = max(1, int(lifetime.total_seconds() * 1000))
        await self._calls.run(lambda: self._client.set(key, seed, nx=True, px=ttl_ms))
