"""Auto-checked questions: the learner API (``check``, ``hint``, ``solution``).

A question is *declared* from a few reusable answer kinds rather than written by hand::

    q1 = exercise.question(
        "baseline_accuracy", Number(expected=_baseline_accuracy, atol=0.005),
        points=1, hints=[...], solution="baseline_accuracy = ...",
    )

Every answer kind works in two steps, so that a grader can run them in two places:

``extract(value, seed)``
    Runs where the learner's object lives (their kernel). It turns the object into plain
    data -- numbers, strings, lists -- or raises :class:`Feedback` when the object cannot be
    used (wrong type, unfitted model, ...). It never compares with the expected answer.
``judge(data, seed)``
    Runs anywhere, on that plain data only, and decides the verdict.

``check`` runs both in-process and never raises: whatever the learner passes, the result
is a :class:`Result` with one of four statuses and a message the learner can act on.

Showing. ``check``, ``hint``, ``solution`` and ``progress`` display their output themselves, once,
wherever the call stands in a cell (two checks in one cell both show; a check followed by a
``print`` shows). They use IPython's ``display``, so the output reaches JupyterLab, Colab and the
outputs stored by nbconvert and nbval; without IPython they print text. ``check`` still returns its
:class:`Result`, which is not shown a second time when it is the cell's last expression.

One tolerance for numbers (:data:`RTOL`). A number is accepted when it is within 0.1 % of the exact
value (relative tolerance 1e-3, with an absolute floor of 1e-9 for values at 0). So rounding to
4 significant digits passes; rounding to fewer usually does not, and the check says so. A question
whose step admits a wider range declares its own tolerance and says why.

Mistakes. A known wrong answer is a :class:`Mistake` with a stable ``id`` (``"percentage"``,
``"rounded"``, ``"swapped"``, ``"training-set"``, ...), reported on the :class:`Result` as
``mistake``. A mistake is named only when the answer matches it and neither the right answer nor
another mistake; when several match, the message says so and ``mistake`` lists their ids joined
by ``"|"``. Shared builders (:func:`rounded_mistake`, :func:`percentage_mistake`,
:func:`swapped_mistake`, :func:`wrong_class_mistake`, :func:`wrong_split_mistake`) make the common
ones the same way in every exercise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import inspect
import math
import numbers
import re
import sys
import warnings
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "Status",
    "Result",
    "Feedback",
    "Note",
    "Answer",
    "Mistake",
    "Number",
    "Choice",
    "Array",
    "EstimatorSpec",
    "HeldoutScore",
    "FunctionCases",
    "Question",
    "Exercise",
    "DEFAULT_SEED",
    "RTOL",
    "ATOL_FLOOR",
    "TOLERANCE_RULE",
    "near",
    "rounded_mistake",
    "percentage_mistake",
    "swapped_mistake",
    "wrong_class_mistake",
    "trapezoid_mistake",
    "roc_auc_mistake",
    "wrong_split_mistake",
]

#: Seed used for generated check data when the learner calls ``check`` (the grader sets its own).
DEFAULT_SEED = 0
#: Answers bigger than this are refused before any work is done on them.
MAX_ELEMENTS = 5_000_000
#: The course's one tolerance for numbers: relative 1e-3 (0.1 %) ...
RTOL = 1e-3
#: ... with this absolute floor, for values at 0.
ATOL_FLOOR = 1e-9
#: The rule as the course states it to learners (notebook 00 and every exercise's introduction).
TOLERANCE_RULE = (
    "Store the value your code computes; don't round it. A number is accepted when it is within 0.1 % "
    "of the exact value, so rounding to 4 significant digits passes; rounding to fewer usually does "
    "not, and the check says so."
)


class Status(str, Enum):
    """The four outcomes of a check."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"
    UNCHECKABLE = "could not be checked"


_STYLE = {
    Status.CORRECT: ("#1b7837", "#e7f4e4", "\u2714", "Correct"),
    Status.INCORRECT: ("#b2182b", "#fbe9e7", "\u2718", "Incorrect"),
    Status.NOT_ATTEMPTED: ("#4d4d4d", "#f2f2f2", "\u2026", "Not attempted"),
    Status.UNCHECKABLE: ("#8c510a", "#fdf3e1", "?", "Could not be checked"),
}


def _status_label(status: Status, points: float) -> str:
    """The word shown for a status: a question of several parts with some right and none wrong, the rest
    not set yet, is "Unfinished" (it keeps its points), not "Not attempted"."""
    if status is Status.NOT_ATTEMPTED and points > 0:
        return "Unfinished"
    return _STYLE[status][3]


# --------------------------------------------------------------------------- #
# Showing a verdict, a hint or a summary exactly once, wherever the call stands
# --------------------------------------------------------------------------- #

#: Number of cells run since the first verdict was shown (bumped by an IPython pre-run hook).
_CELL = {"number": 0, "hooked": None}


def _ipython():
    """The running IPython shell, or None (plain Python). Never imports IPython itself."""
    if "IPython" not in sys.modules:
        return None
    try:
        return sys.modules["IPython"].get_ipython()
    except Exception:
        return None


def _next_cell(*_args) -> None:
    _CELL["number"] += 1


def _cell_number(shell) -> int:
    """Which cell is running, counted by a ``pre_run_cell`` hook registered on first use."""
    if _CELL["hooked"] is not shell:
        try:
            shell.events.register("pre_run_cell", _next_cell)
            _CELL["hooked"] = shell
        except Exception:  # a shell without events: every display then counts as a new cell
            _CELL["number"] += 1
    return _CELL["number"]


class _ShowsItself:
    """Mixin: ``_show()`` displays the object now; IPython's display hook will not repeat it.

    In IPython, ``_show`` sends a ``display_data`` message (HTML and text) and notes the cell it
    ran in; ``_ipython_display_`` -- which IPython calls instead of the usual reprs when the
    object is a cell's last expression or passed to ``display`` -- does nothing in that same cell,
    and displays the object again in any later cell. Without IPython, ``_show`` prints the text.
    """

    def _mimebundle(self) -> dict:
        return {"text/plain": str(self), "text/html": self._repr_html_()}

    def _show(self):
        try:
            shell = _ipython()
            if shell is None:
                print(str(self), flush=True)
                return self
            from IPython.display import display

            display(self._mimebundle(), raw=True)
            object.__setattr__(self, "_shown_in_cell", _cell_number(shell))
        except Exception:  # showing must never turn a verdict into a traceback
            pass
        return self

    def _ipython_display_(self) -> None:
        shell = _ipython()
        if shell is not None and getattr(self, "_shown_in_cell", None) == _cell_number(shell):
            return
        from IPython.display import display

        display(self._mimebundle(), raw=True)


@dataclass(frozen=True)
class Result(_ShowsItself):
    """Outcome of one ``check()`` call.

    Its truth value is ``True`` only for a correct answer. ``check`` shows it where it is
    called; it renders as HTML in Jupyter and as one line of text elsewhere.

    Attributes
    ----------
    status : Status
    message : str
        What is right or wrong, in words the learner can act on.
    points, max_points : float
        Credit earned and available.
    question : str
        Label of the question, e.g. ``"ex02.q3"``.
    mistake : str or None
        Stable id of the mistake the message names (``"percentage"``, ``"rounded"``, ...), None
        when it names none. Several ids joined by ``"|"`` when the answer matches several
        mistakes; for a question of several parts, ``"part=id"`` items joined by ``"; "``.
    """

    status: Status
    message: str
    points: float = 0.0
    max_points: float = 0.0
    question: str = ""
    mistake: str | None = None

    def __bool__(self) -> bool:
        return self.status is Status.CORRECT

    @property
    def label(self) -> str:
        return _status_label(self.status, self.points)

    def __str__(self) -> str:
        head = f"{self.question}: " if self.question else ""
        return f"{_STYLE[self.status][2]} {head}{self.label}. {self.message}".rstrip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, background, icon, _ = _STYLE[self.status]
        label = self.label
        head = f"{html.escape(self.question)} &middot; " if self.question else ""
        return (
            f'<div style="border-left:4px solid {colour};background:{background};'
            f'padding:6px 10px;margin:2px 0;color:#1a1a1a">'
            f'<b style="color:{colour}">{icon} {head}{label}.</b> '
            f"{_markup(self.message)}</div>"
        )

    def to_dict(self) -> dict:
        """Plain-data form, for the grader's records."""
        return {
            "question": self.question,
            "status": self.status.value,
            "message": self.message,
            "points": self.points,
            "max_points": self.max_points,
            "mistake": self.mistake,
        }


