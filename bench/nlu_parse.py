"""NLU parse time per message: today's pipeline against the previous one (DIET), in one run.

(a) today's NLU: the pipeline in config.yml (linear intent model, complaint-type and handoff
    classifiers, bot/nlu/components.py), from the trained model (models/qingting.tar.gz).
(b) the previous pipeline (config.yml before the linear intent model replaced DIET):
    normaliser → jieba → word and char_wb 1-3 count vectors → DIET (no transformer) →
    fallback → regex, knowledge-base and synonym entities. Its last component,
    HandoffSignalAnnotator, no longer exists and is left out. DIET's inference cost does not
    depend on the number of epochs, so the baseline is trained NLU-only with `epochs: 1` on
    the same training data (nlu/, as `qingting train` passes it to Rasa) and cached in
    bench/.cache/ under a hash of its config, the data, the domain, the knowledge base and
    the Rasa version: a second run skips training (`--retrain` forces it). The code of the
    shared components (normaliser, tokenizer, entity extractor) is not part of the key.

Both models are loaded in this process with `Agent.load`, warmed up with 20 uncounted
parses each, then the held-out texts (tests/data/eval_heldout.yml) are parsed alternating
(a) and (b) message by message, so machine drift hits both; which of the two goes first
alternates too, so neither profits from caches warmed by the other on the same text. Each
`await agent.parse_message(text)` is timed with time.perf_counter.

    .venv/bin/python bench/nlu_parse.py
    .venv/bin/python bench/nlu_parse.py --limit 200
    .venv/bin/python bench/nlu_parse.py --model models/qingting.tar.gz --baseline other.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

import yaml  # noqa: E402
from harness import MODEL, ROOT, VENV_BIN, fmt, percentile  # noqa: E402

sys.path.insert(0, str(ROOT))

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
EVAL_FILE = ROOT / "tests" / "data" / "eval_heldout.yml"
NLU_DIR = ROOT / "nlu"
GENERATED = NLU_DIR / "corpus" / "snownlp_generated.yml"
DOMAIN = ROOT / "domain.yml"
KNOWLEDGE_DIR = ROOT / "knowledge_base"
WARMUP = 20
TRAIN_TIMEOUT_S = 3600

# config.yml before the linear intent model (git show HEAD~1:config.yml), NLU part only.
# Differences: DIET epochs 80 → 1 (inference cost is the same) and no HandoffSignalAnnotator
# (removed from the code base).
BASELINE_CONFIG = """\
# Previous Qingting NLU pipeline (DIET), rebuilt by bench/nlu_parse.py for timing only.
recipe: default.v1
language: zh
assistant_id: qingting-bench-baseline

pipeline:
  - name: bot.nlu.components.ChineseNormalizer
    char_limit: 2000
  - name: bot.nlu.components.KnowledgeBaseJiebaTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: DIETClassifier
    epochs: 1
    number_of_transformer_layers: 0
    entity_recognition: false
    constrain_similarities: true
    random_seed: 17
  - name: FallbackClassifier
    threshold: 0.4
    ambiguity_threshold: 0.05
  - name: RegexEntityExtractor
    use_lookup_tables: true
    use_regexes: true
    use_word_boundaries: false
  - name: bot.nlu.components.KnowledgeBaseEntityExtractor
  - name: EntitySynonymMapper
  # HandoffSignalAnnotator (the last component then) no longer exists: left out.

policies: []
"""


def nlu_data_files() -> list[Path]:
    """The files Rasa's importer reads from nlu/ (recursively; nlu/handoff_signals*.yml have no
    `nlu:` key, so Rasa skips them, as it does for `qingting train` and data/nlu)."""
    from rasa.shared.data import get_data_files, is_nlu_file

    return sorted(Path(p) for p in get_data_files([str(NLU_DIR)], is_nlu_file))


def baseline_key(files: list[Path]) -> str:
    import rasa

    digest = hashlib.sha256()
    digest.update(BASELINE_CONFIG.encode() + b"\0" + rasa.__version__.encode() + b"\0")
    for path in [*files, DOMAIN, *sorted(KNOWLEDGE_DIR.glob("*.yml"))]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def train_baseline(target: Path) -> float:
    """`rasa train nlu` in a subprocess (its memory does not count in this process's peak RSS),
    into a temp dir under bench/.cache/, then moved into place. Returns seconds taken."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="train-", dir=CACHE_DIR) as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(BASELINE_CONFIG, encoding="utf-8")
        log_path = Path(tmp) / "train.log"
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "rasa-cache")}
        argv = [str(VENV_BIN / "rasa"), "train", "nlu", "--config", str(config), "--nlu", str(NLU_DIR),
                "--domain", str(DOMAIN), "--out", tmp, "--fixed-model-name", "baseline"]
        with log_path.open("wb") as log:
            code = subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=TRAIN_TIMEOUT_S).returncode
        staged = Path(tmp) / "baseline.tar.gz"
        if code != 0 or not staged.exists():
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"baseline training failed (code {code}):\n{tail}")
        staged.replace(target)
    for old in CACHE_DIR.glob("nlu_baseline-*.tar.gz"):
        if old != target:
            old.unlink()
    return time.monotonic() - started


