"""Rate limits per customer and per client IP, shared by every process when Redis is there.

A sliding-window counter (the current fixed window plus the previous one, weighted by how
much of it still overlaps the sliding window): constant memory per key, smooth at window
edges. With REDIS_URL set the counters live in Redis (one atomic Lua script per hit, keys
under the deployment's namespace, expiring by themselves), so two processes behind a load
balancer enforce one limit; without it they live in this process's memory.

Only accepted hits are counted: a customer held back is told to send again a little later,
and the message they resend is counted then. A limiter that cannot reach Redis lets the
request through (a rate limit must never be the reason a customer goes unanswered).

Limits come from the environment as "N/S" (N hits per S seconds; "0" or "off" switches one
off; QINGTING_RATE_LIMITS=0 switches all off, e.g. for a load benchmark):

    QINGTING_RATE_LIMIT_CUSTOMER   messages and uploads per customer     default 20/60
    QINGTING_RATE_LIMIT_IP         the same per client IP                default 120/60
    QINGTING_RATE_LIMIT_LOGIN_IP   failed console logins per client IP   default 100/600
    QINGTING_RATE_LIMIT_LOGIN_ACCOUNT
                                   failed logins for one account from one IP   default 5/900
    QINGTING_RATE_LIMIT_LOGIN_ACCOUNT_ANY
                                   failed logins for one account from anywhere default 50/3600
    QINGTING_TRUSTED_PROXIES       reverse proxies whose X-Forwarded-For is believed
                                   (comma-separated IPs or CIDRs; default none)
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.settings import Settings

log = logging.getLogger(__name__)

# What a customer held back reads (every channel): kind, and says what to do.
SLOW_DOWN = "您的消息有点密集，我正在认真看前面的内容。请稍等片刻再发送这条消息，我们一定逐条处理。"
# What a console login held back reads.
# The same words whichever limit holds it and whether or not the account exists.
LOGIN_SLOW_DOWN = "登录尝试较多，请稍等几分钟再试；需要时请联系管理员协助。"

MEMORY_PRUNE_AT = 50_000  # keys kept in memory before stale windows are dropped

# KEYS: current window, previous window. ARGV: weight of the previous window, limit, ttl,
# record (1: count the hit when it fits). Returns {fits, current, previous}; a hit that does
# not fit is never counted.
_LUA = """
local curr = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
if prev * tonumber(ARGV[1]) + curr + 1 > tonumber(ARGV[2]) then
  return {0, curr, prev}