def _markup(text: str) -> str:
    """Escape text for HTML, rendering `backticks` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


@dataclass(frozen=True)
class Note(_ShowsItself):
    """A hint or a solution: Markdown-ish text shown in a box."""

    title: str
    text: str
    code: str = ""

    def __str__(self) -> str:
        body = f"{self.title}: {self.text}".strip()
        return body + (f"\n\n{self.code}" if self.code else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        code = (
            f'<pre style="margin:4px 0 0 0;padding:4px 8px;background:#fff">{html.escape(self.code)}</pre>'
            if self.code
            else ""
        )
        return (
            '<div style="border-left:4px solid #2166ac;background:#eaf1f8;padding:6px 10px;'
            f'margin:2px 0;color:#1a1a1a"><b style="color:#2166ac">{html.escape(self.title)}:</b> '
            f"{_markup(self.text)}{code}</div>"
        )


class Feedback(Exception):
    """Raised by answer kinds to end a check early with a given status, message and mistake id."""

    def __init__(self, status: Status, message: str, mistake: str | None = None):
        super().__init__(message)
        self.status = Status(status)
        self.message = message
        self.mistake = mistake


def incorrect(message: str, mistake: str | None = None) -> Feedback:
    return Feedback(Status.INCORRECT, message, mistake)


def uncheckable(message: str) -> Feedback:
    return Feedback(Status.UNCHECKABLE, message)


def is_blank(value: Any) -> bool:
    """True for the placeholders a learner has not replaced yet (``None`` and ``...``)."""
    return value is None or value is Ellipsis


def describe_type(value: Any) -> str:
    """Name of an object's type, safe to call on anything."""
    try:
        cls = type(value)
        module = getattr(cls, "__module__", "") or ""
        name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "object")
        return name if module in ("builtins", "") else f"{module.split('.')[0]}.{name}"
    except Exception:  # pragma: no cover - type() itself cannot fail, but be safe
        return "object"


# --------------------------------------------------------------------------- #
# Answer kinds
# --------------------------------------------------------------------------- #


class Answer:
    """Base class of answer kinds. Subclasses implement :meth:`extract` and :meth:`judge`."""

    #: A short phrase saying what kind of value is expected ("a number", ...).
    expects = "an answer"
    #: Whether :meth:`extract` uses ``seed``. The grader never sends the seed into a learner's kernel, so it
    #: grades a kind that says True only through the inputs it sends itself (held-out rows, function cases).
    #: Unknown kinds are assumed to use it; a kind whose extract only converts the learner's value says False.
    extract_uses_seed = True

    def extract(self, value: Any, seed: int = DEFAULT_SEED) -> Any:
        raise NotImplementedError

    def judge(self, data: Any, seed: int = DEFAULT_SEED) -> Result:
        raise NotImplementedError


def _resolve(expected: Any) -> Any:
    """Expected values may be given lazily, as a function computed on first use."""
    return expected() if callable(expected) else expected


def as_plain_number(value: Any) -> float:
    """Convert a learner's value to a Python float, or raise :class:`Feedback`.

    Accepts Python and NumPy real numbers, and one-element arrays or Series. Refuses
    booleans and strings (with a message that says how to fix the answer).
    """
    if isinstance(value, (bool, np.bool_)):
        raise uncheckable("Expected a number, but got a boolean (`True`/`False`).")
    if isinstance(value, str):
        try:
            float(value)
            fix = "Remove the quotes, or convert it with `float(...)`."
        except ValueError:  # "balanced", "abc": float() would fail, so do not suggest it
            fix = "Store the number itself, not a name or a text."
        raise uncheckable(f"Expected a number, but got the string {_short(value)!r}. {fix}")
    if isinstance(value, numbers.Real):
        number = float.__new__(float, float(value))
    else:
        size = _safe_size(value)
        if size != 1:
            what = f"{describe_type(value)} with {size} values" if size else describe_type(value)
            raise uncheckable(f"Expected a single number, but got {what}.")
        try:
            number = float(np.asarray(value, dtype=float).reshape(-1)[0])
        except Exception:
            raise uncheckable(f"Expected a number, but got {describe_type(value)}.") from None
    if math.isnan(number):
        raise incorrect("Your answer is NaN (not a number): check the computation that produced it.")
    return number


