#!/usr/bin/env python3
"""Train the classifier's n-gram model and write mailbot/judge/classify/weights.json.

    .venv/bin/pip install -e '.[train]'
    python scripts/train_classifier.py                       # dev split + synthetic sets, CV, write weights
    python scripts/train_classifier.py --extra corrections.jsonl [--extra more.jsonl]
    python scripts/train_classifier.py --cv-only             # print the cross-validation, write nothing
    python scripts/train_classifier.py --real tests/eval/fresh2   # one more real folder (its dev rows)

Training text: the ``dev`` rows of tests/eval/real/ (never the frozen ``test`` rows) and of every further
``--real DIR`` folder (repeatable; its ``dev`` rows are treated exactly as those of tests/eval/real: in the
cross-validation folds, at full weight), the four synthetic sets tests/eval/*.jsonl, and any ``--extra``
JSONL files of the same format (e.g. office corrections).
Only rows labelled urgent/routine/followup/research train the model (the other kinds are the gates').

Decisions are made by 5-fold cross-validation over the dev rows (each fold's model trained on the other
dev folds plus the synthetic and extra rows): the regularisation ``C``, the weight of synthetic rows, how
many features to keep, and the blend with the rule score (``rule_weight``, ``urgent_bias``).  The
objective, in order: false urgent ≤ ``--max-false-urgent`` of routine, then urgent recall, then category.

scikit-learn is used here only; mailbot scores the exported weights in pure Python
(mailbot/judge/classify/textmodel.py).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from mailbot.judge.classify import DEFAULT_RULES, classify_text  # noqa: E402
from mailbot.judge.classify.textmodel import TextModel, cues, ngrams, normalise  # noqa: E402

CLASSES = ("urgent", "routine", "followup", "research")
REAL = ROOT / "tests" / "eval" / "real"
SYNTHETIC = [ROOT / "tests" / "eval" / f"{n}.jsonl" for n in ("reports", "holdout", "fourth", "final")]
OUT = ROOT / "mailbot" / "judge" / "classify" / "weights.json"
MAX_CHARS = 1500
NGRAM_MAX = 3


def split_of(row: dict[str, Any]) -> str:
    """The row's ``split``; a row without one is split by the corpus rule (sha256 of the id ≡ 0 mod 3: test)."""
    if row.get("split"):
        return str(row["split"])
    return "test" if int(hashlib.sha256(str(row["id"]).encode()).hexdigest(), 16) % 3 == 0 else "dev"


def load(path: Path, split: str | None = None) -> list[dict[str, Any]]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    rows = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if split is None or split_of(row) == split:
                    rows.append(row)
    return rows


def text_of(row: dict[str, Any]) -> str:
    return f"{row.get('subject', '')}\n{row.get('body', '')}\n"


Feats = list[tuple[set[str], float, set[str]]]  # per text: its n-grams, their value, its cue features


def featurise(rows: list[dict[str, Any]]) -> Feats:
    out = []
    for r in rows:
        norm = normalise(text_of(r), MAX_CHARS)
        grams = ngrams(norm, NGRAM_MAX)
        out.append((grams, 1.0 / math.sqrt(len(grams)) if grams else 0.0, cues(norm) if grams else set()))
    return out


def matrix(feats: Feats, vocab: dict[str, int], cue_value: float) -> csr_matrix:
    """Rows of n-gram values (``1/sqrt(n)``) and cue values (``cue_value``, none when 0), as scored."""
    data, ind, ptr = [], [], [0]
    for grams, scale, cue_set in feats:
        cols = {vocab[g]: scale for g in grams if g in vocab}
        if cue_value:
            cols.update((vocab[g], cue_value) for g in cue_set if g in vocab)
        for col in sorted(cols):
            ind.append(col)
            data.append(cols[col])
        ptr.append(len(ind))
    return csr_matrix((data, ind, ptr), shape=(len(feats), len(vocab)))


