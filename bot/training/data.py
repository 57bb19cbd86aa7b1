"""The project's training data as trainers edit it: where things live, with file and line.

NLU files (nlu/*.yml, tests/data/*.yml) are read line by line as well as parsed, because
lint findings and export insertions need line numbers and the exact layout of each file
(`- intent:` at column 0 in some files, indented in others). The layout read here is the one
Rasa's YAML format uses: an item header (`- intent: x`, `- lookup: x`, `- synonym: x`,
`- regex: x`) followed by `examples: |` and one `- example` per line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.normalize import normalize_text
from bot.settings import PROJECT_ROOT

ROOT_ENV = "QINGTING_TRAINING_ROOT"
HEADER = re.compile(r"^(?P<indent>\s*)- (?P<kind>intent|lookup|synonym|regex):\s*(?P<name>\S+)\s*(#.*)?$")
EXAMPLES_KEY = re.compile(r"^(?P<indent>\s*)examples:\s*\|[-+]?\s*$")
EXAMPLE = re.compile(r"^(?P<indent>\s*)- (?P<text>.*?)\s*$")
ANNOTATION = re.compile(r"\[(?P<value>[^\]]+)\](?:\((?P<entity>[^)]+)\)|\{(?P<json>[^}]*)\})")
_SPACES = re.compile(r"\s+")


def training_root() -> Path:
    """Where nlu/, stories/, domain.yml and tests/ are: the checkout, or QINGTING_TRAINING_ROOT
    (tests point it at a copy so nothing edits the real data)."""
    value = os.environ.get(ROOT_ENV)
    return Path(value).resolve() if value else PROJECT_ROOT


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def nlu(self) -> Path:
        return self.root / "nlu"

    @property
    def stories(self) -> Path:
        return self.root / "stories"

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def test_data(self) -> Path:
        return self.root / "tests" / "data"

    @property
    def test_stories(self) -> Path:
        return self.root / "tests" / "stories"

    @property
    def reviewed_stories(self) -> Path:
        return self.test_stories / "test_reviewed_stories.yml"

    @property
    def lock(self) -> Path:
        return self.root / ".qingting-training.lock"

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def plain_text(example: str) -> str:
    """`订单[QT1](order_id)` → `订单QT1`."""
    return ANNOTATION.sub(lambda m: m.group("value"), example)


def annotated_entities(example: str) -> list[tuple[str, str]]:
    """(value, entity) pairs of an example's `[value](entity)` marks."""
    found = []
    for match in ANNOTATION.finditer(example):
        entity = match.group("entity")
        if entity is None and match.group("json"):
            entity_match = re.search(r'"entity"\s*:\s*"([^"]+)"', match.group("json"))
            entity = entity_match.group(1) if entity_match else None
        if entity:
            found.append((match.group("value"), entity.split(":")[0]))
    return found


def text_key(text: str) -> str:
    """What makes two examples "the same text": normalised (NFKC, simplified), no spaces."""
    return _SPACES.sub("", normalize_text(plain_text(text))).lower()


@dataclass(frozen=True)
class Example:
    text: str  # as written, with entity marks
    line: int  # 1-based


@dataclass
class Block:
    file: Path
    kind: str  # intent / lookup / synonym / regex
    name: str
    line: int  # the header's line, 1-based
    indent: str  # the header's indentation
    examples: list[Example] = field(default_factory=list)
    example_indent: str = "    "

    @property
    def last_line(self) -> int:
        return self.examples[-1].line if self.examples else self.line + 1


def scan_file(path: Path) -> list[Block]:
    """Every item of an NLU file with its examples and their line numbers."""
    blocks: list[Block] = []
    current: Block | None = None
    in_examples = False
    examples_indent = -1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        header = HEADER.match(line)
        if header:
            current = Block(path, header["kind"], header["name"], number, header["indent"])
            blocks.append(current)
            in_examples = False
            continue
        if current is None:
            continue
        key = EXAMPLES_KEY.match(line)
        if key:
            in_examples, examples_indent = True, len(key["indent"])
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if in_examples and indent > examples_indent:
            example = EXAMPLE.match(line)
            if example:
                current.examples.append(Example(example["text"], number))
                current.example_indent = example["indent"]
            continue
        in_examples = False
        if indent <= len(current.indent):
            current = None
    return blocks


def nlu_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if p.is_file()) if directory.exists() else []


def scan(directories: list[Path]) -> list[Block]:
    return [block for directory in directories for path in nlu_files(directory) for block in scan_file(path)]


def domain_of(paths: Paths) -> dict:
    return yaml.safe_load(paths.domain.read_text(encoding="utf-8")) or {}


def domain_intents(paths: Paths) -> list[str]:
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain_of(paths).get("intents") or []]


def domain_entities(paths: Paths) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else str(e) for e in domain_of(paths).get("entities") or []]