def _short(text: str, limit: int = 40) -> str:
    text = str.__str__(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _safe_size(value: Any) -> int | None:
    try:
        return int(np.size(value)) if isinstance(value, (np.ndarray, list, tuple)) or hasattr(
            value, "to_numpy"
        ) else None
    except Exception:
        return None


# --------------------------------------------------------------------------- #
# Mistakes: known wrong answers, each with a stable id
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and what to tell the learner who gives it.

    Parameters
    ----------
    id : str
        Stable identifier, reported as ``Result.mistake`` (``"percentage"``, ``"rounded"``,
        ``"swapped"``, ``"training-set"``, or a question-specific id such as ``"recall-of-class-0"``).
    match : float or callable
        For :class:`Number`: a value, or a function of no argument computing it lazily, matched
        within the question's tolerance (and at least :data:`RTOL`); or a predicate
        ``match(value) -> bool``. For :class:`Array`: a predicate
        ``match(answer, expected) -> bool``.
    message : str or callable
        What to say; a callable receives the learner's value and returns the text.
    exact : bool
        For a wrong quantity that lies within the tolerance of the right one (the baseline's
        accuracy on all rows rather than the test rows, say): match it only exactly -- to 1e-9
        (relative), or at the precision the value was typed with when that is 4 significant digits
        or more and the right value differs at that precision -- and then name it even inside the
        tolerance: an exact match is the proof.
    unless_right : str
        The name of another part of the same question whose right answer rules this mistake out
        (a model part judged to be the default fit rules out "the value of a liblinear fit"). When
        that part is right, this part is judged again without the mistake.
    """

    id: str
    match: Any
    message: Any
    exact: bool = False
    unless_right: str = ""

    def says(self, value: Any) -> str:
        return str(self.message(value) if callable(self.message) else self.message)


def _significant_digits(value: float) -> int:
    """Significant digits of a number as typed (0.96563 -> 5); 15 or more for a computed value."""
    text = f"{abs(value):.15g}".split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(len(text), 1)


def _same_at(value: float, other: float, digits: int) -> bool:
    return float(f"{other:.{digits}g}") == float(f"{value:.{digits}g}")


def _is_lazy_value(match: Any) -> bool:
    """Whether ``match`` is a function of no argument computing a value (not a predicate)."""
    if not callable(match):
        return False
    try:
        return not any(
            p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            for p in inspect.signature(match).parameters.values()
        )
    except (TypeError, ValueError):
        return False


def as_mistake(item: Any) -> Mistake:
    """A :class:`Mistake` from a Mistake, an ``(id, match, message)`` or a ``(match, message)`` tuple.

    A two-item tuple gets an id derived from its message (stable while the message is).
    """
    if isinstance(item, Mistake):
        return item
    if len(item) == 3:
        return Mistake(*item)
    match, message = item
    digest = hashlib.sha1(str(message).encode()).hexdigest()[:8] if not callable(message) else "dynamic"
    return Mistake(f"m-{digest}", match, message)


def _mistake_feedback(hits: Sequence[Mistake], value: Any) -> Result:
    """The verdict for an answer that matches the mistakes ``hits`` (at least one)."""
    unique: dict[str, str] = {}
    for hit in hits:
        text = hit.says(value)
        if hit.id not in unique and text not in unique.values():
            unique[hit.id] = text
    if len(unique) == 1:
        ((mistake, text),) = unique.items()
        return Result(Status.INCORRECT, text, mistake=mistake)
    listed = " ".join(f"({i}) {text}" for i, text in enumerate(unique.values(), 1))
    return Result(
        Status.INCORRECT,
        f"Your value fits {len(unique)} known slips, so the check cannot tell which one you made: {listed}",
        mistake="|".join(unique),
    )


def near(target: Any, rtol: float = RTOL) -> Callable[[float], bool]:
    """Predicate: a number within ``rtol`` (relative; :data:`ATOL_FLOOR` absolute) of ``target``.

    ``target`` may be a function computing it lazily.
    """

    def match(value: float) -> bool:
        return math.isclose(value, float(_resolve(target)), rel_tol=rtol, abs_tol=ATOL_FLOOR)

    return match


def _rounding_of(value: float, exact: float) -> str | None:
    """How ``value`` is ``exact`` rounded ("to 2 decimals", ...), or None when it is not provably so.

    Provably: ``value`` equals ``exact`` rounded to the nearest at 0-6 decimals, or to 1-3
    significant digits, but is not ``exact`` itself (within :data:`RTOL`), and is not 0. A value
    cut short (0.7 for 0.7512) is not called rounded: nothing proves it is not another number; nor
    is a fraction's 1 (a perfect score says more than a rounding).
    """
    if value == 0 or not math.isfinite(exact) or math.isclose(value, exact, rel_tol=RTOL, abs_tol=ATOL_FLOOR):
        return None

    def same(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)

    if abs(exact) < 1 and abs(value) == 1:  # a fraction "rounded" to 1 says nothing: a perfect score says more
        return None
    for places in range(0, 7):
        if same(value, round(exact, places)):
            return f"to {places} decimal{'' if places == 1 else 's'}" if places else "to a whole number"
    if exact:
        magnitude = math.floor(math.log10(abs(exact)))
        for digits in range(1, 4):
            places = digits - 1 - magnitude
            if places < 0 and same(value, round(exact, places)):
                return f"to {digits} significant digit{'' if digits == 1 else 's'}"
    return None


def rounding_message(how: str | int, tolerance: float | None = None) -> str:
    """What to tell a learner whose answer is the right value rounded (``how``: "to 2 decimals",
    or a number of decimals). ``tolerance`` is ignored: kept for older checkers."""
    if isinstance(how, int):
        how = f"to {how} decimal{'' if how == 1 else 's'}"
    return (
        f"Your value is the right one rounded {how}. Store the value your code computes, without rounding "
        "it: a number is accepted within 0.1 % of the exact value."
    )


def rounded_mistake(expected: Any) -> Mistake:
    """Mistake ``"rounded"``: the right value rounded (see :func:`_rounding_of`) and too far off.

    :class:`Number` adds it to every question by itself.
    """

    def match(value: float) -> bool:
        return _rounding_of(value, float(_resolve(expected))) is not None

    return Mistake("rounded", match, lambda value: rounding_message(_rounding_of(value, float(_resolve(expected)))))


_PERCENTAGE = "That is a percentage; give the value as a fraction between 0 and 1 (0.25 rather than 25)."


def percentage_mistake(expected: Any, message: str = _PERCENTAGE, *, atol: float | None = None) -> Mistake:
    """Mistake ``"percentage"``: the expected fraction times 100, possibly rounded.

    ``atol`` (in fraction units) widens the match, for the few questions that need it.
    """

    def match(value: float) -> bool:
        exact = float(_resolve(expected))
        if not 0 < abs(exact) <= 1:
            return False
        percent = 100 * exact
        return (
            math.isclose(value, percent, rel_tol=RTOL, abs_tol=100 * (atol or 0.0))
            or _rounding_of(value, percent) is not None  # a percentage rounded still is one
        )

    return Mistake("percentage", match, message)


def swapped_mistake(value_if_swapped: Any, message: str, *, id: str = "swapped") -> Mistake:
    """Mistake ``"swapped"``: the value the computation gives with two of its inputs swapped.

    For a :class:`Number`, ``value_if_swapped`` is a number or a function computing it; for an
    :class:`Array`, a predicate ``(answer, expected) -> bool``.
    """
    return Mistake(id, value_if_swapped, message)


def wrong_class_mistake(value_for_other_class: Any, message: str, *, id: str = "wrong-class") -> Mistake:
    """Mistake ``"wrong-class"``: the value computed for the other class (label 0 instead of 1)."""
    return Mistake(id, value_for_other_class, message)


def wrong_split_mistake(value_on_other_rows: Any, message: str, *, id: str = "training-set") -> Mistake:
    """Mistake of data: the value measured on other rows (``"training-set"``, ``"all-data"``, ...)."""
    return Mistake(id, value_on_other_rows, message)


def roc_auc_mistake(value_of_roc_auc: Any) -> Mistake:
    """Mistake ``"roc-auc"``: the ROC-AUC of the same scores instead of the average precision asked for."""
    return Mistake("roc-auc", value_of_roc_auc, "That is the ROC-AUC (`roc_auc_score`), not the average precision: "
                   "use `average_precision_score`.")


def trapezoid_mistake(value_by_trapezoid: Any) -> Mistake:
    """Mistake ``"trapezoid"``: the area under the precision-recall curve by the trapezoidal rule instead of the
    average precision asked for."""
    return Mistake("trapezoid", value_by_trapezoid, "That is the area under the precision-recall curve by the "
                   "trapezoidal rule (`auc(recall, precision)`), which interpolates linearly between points. Use "
                   "`average_precision_score`.")


def rounding_mistakes(expected, *, tolerance: float = RTOL, digits=(1, 2, 3), exclude=(0,)) -> list:
    """Kept for older checkers: the same as ``[rounded_mistake(expected)]``."""
    return [rounded_mistake(expected)]


@dataclass
class Number(Answer):
    """A number compared with the course's tolerance.

    Parameters
    ----------
    expected : float or callable
        The right value, or a function computing it (called once, lazily).
    rtol, atol : float
        Relative and absolute tolerance, as in :func:`math.isclose`: by default the course's one
        rule, :data:`RTOL` and :data:`ATOL_FLOOR`. A question whose step admits a wider range
        declares it and says why in ``tolerance_reason``.
    mistakes : sequence of Mistake (or tuples, see :func:`as_mistake`)
        Known wrong answers. A float (or lazy callable of no argument wrapped by :func:`near`)
        matches within :data:`RTOL`; a predicate receives the learner's number.
    direction_hint : bool
        Whether to say "too high" / "too low" for other wrong values.
    detect_rounding : bool
        Whether to add the ``"rounded"`` mistake (the right value rounded to fewer digits).
    otherwise : str, optional
        The message for a wrong value that matches no mistake (instead of "too high"/"too low").
    tolerance_reason : str, optional
        Why this question accepts a wider range than the course's rule; shown with a right answer.
    valid_values : callable, optional
        ``valid_values() -> list of float``: other values a valid way reaches (for instance the
        same model fitted by other converged solvers). A value within the tolerance of the range
        they span with ``expected`` is right.
    alternatives : callable, optional
        ``alternatives() -> mapping of float to str``: the exact values of other valid ways, each
        right within the tolerance of its own value (not the range between them), with what the
        way is, said when the answer matches it.
    """

    expected: Any
    atol: float = ATOL_FLOOR
    rtol: float = RTOL
    mistakes: Sequence[Any] = ()
    direction_hint: bool = True
    detect_rounding: bool = True
    otherwise: str = ""
    tolerance_reason: str = ""
    valid_values: Any = None
    alternatives: Any = None
    expects = "a number"
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        return as_plain_number(value)

    def _close(self, a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=self.rtol, abs_tol=self.atol)

    def all_mistakes(self) -> list[Mistake]:
        found = [as_mistake(m) for m in self.mistakes]
        if self.detect_rounding and not any(m.id == "rounded" for m in found):
            found.append(rounded_mistake(self.expected))
        return found

    def matching_mistakes(self, value: float) -> list[Mistake]:
        """Every declared mistake that ``value`` matches (the right answer is not looked at)."""
        hits = []
        for mistake in self.all_mistakes():
            match = mistake.match
            try:
                if mistake.exact:
                    hit = False  # exact mistakes were looked at first, see _exact_hits
                elif _is_lazy_value(match):
                    hit = self._close(value, float(match())) or near(match)(value)
                else:
                    hit = match(value) if callable(match) else self._close(value, float(match))
            except Exception:  # a mistake that cannot be evaluated does not match
                hit = False
            if hit:
                hits.append(mistake)
        return hits

    def _in_valid_range(self, value: float, expected: float) -> bool:
        if self.valid_values is None:
            return False
        values = [expected, *(float(v) for v in self.valid_values())]
        low, high = min(values), max(values)
        return low <= value <= high or self._close(value, low) or self._close(value, high)

    def _alternative(self, value: float) -> str:
        """What the valid way whose exact value ``value`` is (within the tolerance) is, or ``""``."""
        if self.alternatives is None:
            return ""
        try:
            ways = dict(self.alternatives())
        except Exception:  # an alternative that cannot be computed accepts nothing
            return ""
        return next((str(way) for alternative, way in ways.items() if self._close(value, float(alternative))), "")

    def _exact_hits(self, value: float, expected: float) -> list[Mistake]:
        if math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
            return []
        digits = _significant_digits(value)
        hits = []
        for mistake in self.all_mistakes():
            if not mistake.exact:
                continue
            try:
                match = mistake.match
                if callable(match) and not _is_lazy_value(match):
                    hit = match(value)
                else:
                    wrong = float(_resolve(match))
                    hit = math.isclose(value, wrong, rel_tol=1e-9, abs_tol=1e-12) or (
                        # typed to 4+ significant digits: the wrong value at that precision, not the right one
                        4 <= digits <= 12
                        and _same_at(value, wrong, digits)
                        and not _same_at(value, expected, digits)
                    )
            except Exception:
                hit = False
            if hit:
                hits.append(mistake)
        return hits

    def judge(self, data, seed=DEFAULT_SEED):
        value = float(data) + 0.0  # + 0.0 turns -0.0 into 0.0 for display
        expected = float(_resolve(self.expected))
        exact = self._exact_hits(value, expected)
        if exact:
            return _mistake_feedback(exact, value)
        if self._close(value, expected) or self._in_valid_range(value, expected):
            # The reason for a wider range is said only when the answer needed it.
            strict = math.isclose(value, float(expected), rel_tol=RTOL, abs_tol=ATOL_FLOOR)
            why = f" ({self.tolerance_reason})" if self.tolerance_reason and not strict else ""
            return Result(Status.CORRECT, f"{value:.6g} is right{why}.")
        way = self._alternative(value)
        if way:
            return Result(Status.CORRECT, f"{value:.6g} is right: it is the value of {way}.")
        hits = self.matching_mistakes(value)
        if hits:
            return _mistake_feedback(hits, value)
        if self.otherwise:
            return Result(Status.INCORRECT, self.otherwise)
        if expected and abs(value - expected) <= 0.01 * abs(expected):
            return Result(
                Status.INCORRECT,
                f"{value:.6g} is close, but outside the tolerance (0.1 %): check that you used exactly the data "
                "and settings the step asks for, and that you did not round or type in the value.",
            )
        if self.direction_hint:
            side = "too high" if value > expected else "too low"
            return Result(Status.INCORRECT, f"{value:.6g} is {side}.")
        return Result(Status.INCORRECT, f"{value:.6g} is not right.")


@dataclass
class Choice(Answer):
    """One option out of several, given by its key (``"a"``, ``"b"``, ...).

    Parameters
    ----------
    options : mapping of str to str
        Option key -> option text.
    correct : str
        Key of the right option.
    explanations : mapping of str to str
        Per-option explanation, shown when that option is chosen (right or wrong).
    """

    options: Mapping[str, str]
    correct: str
    explanations: Mapping[str, str] = field(default_factory=dict)
    expects = "one of the option letters"
    extract_uses_seed = False

    def _keys(self) -> str:
        return ", ".join(repr(k) for k in self.options)

    def extract(self, value, seed=DEFAULT_SEED):
        if not isinstance(value, str):
            raise uncheckable(
                f"Answer with one of the option letters as a string, e.g. `'a'` (one of {self._keys()}); "
                f"got {describe_type(value)}."
            )
        # str.strip on the base class, so a str subclass cannot override the comparison.
        return str.lower(str.strip(str.__str__(value))).strip("()'\". ")

    def judge(self, data, seed=DEFAULT_SEED):
        key = str(data)
        if key not in self.options:
            raise uncheckable(f"{_short(key)!r} is not an option: answer with one of {self._keys()}.")
        why = self.explanations.get(key, "")
        if key == self.correct:
            return Result(Status.CORRECT, f"({key}) {self.options[key]}. {why}".strip())
        # A stable id per wrong option, so that the class report can count them ("34 % chose (c)").
        return Result(Status.INCORRECT, f"({key}) is not it. {why}".strip(), mistake=f"chose-{key}")


def as_plain_array(value: Any, *, name: str = "array") -> np.ndarray:
    """Convert a list, array, Series or DataFrame to a numeric NumPy array, or raise Feedback."""
    if isinstance(value, (str, bytes, dict, set, map, filter, zip)) or inspect.isgenerator(value):
        raise uncheckable(
            f"Expected an {name} (a NumPy array, list or Series), but got {describe_type(value)}."
            + ("" if isinstance(value, (str, bytes, dict, set)) else " Turn it into a list first: `list(...)`.")
        )
    if hasattr(value, "to_numpy") and callable(value.to_numpy):
        try:
            value = value.to_numpy()
        except Exception:
            raise uncheckable(f"Could not read your {describe_type(value)} as an {name}.") from None
    if not isinstance(value, (np.ndarray, list, tuple, range)) and not isinstance(value, numbers.Number):
        raise uncheckable(f"Expected an {name} (a NumPy array, list or Series), but got {describe_type(value)}.")
    try:
        array = np.asarray(value)
    except Exception:
        raise uncheckable(f"Could not turn your answer into an {name}: are all rows the same length?") from None
    if array.size > MAX_ELEMENTS:
        raise uncheckable(f"Your {name} has {array.size:,} values, far more than expected.")
    if array.dtype == bool:
        array = array.astype(int)
    if not np.issubdtype(array.dtype, np.number):
        raise uncheckable(f"Expected numbers in your {name}, but it holds {array.dtype} values.")
    return array


def _array_rounding_of(answer: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    """How ``answer`` is ``expected`` rounded, when every value is rounded the same way (see
    :func:`_rounding_of`); None when it is not provably so."""
    if answer.shape != expected.shape or not answer.size or np.allclose(answer, expected, rtol=rtol, atol=atol):
        return None
    for places in range(0, 7):
        candidate = np.round(expected, places)
        if np.allclose(answer, candidate, rtol=1e-9, atol=1e-12) and not np.all(candidate == 0):
            return f"to {places} decimal{'' if places == 1 else 's'}" if places else "to whole numbers"
    return None


@dataclass
class Array(Answer):
    """A numeric array compared element-wise with tolerance.

    Parameters
    ----------
    expected : array-like or callable
    atol, rtol : float
        Tolerances, as in :func:`numpy.allclose`.
    mistakes : sequence of Mistake (or tuples, see :func:`as_mistake`)
        Each predicate receives ``(answer, expected)`` arrays of the right shape and returns
        True when the answer shows that mistake. Every matching mistake is reported (see
        :class:`Mistake`).
    shape_mistakes : sequence of Mistake (or tuples), optional
        Like ``mistakes``, for answers of the *wrong* shape: the first match replaces the
        generic shape message.
    detect_rounding : bool
        Whether to add the ``"rounded"`` mistake (every value rounded to the same decimals).
    otherwise : str, optional
        The message for a wrong answer that matches no mistake (instead of counting the values
        that differ).
    """

    expected: Any
    atol: float = 1e-8
    rtol: float = 1e-5
    mistakes: Sequence[Any] = ()
    shape_mistakes: Sequence[Any] = ()
    detect_rounding: bool = True
    otherwise: str = ""
    expects = "an array"
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        return as_plain_array(value).tolist()

    def all_mistakes(self) -> list[Mistake]:
        found = [as_mistake(m) for m in self.mistakes]
        if self.detect_rounding and not any(m.id == "rounded" for m in found):
            rtol, atol = self.rtol, self.atol

            def rounded(answer, expected):
                return _array_rounding_of(answer, expected, rtol, atol) is not None

            def says(answer):
                how = _array_rounding_of(np.asarray(answer, dtype=float), np.asarray(_resolve(self.expected), dtype=float), rtol, atol)
                return rounding_message(how or "")

            found.append(Mistake("rounded", rounded, says))
        return found

    def judge(self, data, seed=DEFAULT_SEED):
        answer = np.asarray(data, dtype=float)
        expected = np.asarray(_resolve(self.expected), dtype=float)
        if answer.shape != expected.shape:
            for mistake in map(as_mistake, self.shape_mistakes):
                if mistake.match(answer, expected):
                    raise incorrect(mistake.says(answer), mistake.id)
            tip = ""
            if answer.ndim == 2 and answer.shape == (expected.shape[0], 1) and expected.ndim == 1:
                tip = " Flatten it with `.ravel()`, or select the column you need."
            elif answer.ndim == 2 and answer.shape == (expected.shape[0], 2) and expected.ndim == 1:
                tip = " For probabilities, keep only the positive class: `[:, 1]`."
            if answer.ndim == 0 and expected.size > 1:
                raise incorrect(f"Expected {expected.size} values (shape {expected.shape}), got a single number.{tip}")
            if answer.ndim == 1 and expected.ndim == 1:
                raise incorrect(f"Expected {expected.size} values, got {answer.size}.{tip}")
            raise incorrect(f"Expected shape {expected.shape}, got {answer.shape}.{tip}")
        has_nan = bool(np.isnan(answer).any())
        if not has_nan and np.allclose(answer, expected, atol=self.atol, rtol=self.rtol):
            return Result(Status.CORRECT, f"All {answer.size} values match.")
        hits = []
        for mistake in self.all_mistakes():
            try:
                if mistake.match(answer, expected):
                    hits.append(mistake)
            except Exception:  # a mistake that cannot be evaluated does not match
                pass
        if hits:  # a known slip that yields NaN (a 0 / 0) is named, not the NaN
            return _mistake_feedback(hits, answer)
        if has_nan:
            raise incorrect(f"Your array contains {int(np.isnan(answer).sum())} NaN value(s).")
        if self.otherwise:
            return Result(Status.INCORRECT, self.otherwise)
        wrong = int((~np.isclose(answer, expected, atol=self.atol, rtol=self.rtol)).sum())
        return Result(Status.INCORRECT, f"{wrong} of {answer.size} values differ from the expected ones.")


# --------------------------------------------------------------------------- #
# Estimators and pipelines
# --------------------------------------------------------------------------- #


def _qualname(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _plain_param(value: Any) -> Any:
    """Parameter value as plain data: simple values kept, estimators by class name."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain_param(v) for k, v in list(value.items())[:20]}
    if isinstance(value, (list, tuple)) and len(value) <= 20:
        return [_plain_param(v) for v in value]
    if hasattr(value, "get_params"):
        return {"class": _qualname(value)}
    return {"repr_type": describe_type(value)}


def _wrapped_estimator(estimator: Any) -> Any:
    """The estimator a meta-estimator wraps (search, threshold or calibration wrapper), or None.

    The fitted copy (``best_estimator_``, ``estimator_``) when there is one, else the ``estimator``
    parameter.
    """
    candidates = []
    for attr in ("best_estimator_", "estimator_"):
        try:
            candidates.append(getattr(estimator, attr, None))
        except Exception:
            pass
    try:
        candidates.append(estimator.get_params(deep=False).get("estimator"))
    except Exception:
        pass
    for inner in candidates:
        if inner is not None and not isinstance(inner, type) and hasattr(inner, "get_params") and hasattr(inner, "fit"):
            return inner
    return None


def _rows_seen(step: Any) -> int | None:
    """Rows a fitted step saw at fit time, when it records them (scalers: ``n_samples_seen_``)."""
    try:
        seen = getattr(step, "n_samples_seen_", None)
    except Exception:
        return None
    if isinstance(seen, np.ndarray) and seen.size and np.issubdtype(seen.dtype, np.number):
        seen = seen.max()  # one count per feature when some values are missing
    if isinstance(seen, numbers.Real) and not isinstance(seen, (bool, np.bool_)) and math.isfinite(seen):
        return int(round(float(seen)))  # scikit-learn stores it as a float
    return None


def describe_estimator(estimator: Any, *, _depth: int = 0) -> dict:
    """Plain-data description of an estimator or pipeline: classes, steps, params, fitted state.

    Each pipeline step also records ``n_samples_seen`` (rows it saw at fit, for steps that count
    them, such as scalers; else None). For a meta-estimator (``GridSearchCV``,
    ``TunedThresholdClassifierCV``, ``CalibratedClassifierCV``, ``FrozenEstimator``, ...), ``inner``
    describes the estimator it wraps -- the fitted copy when there is one; it is None otherwise.

    Raises :class:`Feedback` if ``estimator`` is not a scikit-learn style estimator.
    """
    from sklearn.base import is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if isinstance(estimator, type):
        raise uncheckable(
            f"You passed the class `{estimator.__name__}` itself; create an instance: `{estimator.__name__}(...)`."
        )
    if not (hasattr(estimator, "get_params") and hasattr(estimator, "fit")):
        raise uncheckable(f"Expected a scikit-learn estimator or pipeline, but got {describe_type(estimator)}.")
    try:
        check_is_fitted(estimator)
        fitted = True
    except NotFittedError:
        fitted = False
    except Exception:
        fitted = False
    steps = []
    for name, step in getattr(estimator, "steps", []) or []:
        steps.append(
            {
                "name": str(name),
                "class": _qualname(step) if step not in (None, "passthrough") else "passthrough",
                "params": {k: _plain_param(v) for k, v in step.get_params(deep=False).items()}
                if hasattr(step, "get_params")
                else {},
                "is_sampler": hasattr(step, "fit_resample"),
                "n_samples_seen": _rows_seen(step),
            }
        )
    inner = _wrapped_estimator(estimator) if _depth < 4 else None
    return {
        "class": _qualname(estimator),
        "fitted": fitted,
        "is_classifier": bool(is_classifier(estimator)),
        "params": {k: _plain_param(v) for k, v in estimator.get_params(deep=False).items() if k != "steps"},
        "steps": steps,
        "inner": describe_estimator(inner, _depth=_depth + 1) if inner is not None else None,
    }


@dataclass
class EstimatorSpec(Answer):
    """Properties an estimator or pipeline must have.

    Parameters
    ----------
    requirements : sequence of (callable, str or callable), or of (id, callable, str or callable)
        Each callable receives the plain description made by :func:`describe_estimator`
        and returns True when satisfied; the message says what to change when it is not.
        A message may also be a callable that receives the same description and returns the
        text, to quote what was found. They are checked in order and the first unmet one is reported,
        with its mistake ``id`` when it has one.
    must_be_fitted : bool
        Whether the estimator must have been fitted.
    fit_call : str
        The fit call the question expects, quoted when the model is not fitted.
    """

    requirements: Sequence[tuple[Callable[[dict], bool], str]]
    must_be_fitted: bool = False
    fit_call: str = ".fit(X_train, y_train)"
    expects = "an estimator"
    extract_uses_seed = False

    def extract(self, value, seed=DEFAULT_SEED):
        return describe_estimator(value)

    def judge(self, data, seed=DEFAULT_SEED):
        if self.must_be_fitted and not data["fitted"]:
            raise uncheckable(f"Your model is not fitted yet, so it could not be checked: call `{self.fit_call}` on it first.")
        for item in self.requirements:
            mistake, (requirement, message) = (item[0], item[1:]) if len(item) == 3 else (None, item)
            if not requirement(data):
                raise incorrect(message(data) if callable(message) else message, mistake)
        return Result(Status.CORRECT, "Your estimator has everything asked for.")


@dataclass
class HeldoutScore(Answer):
    """A fitted classifier scored on held-out data it has never seen.

    The held-out inputs ``X`` go to the learner's model; the labels stay with the judge.

    Parameters
    ----------
    make_heldout : callable
        ``make_heldout(seed) -> (X, y)``; draws fresh held-out data.
    metric : callable
        ``metric(y_true, y_pred_or_score) -> float``.
    minimum : float
        Score needed to pass.
    response : {"predict", "predict_proba"}
        What to ask the model for; with ``"predict_proba"`` the positive-class column is used.
    metric_name : str
        Name used in messages.
    spec : EstimatorSpec, optional
        Structural requirements checked first (for instance where the sampler sits).
    mistakes : sequence of (callable, str)
        Known reasons for a low score. Each callable receives ``(output, score)`` -- the
        model's predictions or scores on the held-out inputs as a float array, and the metric
        -- and returns True when that mistake shows; the first match's message is added to a
        failing verdict. Never consulted when the score passes.
    fit_call : str
        The fit call the question expects, quoted when the model is not fitted.
    reference : callable, optional
        ``reference(seed) -> float``: the score of a reference model on the same held-out draw. When given, the
        score needed is ``reference(seed) - max_shortfall`` instead of ``minimum``: a draw that is hard for every
        model lowers the bar with it, so a fixed bar never rejects a valid answer on an unlucky draw (the whole
        class shares one grading draw), and differences on the same rows vary far less than scores do.
    max_shortfall : float
        How far below the reference a valid answer may score on the same draw.
    reference_name : str
        What the reference is, in messages.
    """

    make_heldout: Callable[[int], tuple[Any, Any]]
    metric: Callable[[Any, Any], float]
    minimum: float
    response: str = "predict"
    metric_name: str = "score"
    spec: EstimatorSpec | None = None
    mistakes: Sequence[tuple[Callable[[np.ndarray, float], bool], str]] = ()
    fit_call: str = ".fit(X_train, y_train)"
    reference: Callable[[int], float] | None = None
    max_shortfall: float = 0.0
    reference_name: str = "the reference model"
    expects = "a fitted classifier"

    def needed(self, seed: int = DEFAULT_SEED) -> tuple[float, str]:
        """The score needed on the draw of ``seed``, and how it is said in messages."""
        if self.reference is None:
            return self.minimum, f"{self.minimum:.2f}"
        reference = float(self.reference(seed))
        needed = reference - self.max_shortfall
        return needed, f"{needed:.3f}; {self.reference_name} scores {reference:.3f} on the same rows"

    def extract(self, value, seed=DEFAULT_SEED):
        description = describe_estimator(value)
        if not description["fitted"]:
            raise uncheckable(f"Your model is not fitted yet, so it could not be checked: call `{self.fit_call}` on it first.")
        # Keep only the inputs: the labels must not be reachable from the learner's model, not even
        # through this frame.
        X = self.make_heldout(seed)[0]
        method = getattr(value, self.response, None)
        if method is None:
            tip = (
                " Use a classifier that gives probabilities (such as `LogisticRegression`), or wrap yours in "
                "`CalibratedClassifierCV`."
                if self.response == "predict_proba"
                else ""
            )
            if description["params"].get("refit") is False:  # a search that kept no fitted model
                tip = " Your search was made with `refit=False`, so it keeps no fitted model: leave `refit` at its default, True."
            raise uncheckable(f"Your model has no `{self.response}` method.{tip}")
        try:
            # The learner's model may warn about the held-out inputs (feature names, ...): the
            # verdict says what matters, so keep the check's output to the verdict.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                output = np.asarray(method(X))
        except Exception as error:
            raise uncheckable(
                f"Your model failed when asked to `{self.response}` on new data "
                f"({type(error).__name__}). Was it fitted on the same columns?"
            ) from None
        if self.response == "predict_proba":
            if output.ndim != 2 or output.shape[1] < 2:
                raise uncheckable("`predict_proba` should return one column per class.")
            output = output[:, 1]
        return {"estimator": description, "output": np.asarray(output, dtype=float).tolist()}

    def judge(self, data, seed=DEFAULT_SEED):
        if self.spec is not None:
            self.spec.judge(data["estimator"], seed)
        _, y = self.make_heldout(seed)
        output = np.asarray(data["output"], dtype=float)
        if output.shape != (len(y),):
            raise uncheckable("Your model returned the wrong number of predictions.")
        score = float(self.metric(np.asarray(y), output))
        needed, how = self.needed(seed)
        if score >= needed:
            return Result(Status.CORRECT, f"{self.metric_name} on unseen data: {score:.3f} (needed {how}).")
        why = next((message for match, message in self.mistakes if match(output, score)), "")
        return Result(
            Status.INCORRECT,
            f"{self.metric_name} on unseen data is {score:.3f}; it needs to reach {how}. {why}".rstrip(),
        )


@dataclass
class FunctionCases(Answer):
    """A function tested on generated cases.

    Parameters
    ----------
    make_cases : callable
        ``make_cases(seed) -> list of dict``; each dict holds the keyword arguments of one call.
    judge_case : callable
        ``judge_case(kwargs, output) -> str or None``: ``None`` when the output is right,
        otherwise a message saying what is wrong, or a ``(message, mistake_id)`` pair. ``output`` is plain data (a list, number,
        or a dict ``{"error": "TypeError: ..."}`` when the call raised).
    to_plain : callable
        Turns a raw return value into plain data (default: NumPy arrays to lists).
    judge_all : callable, optional
        ``judge_all(cases, outputs) -> str or None``, called once every case has passed
        ``judge_case``: for properties that compare calls, such as "the same seed gives the
        same output".
    explain_error : callable, optional
        ``explain_error(kwargs, error) -> str or None`` for a case whose call raised
        (``error`` is ``"TypeError: ..."``): a message naming the input that broke the
        function. ``None`` keeps the default "Your function raised ..." message.
    positional : bool
        Call the function with each case's values as positional arguments, in the dict's order,
        instead of keywords: for a function that a library calls positionally (imblearn calls a
        ``sampling_strategy`` function as ``f(y)``), whose parameter names are the learner's choice.
    """

    make_cases: Callable[[int], list[dict]]
    judge_case: Callable[[dict, Any], str | None]
    to_plain: Callable[[Any], Any] | None = None
    judge_all: Callable[[list[dict], list], str | None] | None = None
    explain_error: Callable[[dict, str], str | None] | None = None
    positional: bool = False
    expects = "a function"

    def extract(self, value, seed=DEFAULT_SEED):
        if not callable(value) or isinstance(value, type):
            raise uncheckable(f"Expected a function (the name, without calling it), but got {describe_type(value)}.")
        outputs = []
        for kwargs in self.make_cases(seed):
            try:
                raw = value(*kwargs.values()) if self.positional else value(**kwargs)
                outputs.append(self.to_plain(raw) if self.to_plain else _to_plain(raw))
            except Feedback:
                raise
            except Exception as error:
                # A nested function's qualified name ("test.<locals>.f() got an unexpected keyword ...") would push the
                # reason past the cut: keep its own name only.
                text = re.sub(r"^[\w.<>]*\.(?=\w+\(\))", "", str(error))
                outputs.append({"error": f"{type(error).__name__}: {_short(text, 120)}"})
        return outputs

    def judge(self, data, seed=DEFAULT_SEED):
        cases = self.make_cases(seed)
        if len(data) != len(cases):
            raise uncheckable("The function's results could not be read.")
        if all(output == "Ellipsis" for output in data):
            return Result(Status.NOT_ATTEMPTED, "Your function returns the placeholder `...`: fill in its body.")
        if all(output is None for output in data):
            return Result(
                Status.INCORRECT,
                "Your function returns `None` for every test case: end it with `return <your result>` "
                "(printing a value does not return it).",
            )
        for kwargs, output in zip(cases, data):
            if isinstance(output, dict) and "error" in output:
                error = str(output["error"])
                explained = self.explain_error(kwargs, error) if self.explain_error else None
                if explained is None and error.startswith("TypeError") and any(
                        words in error for words in ("unexpected keyword argument", "required positional argument",
                                                     "required keyword-only argument")):
                    # Learner pass 6: a right function with renamed parameters got only the raw TypeError.
                    explained = (f"Keep the step's parameter names ({', '.join(f'`{k}`' for k in kwargs)}): the check "
                                 f"calls your function with them by name, and it raised {error}.")
                raise incorrect(explained or f"Your function raised {error}.")
            problem = self.judge_case(kwargs, output)
            if problem:
                raise incorrect(*problem) if isinstance(problem, tuple) else incorrect(problem)
        if self.judge_all is not None:
            problem = self.judge_all(cases, data)
            if problem:
                raise incorrect(problem)
        return Result(Status.CORRECT, f"Your function passed all {len(cases)} test cases.")


def _to_plain(value: Any) -> Any:
    if value is None:
        return None
    if value is Ellipsis:
        return "Ellipsis"
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, (np.ndarray, list)) or hasattr(value, "to_numpy"):
        array = as_plain_array(value, name="output")
        return {"array": array.tolist(), "dtype": str(array.dtype), "shape": list(array.shape)}
    if isinstance(value, numbers.Number):
        return as_plain_number(value)
    return {"repr_type": describe_type(value)}


