"""A real, migrated SQLite database with the demo orders, per test; and, for a module that
names its shared `SECRET`, the stand-in shop and a real server whose webhooks reach it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.knowledge import load_knowledge_base
from bot.orders import seed_demo_orders
from bot.storage.db import migrate
from tests.conftest import Server, start_server, stop_server
from tests.shop_standin import ShopStandIn


@pytest.fixture
def url(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(database)
    seed_demo_orders(database, load_knowledge_base())
    return database


@pytest.fixture(scope="module")
def shop(request: pytest.FixtureRequest) -> Iterator[ShopStandIn]:
    """The stand-in shop, signing and verifying with the test module's SECRET."""
    standin = ShopStandIn(request.module.SECRET)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory, shop: ShopStandIn) -> Iterator[Server]:
    """A real server whose work-order webhooks go to the stand-in shop, retried within seconds."""
    tmp = tmp_path_factory.mktemp("shop")
    credentials = tmp / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"shop": {"webhook_url": shop.url, "secret": shop.secret,
                                                    "retry_base_s": 1, "retry_cap_s": 2}}))
    running = start_server(tmp / "var", {"QINGTING_CREDENTIALS": str(credentials),
                                         "QINGTING_SCHEDULER_INTERVAL_S": "1"})
    yield running
    stop_server(running)
