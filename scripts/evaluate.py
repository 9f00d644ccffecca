#!/usr/bin/env python3
"""Score mailbot's classifier and event-time extractor against the labelled set.

    python scripts/evaluate.py [--set tests/eval/reports.jsonl] [--json] [--errors]

Category: exact match of ``classify_text(subject, body).category`` with the label.
Event time: ``extract_event_time(subject + "\\n" + body, sent_at, Asia/Shanghai)`` for mails classified
as reports (urgent, routine, followup, research), None for the others, as mailbot itself does; a prediction
is correct when its ``start``, truncated to the *labelled* granularity, equals the labelled
``event_time`` truncated the same way (compared in the label's UTC offset). A null label is
correct only when the prediction is ``None``.

Exit status: 0 after printing, 2 when the system under test cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "eval" / "reports.jsonl"
TZ = ZoneInfo("Asia/Shanghai")

CATEGORIES = ("urgent", "routine", "followup", "research", "registration", "publicity_request", "other")
REPORT_CATEGORIES = frozenset({"urgent", "routine", "followup", "research"})
GRANULARITIES = ("minute", "hour", "part_of_day", "day", "month")


def load_rows(path: str | Path = DEFAULT_SET, split: str | None = None) -> list[dict[str, Any]]:
    """The rows of a JSONL set, or of every ``*.jsonl`` in a folder; only ``split`` (dev/test) when given."""
    path = Path(path)
    if path.is_dir():
        return [r for f in sorted(path.glob("*.jsonl")) for r in load_rows(f, split)]
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
                if split is None or row.get("split") == split:
                    rows.append(row)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported to the user
                raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return rows


def load_system() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Import the two APIs under test; raises ImportError when they do not exist yet."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mailbot.judge.classify import classify_text
    from mailbot.judge.timephrase import extract_event_time

    return classify_text, extract_event_time


def _kind_arguments(extract_event_time: Callable[..., Any], category: str) -> dict[str, bool]:
    """The report kind as mailbot's assess passes it (``research=``, ``followup=``), as far as the
    extractor under test takes them (older trees take neither)."""
    import inspect

    try:
        params = inspect.signature(extract_event_time).parameters
    except (TypeError, ValueError):
        return {}
    return {k: category == k for k in ("research", "followup") if k in params}


def _truncate(dt: datetime, granularity: str) -> tuple[int, ...]:
    if granularity == "minute":
        return (dt.year, dt.month, dt.day, dt.hour, dt.minute)
    if granularity in ("hour", "part_of_day"):
        return (dt.year, dt.month, dt.day, dt.hour)
    if granularity == "day":
        return (dt.year, dt.month, dt.day)
    if granularity == "month":
        return (dt.year, dt.month)
    raise ValueError(f"unknown granularity {granularity!r}")


def time_correct(label: str | None, granularity: str | None, predicted: datetime | None) -> bool:
    if label is None:
        return predicted is None
    if predicted is None or granularity is None:
        return False
    gold = datetime.fromisoformat(label)
    if predicted.tzinfo is None:  # the API promises aware datetimes; a naive one counts as wrong
        return False
    return _truncate(predicted.astimezone(gold.tzinfo), granularity) == _truncate(gold, granularity)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(results)
    cat_ok = sum(r["category_ok"] for r in results)
    time_ok = sum(r["time_ok"] for r in results)
    per_cat: dict[str, dict[str, Any]] = {}
    for c in CATEGORIES:
        tp = sum(1 for r in results if r["gold_category"] == c and r["pred_category"] == c)
        gold = sum(1 for r in results if r["gold_category"] == c)
        pred = sum(1 for r in results if r["pred_category"] == c)
        t_ok = sum(1 for r in results if r["gold_category"] == c and r["time_ok"])
        if gold or pred:
            per_cat[c] = {
                "support": gold,
                "predicted": pred,
                "precision": _ratio(tp, pred),
                "recall": _ratio(tp, gold),
                "event_time_accuracy": _ratio(t_ok, gold),
            }
    per_gran: dict[str, dict[str, Any]] = {}
    for g in (*GRANULARITIES, None):
        sub = [r for r in results if r["gold_granularity"] == g]
        if sub:
            per_gran[g or "null"] = {
                "n": len(sub),
                "accuracy": _ratio(sum(r["time_ok"] for r in sub), len(sub)),
            }
    confusion = Counter((r["gold_category"], r["pred_category"]) for r in results if not r["category_ok"])
    urgent_gold = [r for r in results if r["gold_category"] == "urgent"]
    routine_gold = [r for r in results if r["gold_category"] == "routine"]
    return {
        "n": n,
        "urgent_recall": _ratio(sum(r["pred_category"] == "urgent" for r in urgent_gold), len(urgent_gold)),
        "urgent_n": len(urgent_gold),
        "false_urgent_rate": _ratio(
            sum(r["pred_category"] == "urgent" for r in routine_gold), len(routine_gold)
        ),
        "routine_n": len(routine_gold),
        "category_accuracy": _ratio(cat_ok, n),
        "event_time_accuracy": _ratio(time_ok, n),
        "per_category": per_cat,
        "event_time_by_granularity": per_gran,
        "confusion": [{"gold": g, "predicted": p, "count": k} for (g, p), k in confusion.most_common()],
    }


def evaluate(
    rows: Iterable[dict[str, Any]],
    classify_text: Callable[..., Any] | None = None,
    extract_event_time: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Run the system over ``rows``; return accuracies, breakdowns and the list of mistakes.

    Keys: n, category_accuracy, event_time_accuracy, per_category, event_time_by_granularity,
    confusion, reports (the same summary over urgent/routine/followup/research rows), errors.
    The callables default to the real APIs (ImportError propagates when they are missing).
    """
    rows = list(rows)
    if classify_text is None or extract_event_time is None:
        real_classify, real_extract = load_system()
        classify_text = classify_text or real_classify
        extract_event_time = extract_event_time or real_extract

    results: list[dict[str, Any]] = []
    for row in rows:
        sent_at = datetime.fromisoformat(row["sent_at"])
        pred_cat: str | None
        exc_cat = exc_time = None
        try:
            cls = classify_text(row["subject"], row["body"], None)
            pred_cat = str(cls.category)
        except Exception as exc:  # a crash is a mistake, not the end of the run
            pred_cat, exc_cat = None, f"{type(exc).__name__}: {exc}"
        pred_start: datetime | None = None
        pred_text = pred_gran = None
        try:
            # as mailbot does (mailbot.judge.assess): only reports have an event time to judge
            text = row["subject"] + "\n" + row["body"]
            if pred_cat not in REPORT_CATEGORIES:
                et = None
            else:
                et = extract_event_time(text, sent_at, TZ, **_kind_arguments(extract_event_time, pred_cat))
            if et is not None:
                pred_start, pred_text, pred_gran = et.start, et.text, str(et.granularity)
        except Exception as exc:
            exc_time = f"{type(exc).__name__}: {exc}"
        t_ok = exc_time is None and time_correct(row["event_time"], row["granularity"], pred_start)
        results.append(
            {
                "id": row["id"],
                "subject": row["subject"],
                "gold_category": row["category"],
                "pred_category": pred_cat,
                "category_ok": pred_cat == row["category"],
                "category_exception": exc_cat,
                "gold_event_time": row["event_time"],
                "gold_granularity": row["granularity"],
                "gold_text": row["event_time_text"],
                "pred_event_time": pred_start.isoformat() if pred_start else None,
                "pred_granularity": pred_gran,
                "pred_text": pred_text,
                "time_ok": t_ok,
                "time_exception": exc_time,
            }
        )

    out = _summary(results)
    out["reports"] = _summary([r for r in results if r["gold_category"] in REPORT_CATEGORIES])
    out["errors"] = [r for r in results if not (r["category_ok"] and r["time_ok"])]
    out["results"] = results
    return out


