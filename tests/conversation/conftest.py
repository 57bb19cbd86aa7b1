from __future__ import annotations

import pytest

from tests.conftest import Server
from tests.conversation.chat import Chat


@pytest.fixture
def customer(server: Server) -> Chat:
    """A new customer on the REST channel."""
    return Chat(server)
