"""Typed keys for what the aiohttp app holds (aiohttp's web.AppKey pattern)."""

from __future__ import annotations

from aiohttp import web
from rasa.core.agent import Agent

from bot.delivery import Delivery
from bot.gateway import Gateway
from bot.services import Services
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
AGENT = web.AppKey("agent", Agent)
GATEWAY = web.AppKey("gateway", Gateway)
DELIVERY = web.AppKey("delivery", Delivery)