def _print_summary(title: str, s: dict[str, Any]) -> None:
    print(f"== {title} (n={s['n']})")
    print(
        f"urgent recall:       {s['urgent_recall']:.3f} (n={s['urgent_n']})   "
        f"false urgent: {s['false_urgent_rate']:.3f} of {s['routine_n']} routine"
    )
    print(f"category accuracy:   {s['category_accuracy']:.3f}")
    print(f"event-time accuracy: {s['event_time_accuracy']:.3f}")
    print(f"  {'category':<18} {'supp':>5} {'pred':>5} {'prec':>6} {'rec':>6} {'time':>6}")
    for c, m in s["per_category"].items():
        print(
            f"  {c:<18} {m['support']:>5} {m['predicted']:>5} {m['precision']:>6.3f} "
            f"{m['recall']:>6.3f} {m['event_time_accuracy']:>6.3f}"
        )
    print(
        "  event time by labelled granularity: "
        + ", ".join(
            f"{g} {m['accuracy']:.3f} (n={m['n']})" for g, m in s["event_time_by_granularity"].items()
        )
    )
    if s["confusion"]:
        print("  confusions (gold -> predicted):")
        for c in s["confusion"]:
            print(f"    {c['gold']:<18} -> {c['predicted']!s:<18} {c['count']}")


