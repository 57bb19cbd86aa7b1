"""The Rasa side of the service: the Agent with our stores and in-process actions."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import random
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sqlalchemy.engine import make_url

from bot.dialogue.nlg import FreshResponses
from bot.knowledge import load_knowledge_base
from bot.locks import AtomicRedisLockStore
from bot.settings import Settings
from bot.storage.crypto import mask_personal_data

log = logging.getLogger(__name__)

MODEL_NAME = "qingting.tar.gz"
# Fault injection (tests, drills): comma-separated `action` or `action@sender_prefix`;
# the named action raises for every sender, or only for senders starting with the prefix.
FAULT_ENV = "QINGTING_FAULT_ACTIONS"


class InjectedFault(RuntimeError):
    pass


class InProcessActionEndpoint(EndpointConfig):
    """Runs rasa_sdk actions inside the server process instead of over HTTP.

    Rasa's RemoteAction calls `request(json=action_call)`; we answer with what the action
    server would have answered. A crashing action yields a polite line for the customer and
    a log entry without personal data; the conversation goes on.
    """

    def __init__(self, package: str = "actions") -> None:
        super().__init__(url="inprocess://actions")
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        action_call = kwargs.get("json") or {}
        name = action_call.get("next_action", "?")
        try:
            if _fault_injected(name, str((action_call.get("tracker") or {}).get("sender_id", ""))):
                raise InjectedFault(f"injected fault in {name}")
            return await self.executor.run(action_call)
        except ActionExecutionRejection as exc:
            body = json.dumps({"error": exc.message, "action_name": exc.action_name})
            raise ClientResponseError(400, "", body) from exc
        except ActionNotFoundException:
            raise
        except Exception as exc:  # noqa: BLE001 — any action bug must not reach the customer
            self._log_failure(name, exc)
            return {"events": [], "responses": [{"text": _polite_error_line()}]}

    @staticmethod
    def _log_failure(name: str, exc: Exception) -> None:
        frames = traceback.format_tb(exc.__traceback__)
        where = frames[-1].strip().splitlines()[0] if frames else "?"
        # The exception text may quote customer input: mask it before it reaches a log.
        log.error("action %s failed: %s: %s (at %s)", name, type(exc).__name__,
                  mask_personal_data(str(exc))[:200], where)


def _fault_injected(action: str, sender_id: str) -> bool:
    for spec in filter(None, os.environ.get(FAULT_ENV, "").split(",")):
        name, _, prefix = spec.strip().partition("@")
        if name == action and sender_id.startswith(prefix):
            return True
    return False


def _polite_error_line() -> str:
    return random.choice(load_knowledge_base().language.action_error)


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's check of an action response, with the schema compiled once.

    Stock `jsonschema.validate` re-checks the (large) events schema itself on every call:
    profiling showed it was half of a turn's time. The response is still validated fully.
    """
    from jsonschema import ValidationError

    try:
        _action_response_validator().validate(result)
    except ValidationError as exc:
        exc.message += ". Failed to validate the action response."
        raise
    return True


_original_resolve_by_type: Any = None


@functools.lru_cache(maxsize=256)
def _event_class(type_name: str) -> Any:
    return _original_resolve_by_type(type_name, None)


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    """Rasa walks every Event subclass for every event it deserialises (a third of loading a
    tracker); the classes do not change once imported, so the lookup is cached by name."""
    found = _event_class(type_name)
    if found is not None:
        return found
    return _original_resolve_by_type(type_name, default)


def install_speedups() -> None:
    """Two measured hot spots of a turn in stock Rasa 3.6 (docs/PERFORMANCE.md)."""
    global _original_resolve_by_type
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    if _original_resolve_by_type is None:
        _original_resolve_by_type = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


def encrypt_tracker_events() -> None:
    """Store Rasa's event data encrypted at rest (the column holds customer text)."""
    from bot.storage.crypto import EncryptedJSONText

    column = SQLTrackerStore.SQLEvent.__table__.c.data
    if not isinstance(column.type, EncryptedJSONText):
        column.type = EncryptedJSONText()


class TrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, minus two traps.

    Its session scope turns *any* ValueError raised while a tracker is read (a JSON error in
    one row, say) into sys.exit, taking the whole process and every conversation on it down;
    here such an error fails that one turn, politely. (We do not use POSTGRESQL_SCHEMA, the
    case that scope was written for.) And its pool hands out connections the database closed
    meanwhile (a restart, a network blip); here each is checked before use.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine.pool._pre_ping = True  # what create_engine(pool_pre_ping=True) sets

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()


def tracker_store_for(settings: Settings) -> SQLTrackerStore:
    encrypt_tracker_events()
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite"):
        return TrackerStore(dialect="sqlite", db=url.database)
    dialect = "postgresql" if url.drivername.startswith("postgres") else url.drivername
    return TrackerStore(
        dialect=dialect,
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password,
    )


def _raise_tracker_store_error(error: Exception) -> None:
    raise error


def refuse_tracker_fallback(agent: Agent) -> None:
    """Rasa wraps the tracker store in a "fail-safe" one: when the database cannot be read it
    carries on with an *empty* in-memory tracker, and the customer's conversation silently
    starts over. Raising instead lets the gateway wait for the database and retry the turn."""
    agent.tracker_store._on_tracker_store_error = _raise_tracker_store_error  # type: ignore[union-attr]


def lock_store_for(settings: Settings) -> LockStore:
    if not settings.redis_url:
        return InMemoryLockStore()
    url = make_url(settings.redis_url)
    return AtomicRedisLockStore(
        host=url.host or "localhost",
        port=url.port or 6379,
        db=int(url.database or 0),
        password=url.password,
        key_prefix="".join(ch for ch in settings.redis_namespace if ch.isalnum()) or "qingting",
    )


def model_path(settings: Settings) -> Path:
    return settings.model_dir / MODEL_NAME


def load_agent(settings: Settings, model: Path | None = None) -> Agent:
    """Load the trained model with our tracker store, lock store and in-process actions."""
    path = model or model_path(settings)
    if not path.exists():
        raise FileNotFoundError(f"no trained model at {path}: run `qingting train` first")
    install_speedups()
    agent = Agent.load(
        str(path),
        tracker_store=tracker_store_for(settings),
        lock_store=lock_store_for(settings),
        action_endpoint=InProcessActionEndpoint(),
        generator=FreshResponses({}),  # filled with the model's responses on load
    )
    refuse_tracker_fallback(agent)
    return agent
