"""A linear model over character n-grams (1–3), scored in pure Python from a small JSON weights file.

The weights are trained offline by ``scripts/train_classifier.py`` (scikit-learn, the ``train`` extra) on
the labelled real texts of the dev split and the synthetic sets, plus any office corrections.  At run time
only this module reads them: no scikit-learn, no numpy.

Features: the distinct n-grams of the normalised text (full-width folded, lower case, digits as ``0``,
whitespace collapsed), each worth ``1/sqrt(number of distinct n-grams)`` — the same value the training
script computes, so the kept top-K weights score exactly as they were fitted.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mailbot.judge.classify.patterns import _fold

WEIGHTS_FILE = Path(__file__).with_name("weights.json")

_DIGITS = re.compile(r"[0-9]")
_SPACE = re.compile(r"\s+")


def normalise(text: str, max_chars: int) -> str:
    """The text the model reads: folded, lower case, digits as 0, whitespace as one space, capped."""
    text = _fold(text[: max_chars * 2])
    return _SPACE.sub(" ", _DIGITS.sub("0", text.lower())).strip()[:max_chars]


def ngrams(text: str, n_max: int = 3) -> set[str]:
    """The distinct character n-grams (1..n_max) of an already normalised text."""
    grams = set(text)
    prev: list[str] = list(text)
    for n in range(2, n_max + 1):  # prev[i] is text[i : i + n - 1]; add the next character
        prev = list(map(operator.add, prev, text[n - 1 :]))
        grams.update(prev)
    return grams


@dataclass(frozen=True)
class TextModel:
    """Linear weights per class over n-grams, and the blend with the rule score chosen by cross-validation."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    ngram_max: int
    max_chars: int
    rule_weight: float  # added to the urgent logit per point of (rule score − threshold), clipped
    rule_clip: float
    urgent_bias: float  # added to the urgent logit: a missed urgent report costs more than a false alarm
    rule_override_margin: float  # a rule score this far above the threshold is urgent whatever the model says
    model_margin: float  # the model overrules the rules' urgent/routine only when it leads by this much
    min_chars: int  # shorter texts are left to the rules (the model never saw short real notes)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> TextModel:
        classes = tuple(str(c) for c in data["classes"])  # type: ignore[attr-defined]
        features = data["features"]
        assert isinstance(features, dict)
        blend = data.get("blend", {})
        assert isinstance(blend, dict)
        return cls(
            classes=classes,
            bias=tuple(float(b) for b in data["bias"]),  # type: ignore[attr-defined]
            weights={str(g): tuple(float(w) for w in ws) for g, ws in features.items()},
            ngram_max=int(data.get("ngram_max", 3)),  # type: ignore[call-overload]
            max_chars=int(data.get("max_chars", 1500)),  # type: ignore[call-overload]
            rule_weight=float(blend.get("rule_weight", 0.0)),
            rule_clip=float(blend.get("rule_clip", 4.0)),
            urgent_bias=float(blend.get("urgent_bias", 0.0)),
            rule_override_margin=float(blend.get("rule_override_margin", 1e9)),
            model_margin=float(blend.get("model_margin", 0.0)),
            min_chars=int(blend.get("min_chars", 0)),
        )

    def contributions(self, text: str) -> tuple[list[float], dict[str, tuple[float, ...]], float]:
        """The logits per class, the weights of the n-grams present, and the feature value they share."""
        grams = ngrams(normalise(text, self.max_chars), self.ngram_max)
        logits = list(self.bias)
        if not grams:
            return logits, {}, 0.0
        scale = 1.0 / math.sqrt(len(grams))
        weights = self.weights
        present = {g: weights[g] for g in grams & weights.keys()}
        if present:
            for k, column in enumerate(zip(*present.values(), strict=True)):
                logits[k] += math.fsum(column) * scale
        return logits, present, scale


def top_features(
    present: Mapping[str, tuple[float, ...]], k: int, scale: float = 1.0, n: int = 3
) -> list[tuple[str, float]]:
    """The strongest n-grams for class ``k`` (against the mean of the others), scaled as scored.

    Only words count (two or more letters, no punctuation), and of overlapping ones the strongest.
    """
    others = len(next(iter(present.values()))) - 1 if present else 0

    def margin(ws: tuple[float, ...]) -> float:
        return (ws[k] - (sum(ws) - ws[k]) / others if others else ws[k]) * scale

    candidates = (  # "0" stands for any digit in the model's text: not a word to show
        (margin(ws), g) for g, ws in present.items() if len(g) >= 2 and g.isalnum() and "0" not in g
    )
    chosen: list[tuple[str, float]] = []
    for value, g in heapq.nlargest(4 * n, candidates):
        if value <= 0 or len(chosen) >= n:
            break
        if not any(g in c or c in g for c, _ in chosen):
            chosen.append((g, value))
    return chosen


@functools.lru_cache(maxsize=4)
def load_model(path: Path = WEIGHTS_FILE) -> TextModel | None:
    """The shipped model, or None when no weights file exists (the rules then decide alone)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return TextModel.from_json(data)