def baseline_model(args: argparse.Namespace) -> Path:
    if args.baseline:
        print(f"(b) baseline model: {args.baseline} (given)")
        return args.baseline
    if not GENERATED.exists():
        raise SystemExit(f"{GENERATED.relative_to(ROOT)} is missing: run `.venv/bin/qingting train` first")
    files = nlu_data_files()
    target = CACHE_DIR / f"nlu_baseline-{baseline_key(files)}.tar.gz"
    if target.exists() and not args.retrain:
        print(f"(b) baseline model: {target.relative_to(ROOT)} (cached)")
        return target
    print(f"(b) training the baseline NLU-only on {len(files)} files of nlu/ (epochs 1) ...", flush=True)
    seconds = train_baseline(target)
    print(f"(b) baseline model: {target.relative_to(ROOT)} (trained in {seconds:.0f} s)")
    return target


def texts(limit: int | None) -> list[str]:
    items = (yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8")) or {}).get("eval") or []
    found = [str(item["text"]) for item in items if isinstance(item, dict) and item.get("text")]
    return found[:limit] if limit else found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(model: Path, baseline: Path, messages: list[str], warmup: int) -> dict[str, list[float]]:
    from rasa.core.agent import Agent

    from bot.logs import configure_logging

    # As `qingting serve` runs: Rasa's structlog events (parse data at debug level, printed to
    # stdout unless configured) filtered out, or every parse would time its own printing.
    configure_logging("WARNING")

    agents = {}
    for name, path in (("a", model), ("b", baseline)):
        started = time.perf_counter()
        agents[name] = Agent.load(str(path))
        print(f"loaded ({name}) in {time.perf_counter() - started:.1f} s; peak RSS so far "
              f"{peak_rss_mb():.0f} MB", flush=True)
    for name, agent in agents.items():
        for index in range(warmup):
            await agent.parse_message(messages[index % len(messages)])
        print(f"warmed up ({name}) with {warmup} parses", flush=True)
    times: dict[str, list[float]] = {"a": [], "b": []}
    for index, text in enumerate(messages):
        for name in ("a", "b") if index % 2 == 0 else ("b", "a"):
            started = time.perf_counter()
            await agents[name].parse_message(text)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL, help="today's model (a)")
    parser.add_argument("--baseline", type=Path, help="a trained baseline model (b); skips training")
    parser.add_argument("--retrain", action="store_true", help="train the baseline even if cached")
    parser.add_argument("--limit", type=int, help="parse only the first N held-out texts")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="uncounted parses per model")
    args = parser.parse_args()
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `.venv/bin/qingting train` first")
    messages = texts(args.limit)
    if not messages:
        raise SystemExit(f"no texts in {EVAL_FILE}")
    print(f"(a) today's model: {args.model}")
    baseline = baseline_model(args)
    if not args.baseline:
        print("(b) = config.yml of HEAD~1 with DIET epochs 1 and without HandoffSignalAnnotator "
              "(no longer exists); shared components from today's bot/nlu/components.py")
    times = asyncio.run(measure(args.model, baseline, messages, args.warmup))

    rows = {}
    previous = f"(b) given: {args.baseline.name}" if args.baseline else "(b) previous: DIET"
    for name, label in (("a", "(a) today: linear + type + handoff"), ("b", previous)):
        values = times[name]
        rows[name] = (label, len(values), sum(values) / len(values), percentile(values, 50),
                      percentile(values, 99))
    print(f"\nNLU parse time per message, {len(messages)} held-out texts, alternating (a)/(b):")
    print(f"  {'system':36} {'messages':>8} {'mean ms':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for label, count, mean, p50, p99 in rows.values():
        print(f"  {label:36} {count:8d} {fmt(mean, 2):>9} {fmt(p50, 2):>9} {fmt(p99, 2):>9}")
    ratio = [rows["a"][i] / rows["b"][i] if rows["b"][i] else None for i in (2, 3, 4)]
    print(f"  {'ratio a/b':36} {'':8} {fmt(ratio[0], 2):>9} {fmt(ratio[1], 2):>9} {fmt(ratio[2], 2):>9}")
    print(f"peak RSS of this process (both models loaded): {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
