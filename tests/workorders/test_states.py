"""The work-order state machine: each action leads where it says, from where it may start;
anything else is refused with a Chinese explanation."""

from __future__ import annotations

import pytest

from bot.workorders.states import (
    ACTIONS,
    MOVES,
    STATES,
    TERMINAL,
    TransitionRefused,
    allowed_actions,
    plan,
)

HAPPY_PATH = [("created", "accept", "accepted"), ("accepted", "schedule", "scheduled"),
              ("scheduled", "start", "in_progress"), ("in_progress", "done", "done")]


@pytest.mark.parametrize(("current", "action", "target"), HAPPY_PATH)
def test_the_happy_path_moves_one_state_at_a_time(current: str, action: str, target: str) -> None:
    move = plan(current, action)
    assert (move.from_state, move.to_state) == (current, target)


def test_a_refund_needs_no_appointment_it_goes_from_accepted_to_in_progress_or_done() -> None:
    assert plan("accepted", "start").to_state == "in_progress"
    assert plan("accepted", "done").to_state == "done"


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_a_finished_work_order_takes_no_more_moves(state: str) -> None:
    assert allowed_actions(state) == []
    for action in ACTIONS:
        with pytest.raises(TransitionRefused) as refused:
            plan(state, action)
        assert refused.value.status == 409
        assert "工单保持原样" in refused.value.message


@pytest.mark.parametrize(("current", "action"), [("created", "done"), ("created", "start"), ("created", "schedule"),
                                                 ("in_progress", "cancel"), ("in_progress", "accept"),
                                                 ("accepted", "accept")])
def test_out_of_order_and_repeated_moves_are_refused(current: str, action: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan(current, action)
    assert refused.value.code == "transition_refused"


def test_an_unknown_action_is_a_bad_request() -> None:
    with pytest.raises(TransitionRefused) as refused:
        plan("created", "explode")
    assert refused.value.status == 400


def test_every_state_is_reachable_and_every_open_state_can_fail() -> None:
    targets = {target for target, _ in MOVES.values()} | {"created"}
    assert targets == set(STATES)
    for state in set(STATES) - TERMINAL:
        assert "fail" in allowed_actions(state)


@pytest.mark.parametrize(("current", "target", "actions"), [
    ("created", "done", ["accept", "done"]),
    ("created", "scheduled", ["accept", "schedule"]),
    ("accepted", "in_progress", ["start"]),
    ("done", "accepted", []),          # a late report of an earlier state changes nothing
    ("in_progress", "scheduled", []),
    ("scheduled", "scheduled", []),
    ("created", "failed", ["fail"]),
    ("cancelled", "done", None),        # nothing leads out of a finished state
    ("in_progress", "cancelled", None),
    ("done", "failed", None),
])
def test_a_shop_systems_reported_state_is_caught_up_with_or_ignored_when_late(
        current: str, target: str, actions: list[str] | None) -> None:
    from bot.workorders.states import catch_up

    assert catch_up(current, target) == actions
