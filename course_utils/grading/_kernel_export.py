"""The grader's side of a learner's kernel: export answers as plain JSON, and nothing else.

Private to :mod:`course_utils.grading.grade`. The grader loads this file *by path* into the learner's
kernel, after the learner's cells have run, under a module name that holds a fresh random
nonce. It then loads a pristine copy of ``course_utils`` from the grader's own installed files,
under another private name, so that whatever the notebook did to ``course_utils`` (patched
checks, redefined modules) is never used. For each question it reads the declared variables
from the kernel's globals by name, calls the pristine ``Question.extract`` and prints the plain
result as JSON between two markers that carry the nonce.

Held-out inputs (``HeldoutScore``) and test cases (``FunctionCases``) are sent *by the grader*
as data, through a JSON file: the kernel never receives the grader's seed, nor any held-out
labels, so a model that looks around its call stack or re-draws the data finds nothing to
copy.

The same file also holds the small, pickle-free codec used for those inputs (``encode`` in
the grader, ``decode`` in the kernel). It imports only the standard library at module level.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import numbers
import os
import sys

BEGIN = "<<course-grade-begin:"
END = ":course-grade-end>>"
TAG = "__course_grade__"

_STATE: dict = {}


# --------------------------------------------------------------------------- #
# Codec: plain JSON for arrays, frames, tuples and dicts (no pickle, ever)
# --------------------------------------------------------------------------- #


def encode(value):
    """Turn inputs made by ``make_heldout`` / ``make_cases`` into JSON-able data.

    Supports None, bools, numbers, strings, lists, tuples, dicts, NumPy arrays and scalars,
    and pandas DataFrames, Series and Index objects of numeric, boolean, string or
    categorical dtype. Raises ``TypeError`` for anything else.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None and isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else {TAG: "float", "repr": repr(number)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if np is not None and isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufUSO":
            raise TypeError(f"cannot send arrays of dtype {value.dtype}")
        flat = [encode(v) for v in value.ravel().tolist()] if value.dtype.kind == "O" else value.ravel().tolist()
        if value.dtype.kind == "f":
            flat = [encode(v) for v in flat]
        return {TAG: "ndarray", "dtype": value.dtype.str, "shape": list(value.shape), "data": flat}
    if pd is not None and isinstance(value, pd.DataFrame):
        return {
            TAG: "DataFrame",
            "columns": encode(list(value.columns)),
            "index": encode(value.index),
            "data": [_encode_column(value.iloc[:, i]) for i in range(value.shape[1])],
        }
    if pd is not None and isinstance(value, pd.Series):
        return {TAG: "Series", "name": encode(value.name), "index": encode(value.index), "column": _encode_column(value)}
    if pd is not None and isinstance(value, pd.RangeIndex):
        return {TAG: "RangeIndex", "start": value.start, "stop": value.stop, "step": value.step, "name": encode(value.name)}
    if pd is not None and isinstance(value, pd.Index):
        return {TAG: "Index", "name": encode(value.name), "column": _encode_column(pd.Series(value))}
    raise TypeError(f"cannot send a {type(value).__module__}.{type(value).__qualname__}")


def _encode_column(series) -> dict:
    dtype = series.dtype
    if str(dtype) == "category":
        return {
            "dtype": "category",
            "categories": encode(list(series.cat.categories)),
            "ordered": bool(series.cat.ordered),
            "values": [None if v is None or (isinstance(v, float) and math.isnan(v)) else encode(v) for v in series.astype(object).tolist()],
        }
    kind = getattr(dtype, "kind", "O")
    if kind not in "biufO" and str(dtype) not in ("str", "string"):
        raise TypeError(f"cannot send columns of dtype {dtype}")
    values = series.tolist()
    return {"dtype": str(dtype), "values": [encode(v) for v in values]}


def decode(data):
    """Inverse of :func:`encode` (runs in the kernel)."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    kind = data.get(TAG)
    if kind == "float":
        return float(data["repr"])
    if kind == "tuple":
        return tuple(decode(v) for v in data["items"])
    if kind == "dict":
        return {decode(k): decode(v) for k, v in data["items"]}
    import numpy as np

    if kind == "ndarray":
        flat = [decode(v) for v in data["data"]]
        dtype = np.dtype(data["dtype"])
        return np.array(flat, dtype=dtype).reshape(data["shape"]) if dtype.kind != "O" else _object_array(flat, data["shape"])
    import pandas as pd

    if kind == "DataFrame":
        columns = decode(data["columns"])
        index = decode(data["index"])
        frame = pd.DataFrame({i: _decode_column(c) for i, c in enumerate(data["data"])})
        frame.columns = pd.Index(columns) if columns else frame.columns
        frame.index = index
        return frame
    if kind == "Series":
        series = _decode_column(data["column"])
        series.index = decode(data["index"])
        series.name = decode(data["name"])
        return series
    if kind == "RangeIndex":
        return pd.RangeIndex(data["start"], data["stop"], data["step"], name=decode(data["name"]))
    if kind == "Index":
        return pd.Index(_decode_column(data["column"]), name=decode(data["name"]))
    raise ValueError(f"unknown encoded kind {kind!r}")


def _object_array(flat, shape):
    import numpy as np

    array = np.empty(len(flat), dtype=object)
    array[:] = flat
    return array.reshape(shape)


def _decode_column(column):
    import pandas as pd

    values = [decode(v) for v in column["values"]]
    if column["dtype"] == "category":
        return pd.Series(pd.Categorical(values, categories=decode(column["categories"]), ordered=column["ordered"]))
    return pd.Series(values, dtype=column["dtype"])


# --------------------------------------------------------------------------- #
# In the kernel
# --------------------------------------------------------------------------- #


def load_pristine(package_dir: str, alias: str, key: str):
    """Load ``course_utils`` from ``package_dir`` as the fresh package ``alias``; return exercise ``key``."""
    init = os.path.join(package_dir, "__init__.py")
    spec = importlib.util.spec_from_file_location(alias, init, submodule_search_locations=[package_dir])
    package = importlib.util.module_from_spec(spec)
    sys.modules[alias] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{alias}.exercises.{key}").exercise


def setup(package_dir: str, key: str, nonce: str, inputs_path: str) -> None:
    """Prepare extraction: pristine checkers, and the grader's inputs (held-out X, test cases)."""
    with open(inputs_path, encoding="utf-8") as handle:
        inputs = json.load(handle)
    exercise = load_pristine(package_dir, f"_course_grade_pristine_{nonce}", key)
    _STATE.clear()
    _STATE.update(exercise=exercise, nonce=nonce, inputs=inputs.get("questions", {}), write=sys.stdout.write)


def _with_inputs(question, spec: dict):
    """Point held-out and case generators of the pristine question at the grader's data."""
    for variable, encoded in (spec.get("heldout") or {}).items():
        X = decode(encoded)
        question.parts[variable].make_heldout = lambda seed, _X=X: (_X, None)
    for variable, encoded in (spec.get("cases") or {}).items():
        cases = decode(encoded)
        question.parts[variable].make_cases = lambda seed, _cases=cases: _cases
    return int(spec.get("seed", 0))


def _plain_default(value):
    return {"unserialisable": type(value).__name__}


def extract(name: str, namespace: dict) -> None:
    """Extract question ``name`` from the notebook's globals and print it as marked JSON."""
    exercise, nonce = _STATE["exercise"], _STATE["nonce"]
    question = exercise.questions[name]
    values, missing = [], []
    for variable in question.variables:
        if variable in namespace:
            values.append(namespace[variable])
        else:
            values.append(None)
            missing.append(variable)
    try:
        seed = _with_inputs(question, _STATE["inputs"].get(name, {}))
        extracted = question.extract(*values, seed=seed)
        payload = {"question": name, "extracted": extracted, "missing": missing}
    except BaseException as error:  # noqa: BLE001 - report, never raise into the notebook
        payload = {"question": name, "error": type(error).__name__, "missing": missing}
    text = json.dumps(payload, default=_plain_default, allow_nan=True)
    _STATE["write"](f"{BEGIN}{nonce}\n{text}\n{END}{nonce}\n")
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001
        pass


def parse(text: str, nonce: str):
    """Grader side: the one JSON payload between the markers of ``nonce`` in ``text``.

    Returns ``(payload, problem)``: ``payload`` is None when ``problem`` says why.
    """
    begin, end = f"{BEGIN}{nonce}\n", f"\n{END}{nonce}"
    if text.count(begin) != 1 or text.count(end) != 1:
        found = text.count(begin)
        return None, "no answer export found" if found == 0 else "several answer exports found (forged output?)"
    start = text.index(begin) + len(begin)
    stop = text.index(end)
    if stop < start:
        return None, "garbled answer export"
    try:
        payload = json.loads(text[start:stop])
    except (ValueError, RecursionError):
        return None, "the answer export is not valid JSON"
    if not isinstance(payload, dict):
        return None, "the answer export is not an object"
    return payload, None
