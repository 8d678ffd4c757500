"""The Lua scripts behind `RedisQuotaStore`: one script per operation, each atomic in Redis.

Time is Redis `TIME` read inside the script, so replicas with skewed clocks agree. Each quota
subject has two keys: a sorted set `log` (reservation id → charge instant in microseconds) and
a hash `amt` (reservation id → tokens, plus the field `=` holding their sum). The same sliding-log
algorithm as `stores.quota_log` (see there for why it is exact): expire what left the window,
check every limit, charge all or none. Numbers given back to Redis commands go through
`string.format('%.0f')`, because Lua's default conversion keeps only 14 digits and a timestamp
in microseconds has 16.
"""

from __future__ import annotations

from sluicegate.stores.quota_decision import SCAN_LIMIT

_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local horizon = now - window
local function num(x) return string.format('%.0f', x) end

local function expire(log, amt)
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', num(horizon))
  local n = #old
  if n == 0 then return end
  local freed = 0
  for i = 1, n, 256 do
    local j = math.min(i + 255, n)
    local values = redis.call('HMGET', amt, unpack(old, i, j))
    for k = 1, j - i + 1 do
      freed = freed + (tonumber(values[k]) or 0)
    end
    redis.call('HDEL', amt, unpack(old, i, j))
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', num(horizon))
  redis.call('HINCRBY', amt, '=', num(-freed))
end
"""

RESERVE = (
    _COMMON
    + """
-- KEYS: log, amt per limit. ARGV: window_us, ttl_ms, id, tokens, enforce (1|0),
-- then tpm, rpm per limit ('' = no limit of that kind).
-- Returns {charged, now_us, then per limit: used tokens, used requests, token wait,
-- request wait}; a wait is -2 when the request fits, -1 when it never can, else microseconds.
local ttl = ARGV[2]
local id = ARGV[3]
local tokens = tonumber(ARGV[4])
local enforce = ARGV[5] == '1'
local SCAN_LIMIT = __SCAN_LIMIT__  -- denials walk a bounded prefix of the log

local function wait_tokens(log, amt, need)
  local freed = 0
  local start = 0
  while start < SCAN_LIMIT do
    local e = redis.call('ZRANGE', log, start, start + 63, 'WITHSCORES')
    if #e == 0 then return window end
    local ids = {}
    for k = 1, #e, 2 do ids[#ids + 1] = e[k] end
    local values = redis.call('HMGET', amt, unpack(ids))
    for k = 1, #ids do
      freed = freed + (tonumber(values[k]) or 0)
      if freed >= need or start + k >= SCAN_LIMIT then
        return tonumber(e[2 * k]) + window - now
      end
    end
    start = start + 64
  end
  return window
end

local function wait_requests(log, need)
  local e = redis.call('ZRANGE', log, need - 1, need - 1, 'WITHSCORES')
  if e[2] then return tonumber(e[2]) + window - now end
  return window
end

local out = {0, now}
local over = false
for i = 1, #KEYS / 2 do
  local log, amt = KEYS[2 * i - 1], KEYS[2 * i]
  expire(log, amt)
  local used = tonumber(redis.call('HGET', amt, '=') or '0')
  local count = redis.call('ZCARD', log)
  local tpm = tonumber(ARGV[4 + 2 * i])
  local rpm = tonumber(ARGV[5 + 2 * i])
  local tw, rw = -2, -2
  if tpm and used + tokens > tpm then
    if tokens > tpm then tw = -1 else tw = wait_tokens(log, amt, used + tokens - tpm) end
  end
  if rpm and count + 1 > rpm then
    if rpm == 0 then rw = -1 else rw = wait_requests(log, count + 1 - rpm) end
  end
  if tw ~= -2 or rw ~= -2 then over = true end
  out[#out + 1] = used
  out[#out + 1] = count
  out[#out + 1] = tw
  out[#out + 1] = rw
end
if over and enforce then return out end
out[1] = 1
for i = 1, #KEYS / 2 do
  local log, amt = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZADD', log, num(now), id)
  redis.call('HSET', amt, id, num(tokens))
  redis.call('HINCRBY', amt, '=', num(tokens))
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', amt, ttl)
end
return out
""".replace("__SCAN_LIMIT__", str(SCAN_LIMIT))
)

RECONCILE = (
    _COMMON
    + """
-- KEYS: log, amt per limit. ARGV: window_us, id, actual tokens.
-- A charge still inside the window gets the new amount at its original instant.
local id = ARGV[2]
local actual = tonumber(ARGV[3])
local adjusted = 0
for i = 1, #KEYS / 2 do
  local log, amt = KEYS[2 * i - 1], KEYS[2 * i]
  local at = redis.call('ZSCORE', log, id)
  if at and tonumber(at) > horizon then
    local old = tonumber(redis.call('HGET', amt, id) or '0')
    redis.call('HSET', amt, id, num(actual))
    redis.call('HINCRBY', amt, '=', num(actual - old))
    adjusted = adjusted + 1
  end
end
return adjusted
"""
)

CANCEL = """
-- KEYS: log, amt per limit. ARGV: id. Removes the charge and its request entirely.
local id = ARGV[1]
local removed = 0
for i = 1, #KEYS / 2 do
  local log, amt = KEYS[2 * i - 1], KEYS[2 * i]
  if redis.call('ZREM', log, id) == 1 then
    local old = tonumber(redis.call('HGET', amt, id) or '0')
    redis.call('HDEL', amt, id)
    redis.call('HINCRBY', amt, '=', string.format('%.0f', -old))
    removed = removed + 1
  end
end
return removed
"""

USAGE = (
    _COMMON
    + """
-- KEYS: log, amt. ARGV: window_us. Returns {tokens, requests} in the window now.
expire(KEYS[1], KEYS[2])
return {tonumber(redis.call('HGET', KEYS[2], '=') or '0'), redis.call('ZCARD', KEYS[1])}
"""
)

ACQUIRE = """
-- KEYS: slots (sorted set slot id -> lease end, microseconds). ARGV: cap, lease_us, id.
-- Leases end on their own, so slots held by a replica that died are freed without it.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cap = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[1]) >= cap then return 0 end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + lease), ARGV[3])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(lease / 1000)))
return 1
"""

RELEASE = """
-- KEYS: slots. ARGV: id.
return redis.call('ZREM', KEYS[1], ARGV[1])
"""
