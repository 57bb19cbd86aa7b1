"""The work-order state machine: created → accepted → scheduled → in_progress → done, or
failed / cancelled. A move is named by its action (accept, schedule, start, done, fail,
cancel); a move the current state does not allow is refused and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("created", "accepted", "scheduled", "in_progress", "done", "failed", "cancelled")
TERMINAL = frozenset({"done", "failed", "cancelled"})
OPEN = tuple(s for s in STATES if s not in TERMINAL)

# action → (target state, states it may start from)
MOVES: dict[str, tuple[str, frozenset[str]]] = {
    "accept": ("accepted", frozenset({"created"})),
    "schedule": ("scheduled", frozenset({"accepted", "scheduled"})),  # again = a new time slot
    "start": ("in_progress", frozenset({"accepted", "scheduled"})),
    "done": ("done", frozenset({"accepted", "scheduled", "in_progress"})),
    "fail": ("failed", frozenset({"created", "accepted", "scheduled", "in_progress"})),
    "cancel": ("cancelled", frozenset({"created", "accepted", "scheduled"})),
}
ACTIONS = tuple(MOVES)
# The column stamped when a work order enters a state.
STAMPS = {
    "accepted": "accepted_at",
    "scheduled": "scheduled_at",
    "in_progress": "started_at",
    "done": "done_at",
    "failed": "failed_at",
    "cancelled": "cancelled_at",
}
STATE_LABELS = {
    "created": "待接单",
    "accepted": "已接单",
    "scheduled": "已预约",
    "in_progress": "处理中",
    "done": "已完成",
    "failed": "未完成，已转人工",
    "cancelled": "已撤销",
}
ACTION_LABELS = {"accept": "接单", "schedule": "预约", "start": "开始处理", "done": "完成",
                 "fail": "标记失败", "cancel": "撤销"}


class TransitionRefused(Exception):
    """A move the state machine does not allow; `message` is shown to staff (Chinese)."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Move:
    action: str
    from_state: str
    to_state: str


def plan(current: str, action: str) -> Move:
    """The move `action` makes from `current`, or TransitionRefused."""
    if action not in MOVES:
        raise TransitionRefused("unknown_action", "请选择一个有效的操作：" + "、".join(ACTION_LABELS.values()) + "。",
                                status=400)
    target, sources = MOVES[action]
    if current not in sources:
        now_label = STATE_LABELS.get(current, current)
        raise TransitionRefused(
            "transition_refused",
            f"工单当前是「{now_label}」，这一步「{ACTION_LABELS[action]}」要在"
            f"{'、'.join(STATE_LABELS[s] for s in STATES if s in sources)}时操作，工单保持原样。",
        )
    return Move(action, current, target)


def allowed_actions(current: str) -> list[str]:
    return [action for action, (_, sources) in MOVES.items() if current in sources]


# The happy path, in order: a shop system's status callbacks may arrive out of order.
PATH = ("created", "accepted", "scheduled", "in_progress", "done")
ACTION_TO = {target: action for action, (target, _) in MOVES.items()}


def catch_up(current: str, target: str) -> list[str] | None:
    """The actions that bring `current` to `target` (a status reported by a shop system):
    [] when `target` is where it is or behind it on the happy path (a late or repeated report),
    None when no move leads there (refused)."""
    if target == current or (current in PATH and target in PATH and PATH.index(target) < PATH.index(current)):
        return []
    if target not in ACTION_TO:
        return None
    actions = []
    state = current
    if state == "created" and target in PATH[2:]:
        actions.append("accept")  # a shop that reports scheduled/started/done has accepted it
        state = "accepted"
    _, sources = MOVES[ACTION_TO[target]]
    return actions + [ACTION_TO[target]] if state in sources else None
