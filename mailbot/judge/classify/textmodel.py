"""A linear model over character n-grams (1–3), scored in pure Python from a small JSON weights file.

The weights are trained offline by ``scripts/train_classifier.py`` (scikit-learn, the ``train`` extra) on
the labelled real texts of the dev split and the synthetic sets, plus any office corrections.  At run time
only this module reads them: no scikit-learn, no numpy.

Features: the distinct n-grams of the normalised text (full-width folded, lower case, digits as ``0``,
whitespace collapsed), each worth ``1/sqrt(number of distinct n-grams)`` — the same value the training
script computes, so the kept top-K weights score exactly as they were fitted.

Cue features (:data:`CUES`, issue #12): a few named families of phrasing that tell what *kind* of report a
text is — a follow-up's progress (伤亡人数上升至, 脱离生命危险, 获刑, 调查报告, 赔偿), a commentary or a
paper (为什么…？, 摘要/关键词, 近年来…屡屡) — each one feature worth ``cue_value`` when its pattern is found.
Dozens of phrasings pool into one weight, so the model learns them from few real texts; they are
features, never gates (the weights, chosen by cross-validation, decide what they are worth).
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
from mailbot.judge.hanzi import simplified, without_pinyin

WEIGHTS_FILE = Path(__file__).with_name("weights.json")

_DIGITS = re.compile(r"[0-9]")
_SPACE = re.compile(r"\s+")

# Cue families over the normalised text (digits are 0). A feature named ``cue:NAME``; NAME is shown to
# the office as the evidence. Every pattern is bounded, and the text is capped, so the cost is linear.
CUE_PREFIX = "cue:"  # a feature name, not a rule name (longer than any n-gram: no clash)
CUES: tuple[tuple[str, str], ...] = (
    # a follow-up: what happened since the incident
    (
        "伤亡人数上升",
        r"(?:人数|死亡|遇难|伤亡)[^。，,]{0,8}?(?:上升|增至|升至|增加到|增加至|进一步增加|再增)",
    ),
    (
        "伤者救治进展",
        r"脱离生命危险|生命体征[^。，,]{0,4}(?:平稳|稳定)|(?<!送)出院|病情(?:平稳|稳定|好转)|康复",
    ),
    ("司法处理", r"获刑|判处|判决|审结|宣判|一审|二审|提起公诉|被告人|有期徒刑|罚金"),
    ("追责问责", r"追责|问责|责任追究|处分|免职|停职|挂牌督办|约谈"),
    (
        "调查结论",
        r"调查报告|调查结果|原因(?:已)?(?:查明|认定|初步查明)|起火原因认定|火灾原因认定|事故性质|责任认定|应负[主次]要责任",
    ),
    ("赔偿善后", r"赔偿|索赔|善后|理赔|慰问金|抚恤"),
    ("后续报道", r"追踪|跟踪报道|后续|最新(?:通报|消息|进展|情况)|续报|进展|回应|通报称|再通报"),
    ("逮捕刑拘", r"刑拘|刑事拘留|拘捕|逮捕|批捕|落网"),
    # a follow-up names the incident as already known: 4日在…发生的…事故, “8·30”爆炸, 该起事故, 此前报道
    (
        "已发生回指",
        r"(?:0日|昨日|前日|日前|此前|近日|0月)[^。，,]{0,25}发生(?:在|于)?[^。]{0,30}?的[^。，,]{0,20}"
        r"(?:事故|事件|火灾|爆炸|中毒)",
    ),
    ("事件代号", r"[“\"‘']0{1,4}[·•.・]0{1,2}[”\"’']"),
    (
        "事件回指",
        r"(?:该|此|这)(?:起|次|宗)(?:事故|事件|火灾|爆炸|案件?)|事发(?:后|当[日天晚时])|涉事"
        r"|(?:事故|事件)中的?(?:伤|死|遇|受)",
    ),
    ("报道回溯", r"此前报道|此前,|据此前|详见|曾报道|本报曾|此前有媒体"),
    (
        "已有进展",
        r"已有0+(?:名|人)|(?:均|已经?)(?:被|经)?(?:刑拘|出院|脱离|查明|认定|追责|治愈|康复|好转)|至今",
    ),
    ("调查经过", r"经(?:调查|查明|鉴定|认定|核实|检测|化验|调查取证)|调查组(?:认定|查明|公布|通报)"),
    # a commentary or a paper: no new event
    ("设问评论", r"为什么|为何|难道|岂能|谁[来该]|何以"),
    ("评论用语", r"社评|评论|时评|反思|警钟|人祸|呼吁|不该|必然|教训|之痛|拷问|追问"),
    ("论文结构", r"摘\s?要|关键词|本文|研究表明|结果表明|目的[:：\s]|方法[:：\s]|结论[:：\s]"),
    ("多年统计", r"0{4}\s?[—~\-至到]\s?0{4}年|近年来|近0{1,2}年|频频|屡屡|多起|频发|逐年"),
)
_CUE_RE: tuple[tuple[str, re.Pattern[str]], ...] = tuple((f"{CUE_PREFIX}{n}", re.compile(p)) for n, p in CUES)


def cues(text: str) -> set[str]:
    """The cue features (``cue:NAME``) found in an already normalised text."""
    return {name for name, rx in _CUE_RE if rx.search(text)}


def normalise(text: str, max_chars: int) -> str:
    """The text the model reads: folded, simplified, lower case, digits as 0, one space, capped."""
    text = simplified(without_pinyin(_fold(text[: max_chars * 2])))
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
    cue_value: float = 0.0  # the value of a cue feature (0: a model trained without cues ignores them)
    kind_bias: float = 0.0  # added to the follow-up and research logits (few of them in training)

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
            cue_value=float(data.get("cue_value", 0.0)),  # type: ignore[arg-type]
            kind_bias=float(blend.get("kind_bias", 0.0)),
        )

    def contributions(self, text: str) -> tuple[list[float], dict[str, tuple[float, ...]], float]:
        """The logits per class, the weights of the n-grams present, and the feature value they share."""
        norm = normalise(text, self.max_chars)
        grams = ngrams(norm, self.ngram_max)
        logits = list(self.bias)
        if not grams:
            return logits, {}, 0.0
        scale = 1.0 / math.sqrt(len(grams))
        weights = self.weights
        present = {g: weights[g] for g in grams & weights.keys()}
        if present:
            for k, column in enumerate(zip(*present.values(), strict=True)):
                logits[k] += math.fsum(column) * scale
        if self.cue_value:
            for g in cues(norm) & weights.keys():
                ws = weights[g]
                present[g] = tuple(w * self.cue_value / scale for w in ws)  # shown as scored
                for k, w in enumerate(ws):
                    logits[k] += w * self.cue_value
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
        (margin(ws), g)
        for g, ws in present.items()
        if g.startswith("cue:") or (len(g) >= 2 and g.isalnum() and "0" not in g)
    )
    chosen: list[tuple[str, float]] = []
    for value, g in heapq.nlargest(4 * n, candidates):
        if value <= 0 or len(chosen) >= n:
            break
        if not any(g in c or c in g for c, _ in chosen):
            chosen.append((g, value))
    return [(f"〈{g[4:]}〉" if g.startswith("cue:") else g, v) for g, v in chosen]


@functools.lru_cache(maxsize=4)
def load_model(path: Path = WEIGHTS_FILE) -> TextModel | None:
    """The shipped model, or None when no weights file exists (the rules then decide alone)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return TextModel.from_json(data)
