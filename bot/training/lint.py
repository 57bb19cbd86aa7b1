"""Data lint for trainers: problems in nlu/, domain.yml and tests/data/ with file and line.

- yaml: a file that does not parse (the line and column of the fault);
- few_examples: an intent of the domain with fewer than `min_examples` examples;
- near_duplicate: nearly the same example under two different intents (same text after
  normalisation, or character-bigram Jaccard similarity >= `similarity`);
- banned_phrase: a response in domain.yml with a banned negative phrasing
  (knowledge_base/language.yml);
- never_matches: a lookup-table entry no example contains, or a synonym variant nothing can
  extract (not in a lookup table, not matched by a regex, never annotated).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from bot.knowledge import KnowledgeBase, load_knowledge_base
from bot.training.data import (
    Block,
    Paths,
    annotated_entities,
    domain_intents,
    nlu_files,
    plain_text,
    scan,
    text_key,
)

MIN_EXAMPLES = 10
SIMILARITY = 0.85
_PUNCT = re.compile(r"[\s，。！？、,.!?~～…；;：:\"'“”‘’（）()【】\[\]]+")
_RESPONSE = re.compile(r"^\s{2}(utter_\w+):\s*$")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # error / warning
    file: str
    line: int
    message: str  # Chinese, for trainers

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.severity}] {self.kind}: {self.message}"


def yaml_errors(paths: Paths, files: list[Path] | None = None) -> list[Finding]:
    """Files that do not parse, with the line and column of the fault."""
    files = files if files is not None else data_files(paths)
    found = []
    for path in files:
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            column = mark.column + 1 if mark else 0
            problem = exc.problem or exc.context or "YAML error"
            found.append(Finding("yaml", "error", paths.rel(path), line,
                                 f"YAML 格式错误（第{line}行第{column}列）：{problem}"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            found.append(Finding("yaml", "error", paths.rel(path), 0, f"文件无法读取：{exc}"))
    return found


def data_files(paths: Paths) -> list[Path]:
    stories = nlu_files(paths.stories)
    tests = nlu_files(paths.test_data) + nlu_files(paths.test_stories)
    return [paths.domain, paths.config, *nlu_files(paths.nlu), *stories, *tests]


def few_examples(paths: Paths, blocks: list[Block], minimum: int = MIN_EXAMPLES) -> list[Finding]:
    counts: dict[str, int] = {}
    first: dict[str, Block] = {}
    for block in blocks:
        if block.kind == "intent":
            counts[block.name] = counts.get(block.name, 0) + len(block.examples)
            first.setdefault(block.name, block)
    found = []
    for intent in domain_intents(paths):
        count = counts.get(intent, 0)
        if count < minimum:
            block = first.get(intent)
            where, line = (paths.rel(block.file), block.line) if block else (paths.rel(paths.domain), 0)
            found.append(Finding("few_examples", "warning", where, line,
                                 f"意图 {intent} 只有 {count} 条例句，建议至少 {minimum} 条。"))
    return found


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(max(1, len(text) - 1)))


def near_duplicates(paths: Paths, blocks: list[Block], similarity: float = SIMILARITY) -> list[Finding]:
    items = []
    for block in blocks:
        if block.kind == "intent":
            for example in block.examples:
                key = _PUNCT.sub("", text_key(example.text))
                if key:
                    items.append((len(_bigrams(key)), key, _bigrams(key), block, example))
    items.sort(key=lambda item: item[0])
    found = []
    for i, (size, key, grams, block, example) in enumerate(items):
        for other_size, other_key, other_grams, other_block, other_example in items[i + 1:]:
            if other_size * similarity > size:
                break
            if other_block.name == block.name:
                continue
            score = 1.0 if key == other_key else len(grams & other_grams) / len(grams | other_grams)
            if score >= similarity:
                found.append(Finding(
                    "near_duplicate", "error" if key == other_key else "warning", paths.rel(block.file),
                    example.line,
                    f"“{plain_text(example.text)}”（{block.name}）与 {paths.rel(other_block.file)} 第"
                    f"{other_example.line}行“{plain_text(other_example.text)}”（{other_block.name}）"
                    f"{'完全相同' if key == other_key else f'几乎相同（相似度 {score:.2f}）'}，模型会混淆。"))
    return found


def banned_phrases(paths: Paths, kb: KnowledgeBase) -> list[Finding]:
    found = []
    response = None
    for number, line in enumerate(paths.domain.read_text(encoding="utf-8").splitlines(), start=1):
        header = _RESPONSE.match(line)
        if header:
            response = header.group(1)
            continue
        if response is None or line.lstrip().startswith("#"):
            continue
        for banned in kb.language.banned:
            if banned.phrase in line:
                found.append(Finding("banned_phrase", "error", paths.rel(paths.domain), number,
                                     f"回复 {response} 含有禁用说法“{banned.phrase}”，建议改为：{banned.rewrite}"))
                break
    return found


def never_matches(paths: Paths, blocks: list[Block]) -> list[Finding]:
    texts = [plain_text(e.text) for b in blocks if b.kind == "intent" for e in b.examples]
    texts += [plain_text(e.text) for b in scan([paths.test_data]) if b.kind == "intent" for e in b.examples]
    annotated = {value for b in blocks if b.kind == "intent" for e in b.examples
                 for value, _ in annotated_entities(e.text)}
    lookups = {plain_text(e.text) for b in blocks if b.kind == "lookup" for e in b.examples}
    regexes = [_compile(e.text) for b in blocks if b.kind == "regex" for e in b.examples]
    found = []
    for block in blocks:
        for example in block.examples:
            value = plain_text(example.text)
            if block.kind == "lookup" and not any(value in text for text in texts):
                found.append(Finding("never_matches", "warning", paths.rel(block.file), example.line,
                                     f"查找表 {block.name} 的“{value}”没有出现在任何例句里，无法确认它能被识别。"))
            if block.kind == "synonym" and value not in lookups and value not in annotated and not any(
                    r is not None and r.fullmatch(value) for r in regexes):
                found.append(Finding("never_matches", "warning", paths.rel(block.file), example.line,
                                     f"同义词 {block.name} 的“{value}”不在任何查找表、正则或标注里，"
                                     "实体抽取不会产生这个值，这条同义词永远用不上。"))
    return found


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def lint(paths: Paths, kb: KnowledgeBase | None = None, min_examples: int = MIN_EXAMPLES,
         similarity: float = SIMILARITY) -> list[Finding]:
    broken = yaml_errors(paths)
    if broken:
        return broken  # line numbers of the other lints mean little in a file that does not parse
    blocks = scan([paths.nlu])
    kb = kb or load_knowledge_base()
    return [*few_examples(paths, blocks, min_examples), *near_duplicates(paths, blocks, similarity),
            *banned_phrases(paths, kb), *never_matches(paths, blocks)]
