"""The WeChat inbox: every push recorded once by its dedupe key, with a lease on its turn.

WeChat retries a push it got no answer to (the same MsgId, up to three times within ~15 s).
The push's row names the turn's holder (`claimed_by`) and how long its claim lasts
(`lease_until`). The holder renews the lease every third of its length for as long as the
turn and its delivery run, so a live turn is never taken over however slow it is (only an
event loop stalled for a whole lease could let that happen; a turn's work yields to the loop
far more often). A holder that died mid-turn stops renewing; the first retry after its lease
ran out takes the push over and runs the turn.

The lease (default 3 s) is shorter than a retry's wait (the passive-reply deadline, 4.5 s): a
retry that arrives after the holder died always sees the lease run out while it waits, so it
never answers "success" (which ends WeChat's retries) for a push nobody is answering. A live
holder renews every second, so only a delay of two seconds in its renewal could let a retry
take it over.

A retry that finds the turn finished gets the stored passive reply (or "success"); one that
finds it live waits for the holder's answer, polling, up to WeChat's deadline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.storage import models as m
from bot.storage.db import session_scope

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 3.0
WAIT_MARGIN_S = 1.0  # a lease at most this much shorter than the retry's wait
POLL_S = 0.25  # how often a retry looks at a live holder's row
MAX_HOLD_S = 600.0  # a safety net: renewal stops after this even if the row was never finished
IN_PROGRESS = "processing"


@dataclass(frozen=True)
class Turn:
    """One attempt at answering one push: the row's key, the customer, the holder's name."""

    key: str
    openid: str
    holder: str


def holder_name() -> str:
    """Unique per attempt: two handlers in one process never share a claim."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class WeChatInbox:
    def __init__(self, database_url: str, lease_s: float = DEFAULT_LEASE_S) -> None:
        self.url = database_url
        self.lease = timedelta(seconds=lease_s)
        self._renewals: set[asyncio.Task[None]] = set()

    def turn(self, key: str, openid: str) -> Turn:
        return Turn(key, openid, holder_name())

    # --- claiming ------------------------------------------------------------------------------
    async def claim(self, turn: Turn) -> bool:
        """True when this attempt holds the push: it is new, or its holder's lease ran out."""
        return await asyncio.to_thread(self._claim, turn)

    def _claim(self, turn: Turn) -> bool:
        now = m.utcnow()
        try:
            with session_scope(self.url) as db:
                db.add(m.WeChatInbox(dedupe_key=turn.key, openid=turn.openid, state=IN_PROGRESS,
                                     claimed_by=turn.holder, lease_until=now + self.lease))
            return True
        except IntegrityError:
            pass
        # A conditional UPDATE only one retry can win. A row without a lease (written before
        # the lease existed) counts as held: taking it over could run a live turn twice.
        row = m.WeChatInbox
        with session_scope(self.url) as db:
            return bool(db.execute(
                update(row).where(row.dedupe_key == turn.key, row.state == IN_PROGRESS, row.lease_until < now)
                .values(claimed_by=turn.holder, lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount)

    async def finished_reply(self, key: str) -> str | None:
        """None while the turn runs; once finished, the passive reply it gave ("" for none)."""
        return await asyncio.to_thread(self._finished_reply, key)

    def _finished_reply(self, key: str) -> str | None:
        with session_scope(self.url) as db:
            row = db.get(m.WeChatInbox, key)
            if row is None or row.state == IN_PROGRESS:
                return None
            return row.reply if row.state == "replied" and row.reply else ""

    # --- holding -------------------------------------------------------------------------------
    def keep_alive(self, turn: Turn) -> None:
        """Renew the lease in the background until the turn is finished (or taken over)."""
        task = asyncio.get_running_loop().create_task(self._renew_until_finished(turn))
        self._renewals.add(task)
        task.add_done_callback(self._renewals.discard)

    async def _renew_until_finished(self, turn: Turn) -> None:
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + MAX_HOLD_S
        while loop.time() < stop_at:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                if not await asyncio.to_thread(self._renew, turn):
                    return
            except Exception as exc:  # noqa: BLE001 - a database hiccup: try again next time
                log.warning("wechat inbox lease renewal failed: %s", type(exc).__name__)

    def _renew(self, turn: Turn) -> bool:
        row = m.WeChatInbox
        with session_scope(self.url) as db:
            return bool(db.execute(
                update(row).where(row.dedupe_key == turn.key, row.claimed_by == turn.holder, row.state == IN_PROGRESS)
                .values(lease_until=m.utcnow() + self.lease)
                .execution_options(synchronize_session=False)
            ).rowcount)

    async def finish(self, turn: Turn, state: str, reply: str | None = None) -> None:
        """Record how the turn ended; its lease is no longer renewed."""
        await asyncio.to_thread(self._finish, turn, state, reply)

    def _finish(self, turn: Turn, state: str, reply: str | None) -> None:
        row = m.WeChatInbox
        with session_scope(self.url) as db:
            done = db.execute(
                update(row).where(row.dedupe_key == turn.key, row.claimed_by == turn.holder)
                .values(state=state, reply=reply, lease_until=None)
                .execution_options(synchronize_session=False)
            ).rowcount
        if not done:
            log.warning("wechat push finished after another process took it over")