# --------------------------------------------------------------------------- #
# Questions and exercises
# --------------------------------------------------------------------------- #


class Question:
    """One auto-checked question of an exercise.

    Parameters
    ----------
    label : str
        Its name in messages, e.g. ``"ex02.q3"``.
    parts : mapping of str to Answer
        Variable name in the notebook -> answer kind. ``check`` takes the values in
        this order; the grader reads these variables by name. Several parts give partial credit.
    points : float
        Worth of the whole question, split equally between its parts.
    hints : sequence of str
        Successive hints, from gentle to explicit.
    solution : str
        Code of the solution, as it appears in the solution notebook.
    """

    def __init__(self, label: str, parts: Mapping[str, Answer], *, points: float, hints: Sequence[str], solution: str):
        self.label = label
        self.parts = dict(parts)
        self.points = float(points)
        self.hints = list(hints)
        self.solution_code = solution.strip()
        self._hints_shown = 0
        self.last_result: Result | None = None
        self.best_result: Result | None = None
        self.solution_viewed = False

    @property
    def variables(self) -> list[str]:
        return list(self.parts)

    def __repr__(self) -> str:
        return f"<question {self.label}: check({', '.join(self.variables)}), hint(), solution()>"

    # -- learner API -------------------------------------------------------- #
    def check(self, *values: Any) -> Result:
        """Check your answer: shows the verdict and returns it as a :class:`Result` (never raises)."""
        return self.evaluate(*values)._show()

    def evaluate(self, *values: Any) -> Result:
        """The verdict of :meth:`check`, recorded for :meth:`Exercise.progress`, without showing it."""
        try:
            result = self.grade(self.extract(*values))
        except BaseException as error:  # noqa: BLE001 - a check must never raise
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            result = self._result(
                Status.UNCHECKABLE,
                f"Your answer could not be checked ({type(error).__name__}). "
                "Re-run the cells above it, then try again.",
            )
        self.last_result = result
        if self.best_result is None or _rank(result) > _rank(self.best_result):
            self.best_result = result
        return result

    def hint(self) -> Note:
        """Show the next hint (each call reveals one more)."""
        if not self.hints:
            return Note(f"Hint for {self.label}", "No hint for this one; `solution()` shows the answer.")._show()
        index = min(self._hints_shown, len(self.hints) - 1)
        self._hints_shown = min(self._hints_shown + 1, len(self.hints))
        more = "" if index + 1 < len(self.hints) else " (last hint)"
        return Note(f"Hint {index + 1}/{len(self.hints)} for {self.label}{more}", self.hints[index])._show()

    def solution(self) -> Note:
        """Show the solution code."""
        self.solution_viewed = True
        return Note(f"Solution to {self.label}", "", code=self.solution_code)._show()

    # -- two steps, usable apart by the grader ------------------------------ #
    def extract(self, *values: Any, seed: int = DEFAULT_SEED) -> dict:
        """Turn the learner's values into plain data, part by part.

        Returns a dict ``{variable: {"data": ...} or {"status": ..., "message": ...}}``.
        """
        if len(values) > len(self.parts):
            names = ", ".join(self.variables)
            return {"_error": f"`check` takes {len(self.parts)} value(s): {names}; you gave {len(values)}."}
        padded = list(values) + [None] * (len(self.parts) - len(values))
        extracted = {}
        for (name, answer), value in zip(self.parts.items(), padded):
            if is_blank(value):
                extracted[name] = {"status": Status.NOT_ATTEMPTED.value, "message": _blank_message(name, value)}
                continue
            try:
                extracted[name] = {"data": answer.extract(value, seed)}
            except Feedback as feedback:
                extracted[name] = {"status": feedback.status.value, "message": feedback.message}
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # noqa: BLE001
                extracted[name] = {
                    "status": Status.UNCHECKABLE.value,
                    "message": f"Reading `{name}` failed with {type(error).__name__}; "
                    f"expected {answer.expects}.",
                }
        return extracted

    def grade(self, extracted: Mapping[str, Any], seed: int = DEFAULT_SEED) -> Result:
        """Judge plain data made by :meth:`extract`; the same verdict in any process."""
        if "_error" in extracted:
            return self._result(Status.UNCHECKABLE, str(extracted["_error"]))
        part_results = {}
        for name, answer in self.parts.items():
            item = extracted.get(name) or {"status": Status.NOT_ATTEMPTED.value, "message": f"Set `{name}` first."}
            if "data" not in item:
                status = Status(item["status"])
                # Only judge() may say "correct"; a status that arrives with extracted data never can.
                if status is Status.CORRECT:
                    status = Status.UNCHECKABLE
                part_results[name] = Result(status, str(item["message"]))
                continue
            try:
                part_results[name] = answer.judge(item["data"], seed)
            except Feedback as feedback:
                part_results[name] = Result(feedback.status, feedback.message, mistake=feedback.mistake)
            except Exception as error:  # noqa: BLE001
                part_results[name] = Result(
                    Status.UNCHECKABLE, f"Your value for `{name}` could not be checked ({type(error).__name__})."
                )
        self._drop_ruled_out_mistakes(extracted, part_results, seed)
        self._detect_swapped_parts(extracted, part_results, seed)
        return self._combine(part_results)

    def _drop_ruled_out_mistakes(self, extracted: Mapping[str, Any], part_results: dict, seed: int) -> None:
        """Judge a part again without the mistakes that a right sibling part rules out (see
        :attr:`Mistake.unless_right`): a slip is named only when the whole answer allows it."""
        for name, answer in self.parts.items():
            result = part_results[name]
            mistakes = getattr(answer, "mistakes", None) or ()
            if result.status is not Status.INCORRECT or not result.mistake or "data" not in (extracted.get(name) or {}):
                continue
            ruled_out = {m.id for m in mistakes if isinstance(m, Mistake) and m.unless_right
                         and getattr(part_results.get(m.unless_right), "status", None) is Status.CORRECT}
            if not ruled_out & set(result.mistake.split("|")):
                continue
            try:
                kept = dataclasses.replace(answer, mistakes=[m for m in mistakes
                                                             if not (isinstance(m, Mistake) and m.id in ruled_out)])
                part_results[name] = kept.judge(extracted[name]["data"], seed)
            except Exception:  # noqa: BLE001 -- keep the first verdict rather than fail
                pass

    def _detect_swapped_parts(self, extracted: Mapping[str, Any], part_results: dict, seed: int) -> None:
        """Two wrong parts that would both be right with their values exchanged are named "swapped",
        unless each of them already names a mistake of its own (which then says what it holds)."""
        wrong = [n for n, r in part_results.items() if r.status is Status.INCORRECT and "data" in (extracted.get(n) or {})]
        for i, first in enumerate(wrong):
            for second in wrong[i + 1 :]:
                a, b = self.parts[first], self.parts[second]
                if type(a) is not type(b) or (part_results[first].mistake and part_results[second].mistake):
                    continue  # both parts already name what they hold: their own words say more
                try:
                    crossed = (
                        a.judge(extracted[second]["data"], seed).status is Status.CORRECT
                        and b.judge(extracted[first]["data"], seed).status is Status.CORRECT
                    )
                except Exception:  # Feedback or a checker that cannot judge the other part's data
                    crossed = False
                if crossed:
                    message = (
                        f"`{first}` and `{second}` hold each other's values: swap them back (if they come from "
                        "function calls, check the order of the arguments too)."
                    )
                    for name in (first, second):
                        part_results[name] = Result(Status.INCORRECT, message, mistake="swapped")

    def _combine(self, parts: Mapping[str, Result]) -> Result:
        share = self.points / max(len(parts), 1)
        earned = share * sum(r.status is Status.CORRECT for r in parts.values())
        statuses = {r.status for r in parts.values()}
        if len(parts) == 1:
            (only,) = parts.values()
            return self._result(only.status, only.message, earned, only.mistake)
        if statuses == {Status.CORRECT}:
            status = Status.CORRECT
        elif statuses == {Status.NOT_ATTEMPTED}:
            status = Status.NOT_ATTEMPTED
        elif Status.INCORRECT in statuses:
            status = Status.INCORRECT
        elif Status.UNCHECKABLE in statuses:
            status = Status.UNCHECKABLE
        else:  # some parts right, the others not attempted yet: nothing is wrong, the question is unfinished
            status = Status.NOT_ATTEMPTED
        if statuses == {Status.NOT_ATTEMPTED}:
            message = f"Set {', '.join(f'`{n}`' for n in parts)} first."
        else:
            said: dict[str, str] = {}
            for n, r in parts.items():
                # A reason already given for an earlier part is not repeated, but referred to: each part says why.
                earlier = next((m for m, text in said.items() if r.message and r.message in text), None)
                reason = (f" {r.message}" if earlier is None else
                          f" The same slip as `{earlier}`." if r.status is Status.INCORRECT else
                          f" The same reason as `{earlier}`.")
                said[n] = f"`{n}`: {r.label.lower()}." + reason
            message = " ".join(said.values())
        mistake = "; ".join(f"{n}={r.mistake}" for n, r in parts.items() if r.mistake) or None
        if status is Status.NOT_ATTEMPTED and earned:  # the right parts keep their points
            return Result(status, message, earned, self.points, self.label, mistake)
        return self._result(status, message, earned, mistake)

    def _result(self, status: Status, message: str, points: float = 0.0, mistake: str | None = None) -> Result:
        points = points if status is not Status.NOT_ATTEMPTED else 0.0
        return Result(status, message, points, self.points, self.label, mistake)