end
if ARGV[4] == '1' then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, curr, prev}
"""


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window_s: float

    @classmethod
    def parse(cls, name: str, spec: str) -> Rule | None:
        """"20/60" → 20 per 60 s; "0", "off" or "" → no limit."""
        spec = spec.strip().lower()
        if spec in ("", "0", "off", "none"):
            return None
        count, _, seconds = spec.partition("/")
        rule = cls(name, int(count), float(seconds or 60))
        if rule.limit <= 0 or rule.window_s <= 0:
            return None
        return rule


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, for the Retry-After header


def _window(rule: Rule, now: float) -> tuple[int, float]:
    """The current fixed window's index and the previous window's weight at `now`."""
    index = int(now // rule.window_s)
    elapsed = now - index * rule.window_s
    return index, 1.0 - elapsed / rule.window_s


def _retry_after(rule: Rule, now: float, current: float, previous: float) -> int:
    """Seconds until the sliding estimate leaves room for one more hit."""
    index, _ = _window(rule, now)
    to_window_end = (index + 1) * rule.window_s - now
    if current + 1 <= rule.limit:  # the previous window's share has to shrink enough
        wait = to_window_end - rule.window_s * (rule.limit - current - 1) / previous
    else:  # this window is full: wait until it, as the previous one, weighs little enough
        wait = to_window_end + rule.window_s * (1 - (rule.limit - 1) / current)
    return max(1, math.ceil(wait))


class MemoryCounters:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}

    async def hit(self, rule: Rule, key: str, now: float, record: bool) -> tuple[bool, float, float]:
        index, weight = _window(rule, now)
        current = self._counts.get((rule.name, key, index), 0)
        previous = self._counts.get((rule.name, key, index - 1), 0)
        if previous * weight + current + 1 > rule.limit:
            return False, current, previous
        if record:
            self._counts[(rule.name, key, index)] = current + 1
            self._prune(rule, index)
        return True, current, previous

    def _prune(self, rule: Rule, index: int) -> None:
        if len(self._counts) > MEMORY_PRUNE_AT:
            stale = [k for k in self._counts if k[0] == rule.name and k[2] < index - 1]
            for k in stale:
                del self._counts[k]


class RedisCounters:
    def __init__(self, redis_url: str, namespace: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_LUA)
        self.prefix = f"{namespace}:ratelimit"

    async def hit(self, rule: Rule, key: str, now: float, record: bool) -> tuple[bool, float, float]:
        index, weight = _window(rule, now)
        base = f"{self.prefix}:{rule.name}:{key}"
        ttl = max(1, math.ceil(rule.window_s * 2))
        allowed, current, previous = await self._script(
            keys=[f"{base}:{index}", f"{base}:{index - 1}"], args=[weight, rule.limit, ttl, "1" if record else "0"])
        return bool(allowed), float(current), float(previous)

    async def close(self) -> None:
        await self._redis.close()


class RateLimiter:
    def __init__(self, rules: dict[str, Rule], redis_url: str | None = None, namespace: str = "qingting",
                 trusted_proxies: str = "", clock: Callable[[], float] = time.time) -> None:
        self.rules = rules
        self.counters: MemoryCounters | RedisCounters = (
            RedisCounters(redis_url, namespace) if redis_url else MemoryCounters())
        self.trusted = _networks(trusted_proxies)
        self.clock = clock
        self._warned_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        specs = {"customer": settings.rate_limit_customer, "ip": settings.rate_limit_ip,
                 "login_ip": settings.rate_limit_login_ip, "login_account": settings.rate_limit_login_account,
                 "login_account_any": settings.rate_limit_login_account_any}
        rules = {name: rule for name, spec in specs.items() if (rule := Rule.parse(name, spec)) is not None}
        return cls(rules, settings.redis_url, settings.redis_namespace, settings.trusted_proxies)

    async def close(self) -> None:
        if isinstance(self.counters, RedisCounters):
            await self.counters.close()

    async def hit(self, rule_name: str, key: str, record: bool = True) -> Decision:
        """Whether one more hit for `key` fits `rule_name`; counted when it fits and `record`."""
        rule = self.rules.get(rule_name)
        if rule is None or not key:
            return Decision(True)
        now = self.clock()
        try:
            allowed, current, previous = await self.counters.hit(rule, key, now, record)
        except Exception as exc:  # noqa: BLE001 - Redis away: let the customer through
            self._warn(exc)
            return Decision(True)
        if allowed:
            return Decision(True)
        log.info("rate limit %s reached", rule_name)  # never the key: it may be a phone-like id
        return Decision(False, _retry_after(rule, now, current, previous))

    async def message(self, customer: str, ip: str | None) -> Decision:
        """A customer message (or upload): within both the per-customer and the per-IP limit.

        The IP is checked first without counting, so a message refused for the customer's own
        pace does not use up the address's budget, and one refused for the address does not
        use up the customer's."""
        if ip:
            by_ip = await self.hit("ip", ip, record=False)
            if not by_ip.allowed:
                return by_ip
        by_customer = await self.hit("customer", customer)
        if not by_customer.allowed:
            return by_customer
        return await self.hit("ip", ip) if ip else by_customer

    async def login(self, username: str, ip: str, failed: bool = False) -> Decision:
        """A console login attempt (checked before the password, counted after a failure).

        Failures are counted per address, per account from that address, and per account from
        anywhere. The owner signing in from their own address is held back only by the last,
        which a guesser has to spread over many addresses to reach; unknown and known accounts
        are counted alike, so the answer never tells whether an account exists."""
        keys = {"login_ip": ip, "login_account": f"{username}@{ip}", "login_account_any": username}
        if failed:
            for rule_name, key in keys.items():
                await self.hit(rule_name, key)
            return Decision(True)
        for rule_name, key in keys.items():
            decision = await self.hit(rule_name, key, record=False)
            if not decision.allowed:
                return decision
        return Decision(True)

    def client_ip(self, request: web.BaseRequest) -> str:
        """The peer's address; X-Forwarded-For only when the peer is a trusted proxy."""
        peer = request.remote or ""
        if not self.trusted or not _inside(peer, self.trusted):
            return peer
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        for hop in reversed(forwarded):  # the nearest untrusted hop is the client
            if not _inside(hop, self.trusted):
                return hop if _is_ip(hop) else peer
        return forwarded[0] if forwarded and _is_ip(forwarded[0]) else peer

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits not checked (%s); requests let through", type(exc).__name__)


def _networks(spec: str) -> list[Any]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _inside(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def too_many(payload: Any, decision: Decision) -> web.Response:
    """HTTP 429 with Retry-After and a JSON body the channel chose."""
    return web.json_response(payload, status=429, headers={"Retry-After": str(decision.retry_after)})


RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)


def install(app: web.Application, settings: Settings) -> None:
    """One limiter per process (its counters in Redis when there is one)."""
    app[RATE_LIMITER] = RateLimiter.from_settings(settings)

    async def close(app: web.Application) -> None:
        await app[RATE_LIMITER].close()

    app.on_cleanup.append(close)
