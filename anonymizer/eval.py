"""Measure the analyzer on a labelled set and check the quality targets.

    python -m anonymizer.eval [--set PATH] [--errors N] [--source template|hand]

The set is JSONL, one ``{"text", "language", "spans": [{"start", "end", "entity_type"}]}``
per line. Matching is by span overlap: a predicted span is a true positive if it overlaps
a gold span of the same type; a gold span is found if a predicted span of its type
overlaps it. Exits 1 when a target is missed.

The targets apply to the whole set, but the table is printed again for the hand-written
sentences alone (``"source": "hand"``): the template part is generated from patterns the
recognizers were written for and flatters the totals, while hand-written text shows how
the analyzer does on natural sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SET = (
    Path(__file__).resolve().parents[1] / "tests" / "anonymizer" / "eval" / "pii_eval.jsonl"
)

TARGET_RECALL = 0.97
TARGET_PRECISION = 0.92
#: identifiers whose miss is a data breach in practice: near-perfect recall
TARGET_TYPE_RECALL = {"VN_CCCD": 0.99, "PHONE_NUMBER": 0.99, "VN_TAX_CODE": 0.99}
#: the subset printed on its own after the whole set
HAND = "hand"


@dataclass
class TypeCounts:
    tp_pred: int = 0  # predicted spans overlapping gold of the type
    fp: int = 0
    tp_gold: int = 0  # gold spans found
    fn: int = 0

    @property
    def precision(self) -> float:
        total = self.tp_pred + self.fp
        return self.tp_pred / total if total else 1.0

    @property
    def recall(self) -> float:
        total = self.tp_gold + self.fn
        return self.tp_gold / total if total else 1.0


@dataclass
class Report:
    per_type: dict[str, TypeCounts] = field(default_factory=lambda: defaultdict(TypeCounts))
    documents: int = 0
    negatives: int = 0
    #: (kind "FP"/"FN", entity type, span text, document text)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: the same counts per example ``source`` ("template", "hand"); empty in sub-reports
    by_source: dict[str, Report] = field(default_factory=dict)

    @property
    def overall(self) -> TypeCounts:
        total = TypeCounts()
        for c in self.per_type.values():
            total.tp_pred += c.tp_pred
            total.fp += c.fp
            total.tp_gold += c.tp_gold
            total.fn += c.fn
        return total

    def failures(self) -> list[str]:
        out = []
        overall = self.overall
        if overall.recall < TARGET_RECALL:
            out.append(f"overall recall {overall.recall:.3f} < {TARGET_RECALL}")
        if overall.precision < TARGET_PRECISION:
            out.append(f"overall precision {overall.precision:.3f} < {TARGET_PRECISION}")
        for kind, target in TARGET_TYPE_RECALL.items():
            counts = self.per_type.get(kind)
            if counts is None or counts.tp_gold + counts.fn == 0:
                out.append(f"{kind}: no gold spans in the set")
            elif counts.recall < target:
                out.append(f"{kind} recall {counts.recall:.3f} < {target}")
        return out

    def table(self) -> str:
        rows = [f"{'entity type':<22}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>8}"]
        for kind in sorted(self.per_type):
            c = self.per_type[kind]
            rows.append(
                f"{kind:<22}{c.tp_gold + c.fn:>6}{c.tp_pred + c.fp:>6}"
                f"{c.precision:>11.3f}{c.recall:>8.3f}"
            )
        o = self.overall
        rows.append(
            f"{'OVERALL':<22}{o.tp_gold + o.fn:>6}{o.tp_pred + o.fp:>6}"
            f"{o.precision:>11.3f}{o.recall:>8.3f}"
        )
        rows.append(f"({self.documents} documents, {self.negatives} without PII)")
        return "\n".join(rows)


def load_set(path: Path) -> list[dict[str, Any]]:
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    examples.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
    return examples


def _overlaps(a: Any, b: dict[str, Any]) -> bool:
    return a.start < b["end"] and b["start"] < a.end


def evaluate(engine: Any, examples: Iterable[dict[str, Any]]) -> Report:
    report = Report()
    for example in examples:
        text, gold = example["text"], example["spans"]
        predicted = engine.analyze(text, example.get("language", "vi"))
        source = example.get("source")
        subset = None
        if source:
            subset = report.by_source.setdefault(source, Report())
        for target in (report, subset):
            if target is not None:
                _count(target, text, gold, predicted)
    return report


def _count(report: Report, text: str, gold: list[dict[str, Any]], predicted: list[Any]) -> None:
    report.documents += 1
    report.negatives += not gold
    for p in predicted:
        counts = report.per_type[p.entity_type]
        if any(g["entity_type"] == p.entity_type and _overlaps(p, g) for g in gold):
            counts.tp_pred += 1
        else:
            counts.fp += 1
            report.errors.append(("FP", p.entity_type, text[p.start : p.end], text))
    for g in gold:
        counts = report.per_type[g["entity_type"]]
        if any(p.entity_type == g["entity_type"] and _overlaps(p, g) for p in predicted):
            counts.tp_gold += 1
        else:
            counts.fn += 1
            report.errors.append(("FN", g["entity_type"], text[g["start"] : g["end"]], text))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m anonymizer.eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="labelled JSONL set")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="print N misses")
    parser.add_argument(
        "--source", choices=["template", "hand"], help="only examples from this source"
    )
    args = parser.parse_args(argv)

    from anonymizer.engine import get_engine

    examples = load_set(args.set)
    if args.source:
        examples = [e for e in examples if e.get("source") == args.source]
    report = evaluate(get_engine(), examples)
    print(report.table())
    hand = report.by_source.get(HAND)
    if hand is not None and hand.documents < report.documents:
        print("\nhand-written sentences only (the template part flatters the totals):")
        print(hand.table())
    for kind, entity, span, text in report.errors[: args.errors]:
        print(f"{kind} {entity:<20} {span!r:<30} in {text!r}")
    failures = report.failures()
    for failure in failures:
        print(f"TARGET MISSED: {failure}", file=sys.stderr)
    if not failures:
        print("all targets met")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
