"""The trainer page (/console/trainer) in headless Chromium against a real server whose
training data is a copy (tests/training/conftest.py): log in, filter for fallbacks, correct
an intent, mark an entity from the jieba tokens, mark a test story, export, see the result."""

from __future__ import annotations

import json
import subprocess

import yaml

from bot.training.data import Paths, scan
from tests.console.conftest import PASSWORD
from tests.test_browser import BROWSER_DIR, SHOTS, pytestmark  # noqa: F401 - the same skip marker
from tests.training.conftest import TrainerSetup, home_file, trainer_setup  # noqa: F401 - the fixture

SCREENSHOTS = ["login", "filtered", "entity", "exported"]


def test_a_trainer_corrects_marks_and_exports_in_the_browser(trainer_setup: TrainerSetup) -> None:  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    home = home_file(trainer_setup.root, "out_of_scope")  # where the corrected line is appended
    run = subprocess.run(["node", "trainer.mjs", trainer_setup.server.url, str(SHOTS), trainer_setup.trainer,
                          PASSWORD, home], cwd=BROWSER_DIR, capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout[-2000:] + run.stderr[-2000:]
    outcome = json.loads(lines[-1])
    assert outcome["ok"], json.dumps(outcome, ensure_ascii=False, indent=1)
    nlu = scan([trainer_setup.root / "nlu"])
    assert any(b.name == "out_of_scope" and b.examples[-1].text == "红豆生南国春来发几枝" for b in nlu)
    assert any("[电水壶](product)" in e.text for b in nlu if b.name == "complain_quality" for e in b.examples)
    stories = yaml.safe_load(Paths(trainer_setup.root).reviewed_stories.read_text(encoding="utf-8"))["stories"]
    assert any(s["story"] == f"训练台故事 {outcome['sender']}" for s in stories)
    for name in SCREENSHOTS:
        assert (SHOTS / f"trainer-{name}.png").stat().st_size > 0, name
