"""The contract every channel follows (modelled on rasa.core.channels.InputChannel)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from aiohttp import web


class Channel(ABC):
    """A way customers reach the bot: it owns its routes and its wire format."""

    name: str

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register this channel's HTTP (or socket) endpoints on the app."""


def json_error(status: int, code: str, message: str) -> web.Response:
    """A machine-readable code plus a polite Chinese sentence for whoever reads it."""
    return web.json_response({"error": code, "message": message}, status=status)