def fit(
    feats: Feats,
    labels: list[int],
    weights: list[float],
    c: float,
    keep: int,
    cue_value: float = 0.0,
    balanced: bool = False,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Fit, keep the ``keep`` strongest n-grams (and every cue), refit: (vocab, coef[classes, vocab], bias).

    ``balanced``: each class weighs as much in total as the others (follow-ups and research pieces are few).
    """
    df: dict[str, int] = {}
    for grams, _, cue_set in feats:
        for g in grams | (cue_set if cue_value else set()):
            df[g] = df.get(g, 0) + 1
    vocab = {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= 2))}
    y, w = np.array(labels), np.array(weights)
    if balanced:
        totals = {k: w[y == k].sum() for k in set(labels)}
        w = w * np.array([sum(totals.values()) / (len(totals) * totals[k]) for k in labels])
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(matrix(feats, vocab, cue_value), y, sample_weight=w)
    names = sorted(vocab, key=vocab.__getitem__)
    strength = np.abs(clf.coef_).max(axis=0)
    kept = sorted(
        {names[i] for i in np.argsort(-strength)[:keep]} | {g for g in names if g.startswith("cue:")}
    )
    kv = {g: i for i, g in enumerate(kept)}
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(matrix(feats, kv, cue_value), y, sample_weight=w)
    coef = np.zeros((len(CLASSES), len(kept)))
    bias = np.zeros(len(CLASSES))
    for row, k in enumerate(clf.classes_):
        coef[k], bias[k] = clf.coef_[row], clf.intercept_[row]
    return kept, coef, bias


def logits_of(
    feats: Feats, vocab: list[str], coef: np.ndarray, bias: np.ndarray, cue_value: float = 0.0
) -> np.ndarray:
    x = matrix(feats, {g: i for i, g in enumerate(vocab)}, cue_value)
    return np.asarray(x @ coef.T) + bias


def rule_stage(row: dict[str, Any]) -> tuple[str | None, float]:
    """What the rules alone say: the gate's category (None when the score stage decides) and the score.

    The rules the model cannot overrule (DEFAULT_RULES.decisive_rules, the office's extra patterns) count
    as a gate here, as they do in mailbot.judge.classify.
    """
    cls = classify_text(row.get("subject", ""), row.get("body", ""), None, model=None)
    fired = {r.partition(":")[0] for r in cls.reasons}
    if "threshold" not in fired or "followup_marker" in fired:
        return cls.category.value, cls.score
    if cls.score >= DEFAULT_RULES.urgent_threshold and fired & set(DEFAULT_RULES.decisive_rules):
        return "urgent", cls.score
    return None, cls.score


def decide(
    logit: np.ndarray,
    gate: str | None,
    score: float,
    rule_weight: float,
    urgent_bias: float,
    override: float,
    margin: float,
    kind_bias: float = 0.0,
) -> str:
    if gate is not None:
        return gate
    z = logit.copy()
    z[0] += urgent_bias + rule_weight * max(-4.0, min(4.0, score - DEFAULT_RULES.urgent_threshold))
    z[2:] += kind_bias  # follow-ups and research pieces are few in training: their logits are low
    k = int(np.argmax(z))
    r = 0 if score >= DEFAULT_RULES.urgent_threshold else 1
    call = CLASSES[k] if z[k] - z[r] >= margin else CLASSES[r]
    if score - DEFAULT_RULES.urgent_threshold >= override:
        return "urgent"  # as mailbot.judge.classify._blend: strong rule evidence is not routine work
    return call


def figures(gold: list[str], pred: list[str]) -> dict[str, float]:
    urg = [p for g, p in zip(gold, pred, strict=True) if g == "urgent"]
    rout = [p for g, p in zip(gold, pred, strict=True) if g == "routine"]
    return {
        "urgent_recall": round(sum(p == "urgent" for p in urg) / max(1, len(urg)), 3),
        "false_urgent": round(sum(p == "urgent" for p in rout) / max(1, len(rout)), 3),
        "category": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(1, len(gold)), 3),
    }


def rank(f: dict[str, float], max_fu: float) -> tuple[float, ...]:
    ok = f["false_urgent"] <= max_fu
    return (1.0 if ok else 0.0, f["urgent_recall"] if ok else -f["false_urgent"], f["category"])


URGENT_BIASES = (-0.5, 0.0, 0.25, 0.5, 0.75, 1.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extra", action="append", default=[], help="more labelled JSONL (office corrections)")
    ap.add_argument(
        "--real", action="append", default=[], metavar="DIR",
        help="another folder of real JSONL rows: its dev rows join tests/eval/real's in training and CV",
    )  # fmt: skip
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-false-urgent", type=float, default=0.04)
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--C", type=float, nargs="+", default=[4.0, 8.0], help="regularisation grid")
    ap.add_argument("--synthetic-weight", type=float, nargs="+", default=[0.3], help="synthetic row weights")
    ap.add_argument("--rule-weight", type=float, nargs="+", default=[0.0, 0.25], help="blend grid")
    ap.add_argument(
        "--override", type=float, nargs="+", default=[2.0, 3.0, 4.0, 5.0, 6.0, 8.0],
        help="rule score above the threshold by this much is urgent whatever the model says (always finite: "
        "strong rule evidence of an incident is the safety net against a model that misses it)",
    )  # fmt: skip
    ap.add_argument(
        "--margin", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0],
        help="the model overrules the rules' urgent/routine only when its logit leads by this much",
    )  # fmt: skip
    ap.add_argument(
        "--min-chars", type=int, default=80,
        help="shorter texts (subject + body) are left to the rules: the real training texts are 90+ characters",
    )  # fmt: skip
    ap.add_argument("--keep", type=int, nargs="+", default=[4000], help="how many n-grams to keep")
    ap.add_argument(
        "--cue-value", type=float, nargs="+", default=[0.1, 0.2],
        help="the value of a cue feature (textmodel.CUES); 0 leaves the cues out",
    )  # fmt: skip
    ap.add_argument(
        "--balanced", type=int, nargs="+", default=[0], help="1: weigh each class as much as the others"
    )
    ap.add_argument(
        "--kind-bias", type=float, nargs="+", default=[0.0, 0.2, 0.4, 0.6],
        help="added to the follow-up and research logits",
    )  # fmt: skip
    ap.add_argument(
        "--errors", action="store_true", help="list the dev rows the chosen model gets wrong (CV)"
    )
    args = ap.parse_args(argv)

    real_dirs = list(dict.fromkeys([REAL, *(Path(d).resolve() for d in args.real)]))
    seen: set[str] = set()
    dev = []
    for d in real_dirs:
        if not d.is_dir():
            ap.error(f"--real {d}: not a folder")
        for r in load(d, "dev"):  # never a test row; an id seen in an earlier folder is not added twice
            if r["category"] in CLASSES and r["id"] not in seen:
                seen.add(r["id"])
                dev.append(r)
    synth = [r for p in SYNTHETIC for r in load(p) if r["category"] in CLASSES]
    extra = [r for p in args.extra for r in load(Path(p)) if r["category"] in CLASSES]
    print(
        f"rows: dev {len(dev)} ({', '.join(map(str, real_dirs))}), synthetic {len(synth)}, extra {len(extra)}"
    )
    dev_f, syn_f, ext_f = featurise(dev), featurise(synth), featurise(extra)
    gold = [r["category"] for r in dev]
    stages = [rule_stage(r) for r in dev]
    threshold = DEFAULT_RULES.urgent_threshold
    rules_only = [g if g is not None else ("urgent" if s >= threshold else "routine") for g, s in stages]
    print("rules alone on dev:", figures(gold, rules_only))
    print(
        "decided by a gate on dev:", dict(Counter(f"{gold[i]}->{g}" for i, (g, _) in enumerate(stages) if g))
    )

    rng = random.Random(12)
    order = list(range(len(dev)))
    rng.shuffle(order)
    by_class: dict[str, list[int]] = {}
    for i in order:
        by_class.setdefault(gold[i], []).append(i)
    fold_of = [0] * len(dev)
    for members in by_class.values():
        for j, i in enumerate(members):
            fold_of[i] = j % args.folds

    best: tuple[tuple[float, ...], dict[str, Any]] | None = None
    best_pred: list[str] = []
    per_weight: dict[float, tuple[tuple[float, ...], dict[str, Any]]] = {}
    grid = itertools.product(args.C, args.synthetic_weight, args.keep, args.cue_value, args.balanced)
    for c, synth_w, keep, cue_value, balanced in grid:
        oof = np.zeros((len(dev), len(CLASSES)))
        for k in range(args.folds):
            tr = [i for i in range(len(dev)) if fold_of[i] != k]
            te = [i for i in range(len(dev)) if fold_of[i] == k]
            feats = [dev_f[i] for i in tr] + syn_f + ext_f
            labels = [CLASSES.index(gold[i]) for i in tr] + [
                CLASSES.index(r["category"]) for r in synth + extra
            ]
            weights = [1.0] * len(tr) + [synth_w] * len(synth) + [1.0] * len(extra)
            vocab, coef, bias = fit(feats, labels, weights, c, keep, cue_value, bool(balanced))
            oof[te] = logits_of([dev_f[i] for i in te], vocab, coef, bias, cue_value)
        blends = itertools.product(
            args.rule_weight, URGENT_BIASES, args.override, args.margin, args.kind_bias
        )
        for rw, ub, ov, mg, kb in blends:
            pred = [decide(oof[i], *stages[i], rw, ub, ov, mg, kb) for i in range(len(dev))]
            f = figures(gold, pred)
            key = rank(f, args.max_false_urgent)
            cfg = {
                "C": c, "synthetic_weight": synth_w, "keep": keep, "cue_value": cue_value,
                "balanced": bool(balanced),
                "rule_weight": rw, "urgent_bias": ub, "rule_override": ov, "model_margin": mg, "kind_bias": kb, **f,
                "confusions": dict(Counter(f"{g}->{p}" for g, p in zip(gold, pred, strict=True) if g != p)),
            }  # fmt: skip
            if best is None or key > best[0]:
                best, best_pred = (key, cfg), pred
            if rw not in per_weight or key > per_weight[rw][0]:
                per_weight[rw] = (key, cfg)
        print(
            f"C={c} synthetic_weight={synth_w} keep={keep} cue_value={cue_value} balanced={bool(balanced)}: "
            f"best so far {best[1] if best else None}"
        )
    assert best is not None
    for rw, (_, c_best) in sorted(per_weight.items()):
        print(f"  best with rule_weight={rw}: " + ", ".join(f"{k}={c_best[k]}" for k in (
            "urgent_bias", "rule_override", "model_margin", "urgent_recall", "false_urgent", "category")))  # fmt: skip
    cfg = best[1]
    if (
        args.errors
    ):  # the dev rows the chosen configuration gets wrong out of fold (dev only: never test rows)
        for i, r in enumerate(dev):
            if best_pred[i] != gold[i]:
                print(f"  cv mistake {r['id']}: {gold[i]} -> {best_pred[i]}  {r.get('subject', '')[:40]}")
    print("chosen by cross-validation on dev:", json.dumps(cfg, ensure_ascii=False))
    if args.cv_only:
        return 0

    feats = dev_f + syn_f + ext_f
    labels = [CLASSES.index(r["category"]) for r in dev + synth + extra]
    weights = [1.0] * len(dev) + [cfg["synthetic_weight"]] * len(synth) + [1.0] * len(extra)
    vocab, coef, bias = fit(feats, labels, weights, cfg["C"], cfg["keep"], cfg["cue_value"], cfg["balanced"])
    data = {
        "format": "mailbot n-gram model 1",
        "classes": list(CLASSES),
        "ngram_max": NGRAM_MAX,
        "max_chars": MAX_CHARS,
        "bias": [round(float(b), 4) for b in bias],
        "cue_value": cfg["cue_value"],
        "blend": {
            "rule_weight": cfg["rule_weight"],
            "rule_clip": 4.0,
            "urgent_bias": cfg["urgent_bias"],
            "rule_override_margin": cfg["rule_override"],
            "model_margin": cfg["model_margin"],
            "kind_bias": cfg["kind_bias"],
            "min_chars": args.min_chars,
        },
        "trained_on": {
            "dev": len(dev),
            "real_dirs": [str(d.relative_to(ROOT)) if d.is_relative_to(ROOT) else str(d) for d in real_dirs],
            "synthetic": len(synth),
            "extra": len(extra),
            "extra_files": args.extra,
        },
        "cross_validation": cfg,
        "features": {g: [round(float(w), 3) for w in coef[:, i]] for i, g in enumerate(vocab)},
    }
    out = Path(args.out)
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    model = TextModel.from_json(data)
    assert model.classes == CLASSES
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, {len(vocab)} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
