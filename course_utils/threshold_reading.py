"""Reading threshold wrappers from a fitted model's plain description (:func:`checks.describe_estimator`).

Shared by the exercises whose steps wrap a model in ``FixedThresholdClassifier`` or ``TunedThresholdClassifierCV``
(exercises 06 and 10): which wrappers a model holds, and whether their ``pos_label`` is the class the step flags.
A wrapper's threshold applies to the probability of its ``pos_label``: with ``pos_label=0``, a threshold ``t``
flags a case (predicts 1) when the probability of class 1 is above ``1 - t``.
"""

from __future__ import annotations


def names_class_one(label) -> bool:
    """Whether a ``pos_label`` is the class 1 (the label the course's steps flag), not text or class 0."""
    try:
        return float(label) == 1.0
    except (TypeError, ValueError):
        return False


def threshold_wrappers(description, depth: int = 0) -> list[tuple]:
    """``(class name, threshold, pos_label, response_method)`` of every ``FixedThresholdClassifier`` or
    ``TunedThresholdClassifierCV`` in a fitted model's plain description: the model itself, what it wraps, and the
    steps of its pipelines, outermost first."""
    if not isinstance(description, dict) or depth > 6:
        return []
    found = []
    name = str(description.get("class") or "").rsplit(".", 1)[-1]
    params = description.get("params") if isinstance(description.get("params"), dict) else {}
    if name in ("FixedThresholdClassifier", "TunedThresholdClassifierCV"):
        found.append((name, params.get("threshold"), params.get("pos_label"), params.get("response_method")))
    for step in description.get("steps") or []:
        if isinstance(step, dict):
            found += threshold_wrappers({"class": step.get("class"), "params": step.get("params")}, depth + 1)
    return found + threshold_wrappers(description.get("inner"), depth + 1)


def threshold_on_class_one(threshold, pos_label):
    """The probability of class 1 above which a binary ``FixedThresholdClassifier`` flags a case, from its
    ``threshold`` on the probability of ``pos_label`` (None, the default, is class 1); None when unreadable."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        return None
    if pos_label is None or names_class_one(pos_label):
        return float(threshold)
    try:
        is_zero = float(pos_label) == 0.0
    except (TypeError, ValueError):
        return None
    return 1.0 - float(threshold) if is_zero else None