#: Order of statuses from worst to best, for "the best status each question reached".
_STATUS_RANK = {Status.NOT_ATTEMPTED: 0, Status.UNCHECKABLE: 1, Status.INCORRECT: 2, Status.CORRECT: 3}


def _rank(result: Result) -> tuple:
    return (result.points, _STATUS_RANK[result.status])


def _blank_message(name: str, value: Any) -> str:
    if value is Ellipsis:
        return (
            f"`{name}` still holds the placeholder `...`: write your code in the cell above and run it. "
            "If that cell stopped with an error, fix it and run it again."
        )
    return f"Set `{name}` first."


class Exercise:
    """The questions of one exercise notebook, with a ``progress()`` summary.

    Parameters
    ----------
    key : str
        Module name, e.g. ``"ex02"``; also written into the exercise notebook's metadata.
    title : str
    """

    def __init__(self, key: str, title: str):
        self.key = key
        self.title = title
        self.questions: dict[str, Question] = {}
        self.prompts: dict[str, Question] = {}

    def question(self, name: str, parts: Mapping[str, Answer] | tuple[str, Answer], **kwargs) -> Question:
        """Declare question ``name`` (``"q1"``, ...); ``parts`` may be one ``(variable, answer)`` pair."""
        if isinstance(parts, tuple):
            parts = {parts[0]: parts[1]}
        q = Question(f"{self.key}.{name}", parts, **kwargs)
        self.questions[name] = q
        return q

    def prompt(self, name: str, answer: "Choice", *, variable: str = "my_prediction", **kwargs) -> Question:
        """Declare a lesson's predict-then-check prompt ``name`` (``"p1"``, ...): worth no points."""
        q = Question(f"{self.key}.{name}", {variable: answer}, points=0, **kwargs)
        self.prompts[name] = q
        return q

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions.values())

    def progress(self) -> "Progress":
        """Show and return the best status each question reached, and the latest where it differs."""
        return self.summary()._show()

    def summary(self) -> "Progress":
        """The table :meth:`progress` shows, without showing it."""
        rows = []
        for name, q in self.questions.items():
            best, latest = q.best_result, q.last_result
            rows.append(
                ProgressRow(
                    name=name,
                    status=best.status if best is not None else Status.NOT_ATTEMPTED,
                    points=best.points if best is not None else 0.0,
                    max_points=q.points,
                    solution_viewed=q.solution_viewed,
                    latest=latest.status if latest is not None and latest != best else None,
                    latest_points=latest.points if latest is not None else 0.0,
                )
            )
        return Progress(self.title, rows)


