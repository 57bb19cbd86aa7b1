"""Live console updates over socket.io (namespace /console), same server as the widget.

Agents connect with their console session cookie; everyone joins the room "agents" (queue
changes), and a console watching a conversation joins "conv:<sender id>" for its messages.
Emitting to a room nobody is in costs nothing, so the gateway announces every turn.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio

from bot.storage.crypto import mask_personal_data

log = logging.getLogger(__name__)

NAMESPACE = "/console"
AGENTS = "agents"


def conversation_room(sender_id: str) -> str:
    return f"conv:{sender_id}"


class LiveEvents:
    """Publishes console events; a no-op until a socket.io server is attached (e.g. in a
    stand-alone action server, where the console polls instead)."""

    def __init__(self) -> None:
        self.sio: socketio.AsyncServer | None = None

    def attach(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def _emit(self, event: str, data: dict[str, Any], room: str) -> None:
        if self.sio is None:
            return
        try:
            await self.sio.emit(event, data, room=room, namespace=NAMESPACE)
        except Exception as exc:  # noqa: BLE001 - live updates are best effort; the API is the truth
            log.warning("console event %s not sent: %s", event, type(exc).__name__)

    async def queue_changed(self, reason: str, handoff_id: str | None = None, severity: int | None = None) -> None:
        await self._emit("queue_changed", {"reason": reason, "handoff_id": handoff_id, "severity": severity}, AGENTS)

    async def message(self, sender_id: str, author: str, text: str, agent: str | None = None) -> None:
        """A line of a conversation (customer, bot or agent) for consoles watching it."""
        payload = {"sender_id": sender_id, "from": author, "text": mask_personal_data(text), "agent": agent}
        await self._emit("conversation_message", payload, conversation_room(sender_id))

    async def customer_waiting(self, sender_id: str) -> None:
        """The customer wrote while a person has (or is about to have) the conversation."""
        await self._emit("customer_activity", {"sender_id": sender_id}, AGENTS)

    async def notice(self, kind: str, data: dict[str, Any]) -> None:
        """Something supervisors should see at once (an SLA breach, a follow-up that failed)."""
        await self._emit("notice", {"kind": kind, **data}, AGENTS)