SETS: tuple[tuple[str, Path, str | None, str], ...] = (
    ("real-test", ROOT / "tests/eval/real", "test", "real texts, frozen test part: held out, never tuned on"),
    ("real-dev", ROOT / "tests/eval/real", "dev", "real published texts, dev part (tuned on)"),
    ("fresh", ROOT / "tests/eval/fresh", None, "real texts, fresh batch (2026-12-02): never tuned on"),
    (
        "fresh2-test",
        ROOT / "tests/eval/fresh2",
        "test",
        "real texts, second fresh batch, test part: held out",
    ),
    ("fresh2-dev", ROOT / "tests/eval/fresh2", "dev", "real texts, second fresh batch, dev part (tuned on)"),
    ("fresh3-test", ROOT / "tests/eval/fresh3", "test", "real texts, third fresh batch, test part: held out"),
    ("fresh3-dev", ROOT / "tests/eval/fresh3", "dev", "real texts, third fresh batch, dev part"),
    (
        "fresh4-test",
        ROOT / "tests/eval/fresh4",
        "test",
        "real texts, fourth fresh batch, test part: held out",
    ),
    ("fresh4-dev", ROOT / "tests/eval/fresh4", "dev", "real texts, fourth fresh batch, dev part"),
    ("fresh5-test", ROOT / "tests/eval/fresh5", "test", "real texts, fifth fresh batch, test part: held out"),
    ("fresh5-dev", ROOT / "tests/eval/fresh5", "dev", "real texts, fifth fresh batch, dev part"),
    ("reports", ROOT / "tests/eval/reports.jsonl", None, "synthetic (regression only)"),
    ("holdout", ROOT / "tests/eval/holdout.jsonl", None, "synthetic (regression only)"),
    ("final", ROOT / "tests/eval/final.jsonl", None, "synthetic (regression only)"),
    ("fourth", ROOT / "tests/eval/fourth.jsonl", None, "synthetic (regression only)"),
)
RECORDS = ROOT / "tests" / "eval" / "results"


def _outcomes(result: dict[str, Any]) -> dict[str, list[Any]]:
    return {r["id"]: [r["pred_category"], r["pred_event_time"]] for r in result["results"]}


def changed_since_record(name: str, result: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(id, recorded, now) for every item whose category or event time differs from the recorded run."""
    path = RECORDS / f"{name}.json"
    if not path.is_file():
        return []
    recorded = json.loads(path.read_text(encoding="utf-8"))
    now = _outcomes(result)
    return [(i, recorded.get(i), v) for i, v in sorted(now.items()) if recorded.get(i) != v]


def run_all(record: bool, show_changed: bool) -> int:
    """One line per labelled set: urgent recall first, then false urgent, category and event time."""
    classify_text, extract_event_time = load_system()
    print(
        f"{'set':<10} {'n':>4} {'urgent rec':>10} {'false urg':>9} {'category':>8} {'time*':>6} {'changed':>7}  what"
    )
    for name, path, split, what in SETS:
        rows = load_rows(path, split)
        if not rows:
            continue
        result = evaluate(rows, classify_text, extract_event_time)
        changed = changed_since_record(name, result)
        rep = result["reports"]
        print(
            f"{name:<10} {result['n']:>4} {result['urgent_recall']:>10.3f} {result['false_urgent_rate']:>9.3f} "
            f"{result['category_accuracy']:>8.3f} {rep['event_time_accuracy']:>6.3f} {len(changed):>7}  {what}"
        )
        if show_changed:
            for item, before, after in changed:
                print(f"    {item}: {before} -> {after}")
        if record:
            RECORDS.mkdir(parents=True, exist_ok=True)
            (RECORDS / f"{name}.json").write_text(
                json.dumps(_outcomes(result), ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                encoding="utf-8",
            )
    print("time* = event-time accuracy on the report rows (urgent/routine/followup/research)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=str(DEFAULT_SET), help="labelled JSONL set, or a folder of them")
    ap.add_argument("--split", choices=("dev", "test"), help="only the rows of this split")
    ap.add_argument(
        "--all", action="store_true", help="one line per labelled set, with changes since the record"
    )
    ap.add_argument("--record", action="store_true", help="with --all: record this run as the new reference")
    ap.add_argument("--changed", action="store_true", help="with --all: list the items whose result changed")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--errors", action="store_true", help="list every mistake")
    args = ap.parse_args(argv)
    if args.all:
        return run_all(args.record, args.changed)

    rows = load_rows(args.set, args.split)
    try:
        classify_text, extract_event_time = load_system()
    except ImportError as exc:
        print(
            f"cannot import the system under test ({exc}); need mailbot.judge.classify.classify_text "
            "and mailbot.judge.timephrase.extract_event_time",
            file=sys.stderr,
        )
        return 2
    result = evaluate(rows, classify_text, extract_event_time)

    if args.json:
        result = {k: v for k, v in result.items() if k != "results" and (args.errors or k != "errors")}
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0

    _print_summary("all rows", result)
    _print_summary("reports only (urgent/routine/followup/research)", result["reports"])
    if args.errors:
        print(f"== mistakes ({len(result['errors'])})")
        for e in result["errors"]:
            print(f"- {e['id']} {e['subject']}")
            if not e["category_ok"]:
                extra = f" [{e['category_exception']}]" if e["category_exception"] else ""
                print(f"    category: gold={e['gold_category']} predicted={e['pred_category']}{extra}")
            if not e["time_ok"]:
                extra = f" [{e['time_exception']}]" if e["time_exception"] else ""
                print(
                    f"    time: gold={e['gold_event_time']} ({e['gold_granularity']}, {e['gold_text']!r}) "
                    f"predicted={e['pred_event_time']} ({e['pred_granularity']}, {e['pred_text']!r}){extra}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