@dataclass(frozen=True)
class ProgressRow:
    """One question in :class:`Progress`: its best status and points, and the latest status and
    points when the latest check did worse than the best."""

    name: str
    status: Status
    points: float
    max_points: float
    solution_viewed: bool = False
    latest: Status | None = None
    latest_points: float = 0.0


@dataclass(frozen=True)
class Progress(_ShowsItself):
    """Table of the best status each question reached; renders as HTML in Jupyter."""

    title: str
    rows: list

    @property
    def points(self) -> float:
        return sum(r.points for r in self.rows)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.rows)

    def __str__(self) -> str:
        lines = [f"{self.title}: {self.points:g}/{self.max_points:g} points (best check of each question)"]
        for r in self.rows:
            latest = f"; latest check: {r.latest.value} ({r.latest_points:g}/{r.max_points:g})" if r.latest is not None else ""
            note = " (solution viewed)" if r.solution_viewed else ""
            status = _status_label(r.status, r.points).lower()
            lines.append(f"  {r.name}: {status} ({r.points:g}/{r.max_points:g}){latest}{note}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def status_cell(status: Status, points: float = 0.0) -> str:
            return f"<span style='color:{_STYLE[status][0]}'>{_STYLE[status][2]} {_status_label(status, points)}</span>"

        cells = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{status_cell(r.status, r.points)}</td>"
            f"<td>{r.points:g}/{r.max_points:g}</td>"
            f"<td>{'latest check: ' + status_cell(r.latest) + f' ({r.latest_points:g}/{r.max_points:g})' if r.latest is not None else ''}</td>"
            f"<td>{'solution viewed' if r.solution_viewed else ''}</td></tr>"
            for r in self.rows
        )
        return (
            f"<div><b>{html.escape(self.title)}</b>: {self.points:g}/{self.max_points:g} points "
            "(best check of each question)"
            "<table><tr><th>question</th><th>best status</th><th>points</th><th></th><th></th></tr>"
            f"{cells}</table></div>"
        )
