"""The customer's own wish is on the case agents open (the console's fact list reads it)."""

from __future__ import annotations

import pytest

from tests.conftest import Server
from tests.console.conftest import Staff, handed_off_customer

pytestmark = pytest.mark.conversation


def test_an_agent_sees_the_wish_the_customer_stated(server: Server, staff: Staff, console) -> None:  # type: ignore[no-untyped-def]
    customer, handoff_id = handed_off_customer(
        server, "快递员把箱子直接扔在门口，态度还很凶，以后别让他送了", "我要投诉到12315"
    )
    assert any("以后不再由这位同事为您服务" in line for line in customer.transcript)
    case = console(staff.agent).get(f"/api/console/handoffs/{handoff_id}").json()
    assert case["complaint"]["facts"]["customer_wish"] == "希望以后换人服务"
