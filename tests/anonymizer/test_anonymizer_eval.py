"""The labelled evaluation set meets the quality targets (see anonymizer/eval.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from anonymizer import eval as pii_eval
from anonymizer.engine import PiiEngine

EVAL_DIR = Path(__file__).resolve().parent / "eval"
#: Floors for the hand-written sentences alone, where the template part cannot flatter the
#: figures. Not targets of the issue (those are on the whole set, ``Report.failures``):
#: a guard against rules that trade natural-text recall for template fit. Measured 0.99
#: overall and 0.98 PERSON when set (189 sentences, 55 of them held out from the rules).
HAND_RECALL_FLOOR = 0.95
HAND_PERSON_RECALL_FLOOR = 0.95
HAND_PRECISION_FLOOR = 0.95


def test_eval_set_shape() -> None:
    examples = pii_eval.load_set(pii_eval.DEFAULT_SET)
    assert len(examples) >= 300
    vi = sum(e["language"] == "vi" for e in examples)
    assert 0.6 <= vi / len(examples) <= 0.8
    assert sum(not e["spans"] for e in examples) >= 80
    assert sum(e.get("source") == "hand" for e in examples) >= 180
    for e in examples:
        for span in e["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(e["text"]), json.dumps(e)
            assert (
                e["text"][span["start"] : span["end"]].strip()
                == (e["text"][span["start"] : span["end"]])
            )


def test_hand_written_sentences_match_their_markup() -> None:
    """The checked-in set holds exactly the sentences of hand_written.txt, as labelled."""
    spec = importlib.util.spec_from_file_location("build_eval", EVAL_DIR / "build_eval.py")
    assert spec and spec.loader
    build_eval = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_eval)
    lines = (EVAL_DIR / "hand_written.txt").read_text(encoding="utf-8").splitlines()
    expected = [build_eval.parse_hand_written(x) for x in lines if x.strip() and x[0] != "#"]
    stored = [e for e in pii_eval.load_set(pii_eval.DEFAULT_SET) if e.get("source") == "hand"]
    assert stored == expected


def test_quality_targets(engine: PiiEngine) -> None:
    report = pii_eval.evaluate(engine, pii_eval.load_set(pii_eval.DEFAULT_SET))
    assert report.failures() == [], report.table()
    hand = report.by_source["hand"]
    summary = hand.table()
    assert hand.overall.recall >= HAND_RECALL_FLOOR, summary
    assert hand.overall.precision >= HAND_PRECISION_FLOOR, summary
    assert hand.per_type["PERSON"].recall >= HAND_PERSON_RECALL_FLOOR, summary


def test_subsets_add_up_to_the_whole(engine: PiiEngine) -> None:
    examples = pii_eval.load_set(pii_eval.DEFAULT_SET)
    report = pii_eval.evaluate(engine, examples)
    assert set(report.by_source) == {"template", "hand"}
    assert sum(r.documents for r in report.by_source.values()) == report.documents == len(examples)
    for kind, counts in report.per_type.items():
        parts = [r.per_type[kind] for r in report.by_source.values() if kind in r.per_type]
        assert sum(c.tp_gold + c.fn for c in parts) == counts.tp_gold + counts.fn, kind
        assert sum(c.tp_pred + c.fp for c in parts) == counts.tp_pred + counts.fp, kind


def test_cli_prints_table_and_exit_code(capsys, tmp_path) -> None:
    assert pii_eval.main([]) == 0
    out = capsys.readouterr().out
    assert "OVERALL" in out and "all targets met" in out
    # the hand-written subset is printed as a second table of its own
    whole, _, hand = out.partition("hand-written sentences only")
    assert "OVERALL" in whole and "OVERALL" in hand
    hand_count = sum(e.get("source") == "hand" for e in pii_eval.load_set(pii_eval.DEFAULT_SET))
    assert f"({hand_count} documents" in hand
    # a set the analyzer cannot meet: one gold phone number in a text without it
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"text": "xin chào", "language": "vi",
                    "spans": [{"start": 0, "end": 3, "entity_type": "PHONE_NUMBER"}]}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    assert pii_eval.main(["--set", str(bad)]) == 1
