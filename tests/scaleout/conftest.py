"""Two Qingting processes on one PostgreSQL database and one Redis, as behind a load balancer.

Both reach PostgreSQL and Redis through fault proxies (tests/faultproxy.py), so a test can
take either away for a moment without touching the servers everyone else uses. Skipped with
the reason where PostgreSQL or Redis is absent (both run on these machines and in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bot.storage.scratch import create_scratch_database, drop_scratch_database
from tests.conftest import Server, start_server, stop_server
from tests.console.conftest import PASSWORD
from tests.faultproxy import FaultProxy
from tests.test_followups_server import server_env

ADMIN_URL = os.environ.get("QINGTING_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = ("127.0.0.1", 6379)


def _require_services() -> None:
    try:
        engine = create_engine(ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {type(exc).__name__}")
    import redis

    try:
        redis.Redis(*REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS[0]}:{REDIS[1]}: {type(exc).__name__}")


@dataclass
class Cluster:
    a: Server
    b: Server
    database_url: str  # direct, for the tests' own reads
    postgres: FaultProxy
    redis: FaultProxy
    env: dict[str, str]

    @property
    def servers(self) -> list[Server]:
        return [self.a, self.b]


@pytest.fixture(scope="package")
def pg_database() -> Iterator[str]:
    _require_services()
    url = create_scratch_database(ADMIN_URL, "qingting_scale")
    try:
        yield url
    finally:
        drop_scratch_database(url, ADMIN_URL)


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory, pg_database: str) -> Iterator[Cluster]:
    postgres = FaultProxy("127.0.0.1", 5432).start()
    redis_proxy = FaultProxy(*REDIS).start()
    name = pg_database.rsplit("/", 1)[1]
    tmp = tmp_path_factory.mktemp("cluster")
    env = {
        **server_env(tmp),  # a knowledge base without quiet hours; the scheduler ticks every second
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/0",
        "QINGTING_REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
        # Every process reads what the others encrypted: one key for all (docs/SCALE_OUT.md).
        "QINGTING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    a = start_server(tmp / "a", env)
    b = start_server(tmp / "b", env)
    for server in (a, b):
        server.database_url = pg_database
    running = Cluster(a, b, pg_database, postgres, redis_proxy, env)
    yield running
    for server in running.servers:
        stop_server(server)
    postgres.stop()
    redis_proxy.stop()


@pytest.fixture(scope="package")
def cluster_staff(cluster: Cluster) -> dict[str, str]:
    from bot.console.accounts import Accounts

    accounts = Accounts(cluster.database_url)
    suffix = uuid.uuid4().hex[:6]
    people = {"agent": f"zhou_{suffix}", "colleague": f"wu_{suffix}"}
    accounts.create(people["agent"], PASSWORD, "agent", "周专员")
    accounts.create(people["colleague"], PASSWORD, "agent", "吴专员")
    return people
