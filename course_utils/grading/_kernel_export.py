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
the grader, ``decode`` in the kernel), and :func:`fingerprints`, run on both sides: the kernel
reports what its ``course_utils``, numpy, scikit-learn, json and builtins functions look like
after the learner's cells, and the grader compares that with its own, untouched, copies to
report a notebook that replaced any of them. It imports only the standard library at module level.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import math
import numbers
import os
import re
import sys
import types

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
# Fingerprints of the functions a notebook could replace
# --------------------------------------------------------------------------- #

#: The course's own package.
COURSE_PACKAGE = "course_utils"

#: The learner's modules of the course compared between kernel and grader: a fixed list, never a
#: name read from a kernel (a kernel can put any name in its ``sys.modules``, and importing such a
#: name in the grader, ``course_utils.authoring.__main__`` say, would run a command-line tool there).
COURSE_MODULES = frozenset({COURSE_PACKAGE} | {f"{COURSE_PACKAGE}.{m}" for m in ("checks", "data", "evaluation", "plots", "exercises")})

#: Deepest nesting of lists and objects accepted in an answer export (a real one is a few levels deep).
MAX_EXPORT_DEPTH = 50
#: Names a kernel's fingerprint report may hold (the course's own hold about 1,700).
MAX_FINGERPRINTS = 10_000
#: Separators (``,`` ``:`` ``[`` ``{``) one answer export may hold: the course's solutions need at most about 42,000
#: values; 15 MB of ``{},{},...`` (red-team 6) cost the grader 3.2 GB once parsed.
MAX_EXPORT_VALUES = 250_000
TOO_LARGE = "the answer export is too large to read"


def is_compared_module(name) -> bool:
    """Whether ``name`` is a module whose functions the grader compares (a fixed list and ``exNN``)."""
    return isinstance(name, str) and (
        name in WATCHED or name in COURSE_MODULES or re.fullmatch(rf"{COURSE_PACKAGE}\.exercises\.ex\d\d", name) is not None)

#: Library names a check or the export relies on (``None``: every public name of the module).
WATCHED = {
    "builtins": None,
    "json": ("dumps", "dump", "loads", "load", "JSONEncoder", "JSONDecoder"),
    "math": ("isclose", "isfinite", "isnan", "fsum"),
    "numpy": (
        "isclose", "allclose", "array_equal", "array_equiv", "asarray", "asanyarray", "array", "unique",
        "mean", "sum", "round", "isfinite", "isnan", "all", "any", "abs", "sort", "ndarray",
    ),
    "numpy.testing": ("assert_allclose", "assert_array_equal", "assert_equal", "assert_array_almost_equal"),
    "sklearn.metrics": None,
    "sklearn.base": ("clone", "BaseEstimator", "ClassifierMixin", "is_classifier"),
    "sklearn.pipeline": ("Pipeline", "make_pipeline"),
    "sklearn.utils.validation": ("check_is_fitted",),
    "imblearn.metrics": None,
    "imblearn.pipeline": ("Pipeline", "make_pipeline"),
}

#: Builtins that IPython and ipykernel themselves replace in every kernel (not the learner).
KERNEL_BUILTINS = frozenset({"input", "open", "exit", "quit", "help", "copyright", "credits", "license",
                             "display", "get_ipython", "breakpoint", "execfile", "runfile", "dreload"})


def _feed_code(code: types.CodeType, digest) -> None:
    digest.update(code.co_code)
    digest.update(repr((code.co_name, code.co_names, code.co_varnames, code.co_argcount, code.co_kwonlyargcount)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(const, digest)
        else:
            digest.update(_const_text(const).encode("utf-8", "surrogatepass"))


def _const_text(const) -> str:
    if isinstance(const, tuple):
        return "(" + ",".join(_const_text(c) for c in const) + ")"
    if isinstance(const, frozenset):  # iteration order depends on the hash seed
        return "frozenset(" + ",".join(sorted(_const_text(c) for c in const)) + ")"
    return repr(const)


def _feed(obj, digest, depth: int = 0) -> None:
    """Feed what makes ``obj`` behave as it does: its type, its code and the code it closes over."""
    kind = type(obj)
    digest.update(f"{kind.__module__}.{kind.__qualname__}|".encode())
    if depth > 3:
        return
    if isinstance(obj, types.FunctionType):
        _feed_code(obj.__code__, digest)
        for cell in obj.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if callable(value) and not isinstance(value, type):
                _feed(value, digest, depth + 1)
    elif isinstance(obj, types.MethodType):
        _feed(obj.__func__, digest, depth + 1)
    elif isinstance(obj, (staticmethod, classmethod)):
        _feed(obj.__func__, digest, depth + 1)
    elif isinstance(obj, property):
        for function in (obj.fget, obj.fset, obj.fdel):
            if function is not None:
                _feed(function, digest, depth + 1)
    elif isinstance(obj, functools.partial):
        _feed(obj.func, digest, depth + 1)
    elif isinstance(obj, type):
        digest.update(f"{obj.__module__}.{obj.__qualname__}".encode())
    elif isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        digest.update(f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', obj.__name__)}".encode())
    else:  # wrappers written in C: numpy's dispatchers, functools.cache; ufuncs by name
        inner = getattr(obj, "_implementation", None)
        if inner is None:
            inner = getattr(obj, "__wrapped__", None)
        if isinstance(inner, types.FunctionType):
            _feed(inner, digest, depth + 1)
        digest.update(str(getattr(obj, "__name__", "")).encode())


def _fingerprint(obj) -> str:
    digest = hashlib.sha256()
    try:
        _feed(obj, digest)
    except Exception as error:  # noqa: BLE001 - a strange object is itself a finding
        digest.update(f"unreadable:{type(error).__name__}".encode())
    return digest.hexdigest()[:16]


def _is_course(obj) -> bool:
    return type(obj).__module__.split(".")[0] == COURSE_PACKAGE


def _members(prefix: str, obj, out: dict, depth: int = 0) -> None:
    """Fingerprints of the callables held by a course object (a question, its parts, a class)."""
    try:
        items = sorted(vars(obj).items())
    except TypeError:
        return
    for name, value in items:
        if name in ("__dict__", "__weakref__", "__doc__", "__module__", "__annotations__"):
            continue
        if isinstance(value, (types.FunctionType, staticmethod, classmethod, property, types.MethodType)) or (
            callable(value) and not isinstance(value, type) and not _is_course(value)
        ):
            out[f"{prefix}.{name}"] = _fingerprint(value)
        elif isinstance(value, dict) and depth < 2:
            for key, item in value.items():
                if isinstance(key, str) and _is_course(item) and not isinstance(item, type):
                    _members(f"{prefix}.{name}[{key}]", item, out, depth + 1)


def _file_tail(module) -> str:
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        return f"no file ({type(module).__name__})"
    return "/".join(path.replace(os.sep, "/").split("/")[-2:])


def fingerprints(*, loaded_only: bool = True, only: set[str] | None = None) -> dict[str, str]:
    """What the functions a check or the export relies on look like in this process.

    Keys are dotted names (``numpy.isclose``, ``course_utils.checks.Question.check``,
    ``course_utils.exercises.ex01.q1.check``); ``module:NAME`` holds the end of a module's file
    path. Values are short digests of the type, the byte code and what the code closes over, the
    same in any process running the same files. With ``loaded_only`` (in the kernel), modules the
    notebook did not import are left out; otherwise (in the grader) they are imported. ``only``
    limits the result to the modules listed.
    """
    names = {name: members for name, members in WATCHED.items()}
    course = sorted(m for m in list(sys.modules) if is_compared_module(m) and m.split(".")[0] == COURSE_PACKAGE)
    names.update({m: None for m in (*COURSE_MODULES, *course)})
    if only is not None:
        names = {m: names.get(m) for m in only if is_compared_module(m)}
    out: dict[str, str] = {}
    for module_name, members in sorted(names.items()):
        module = sys.modules.get(module_name)
        if module is None and not loaded_only:
            try:
                module = importlib.import_module(module_name)
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - not installed here (or exits at import): nothing to compare
                continue
        if module is None:
            continue
        out[f"module:{module_name}"] = _file_tail(module)
        try:
            namespace = dict(vars(module))
        except TypeError:
            continue
        if members is None:
            members = [n for n in namespace if not n.startswith("__")] if module_name.split(".")[0] == COURSE_PACKAGE else [
                n for n in getattr(module, "__all__", namespace) if not n.startswith("_")]
        for name in members:
            if name not in namespace or (module_name == "builtins" and name in KERNEL_BUILTINS):
                continue
            value = namespace[name]
            if isinstance(value, types.ModuleType):
                continue
            if module_name == "builtins" and not isinstance(value, (type, types.BuiltinFunctionType)):
                continue
            if callable(value):
                out[f"{module_name}.{name}"] = _fingerprint(value)
            if isinstance(value, type) and (value.__module__ == module_name or module_name.split(".")[0] != "builtins"):
                if value.__module__.split(".")[0] in (module_name.split(".")[0], COURSE_PACKAGE):
                    _members(f"{module_name}.{name}", value, out)
            elif _is_course(value) and not isinstance(value, type):
                _members(f"{module_name}.{name}", value, out)
    return out


def _dotted_prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def replaced(kernel: dict, reference: dict) -> list[str]:
    """Names whose fingerprint in the kernel differs from the grader's (grader side).

    A name the kernel has and the grader lacks counts too when it sits on a class or a course
    object (a method added to shadow another); a module-level extra name does not. Linear in the
    report's size, and a report far larger than the grader's is itself the finding (red-team 7:
    50,000 made-up names cost the grader 134 s of CPU with a quadratic lookup, and passed).
    """
    if not isinstance(kernel, dict):
        return []
    if len(kernel) > max(MAX_FINGERPRINTS, 4 * len(reference)):
        return [f"the fingerprint report ({len(kernel):,} names, the course has {len(reference):,})"]
    found = []
    loaded = {key[len("module:"):] for key in kernel if isinstance(key, str) and key.startswith("module:")}
    referenced_modules = {p for key in reference if key.startswith("module:") for p in _dotted_prefixes(key[len("module:"):])}
    owners = {p for key in reference if not key.startswith("module:") for p in _dotted_prefixes(key.rsplit(".", 1)[0])}
    for name, value in kernel.items():
        if not isinstance(name, str):
            continue
        if name in reference:
            if value != reference[name]:
                found.append(name[len("module:"):] + " (module)" if name.startswith("module:") else name)
            continue
        # The longest loaded module the name sits in (its dotted prefixes, longest first).
        module = next((m for m in reversed(_dotted_prefixes(name)[:-1]) if m in loaded), None)
        if module is not None and "." in name[len(module) + 1:] and module in referenced_modules:
            owner = name.rsplit(".", 1)[0]
            if owner in owners:
                found.append(name + " (added)")
    return sorted(found)


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
    try:
        seen = fingerprints()  # before the pristine copy is loaded: what the notebook left behind
    except Exception as error:  # noqa: BLE001 - report, never raise into the notebook
        seen = {"fingerprints": f"failed: {type(error).__name__}"}
    viewed = solutions_shown(key)  # before the pristine copy: the learner's own question objects
    exercise = load_pristine(package_dir, f"_course_grade_pristine_{nonce}", key)
    _STATE.clear()
    _STATE.update(exercise=exercise, nonce=nonce, inputs=inputs.get("questions", {}), write=sys.stdout.write, integrity=seen,
                  viewed=viewed)


def solutions_shown(key: str) -> list[str]:
    """Questions of exercise ``key`` whose ``solution()`` the learner's kernel called (their flag).

    The flag is read from the exercise module in ``sys.modules`` and also from every question
    object of the course still alive in the kernel (found through the garbage collector), so
    removing the module from ``sys.modules`` after ``solution()`` hides nothing while the notebook
    still holds the exercise (``ex01``). A flag the notebook resets, or objects it deletes, are not
    seen (the README says so).
    """
    seen: set[str] = set()
    try:
        module = sys.modules.get(f"{COURSE_PACKAGE}.exercises.{key}")
        questions = getattr(getattr(module, "exercise", None), "questions", {})
        seen.update(name for name, question in dict(questions).items() if getattr(question, "solution_viewed", False) is True)
    except Exception:  # noqa: BLE001 - report nothing rather than raise into the notebook
        pass
    try:
        import gc

        for item in gc.get_objects():
            kind = type(item)
            if kind.__name__ != "Exercise" or kind.__module__ != f"{COURSE_PACKAGE}.checks":
                continue
            if getattr(item, "key", None) != key and getattr(item, "name", None) != key:
                continue
            for name, question in dict(getattr(item, "questions", {}) or {}).items():
                if isinstance(name, str) and getattr(question, "solution_viewed", False) is True:
                    seen.add(name)
    except Exception:  # noqa: BLE001
        pass
    return sorted(seen)


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
    integrity = _STATE.pop("integrity", None)
    if integrity is not None:  # once per kernel: the first answer read carries it
        payload["integrity"] = integrity
        payload["solution_viewed"] = _STATE.get("viewed", [])
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
    body = text[start:stop]
    if sum(body.count(mark) for mark in ",:[{") > MAX_EXPORT_VALUES:
        return None, TOO_LARGE  # counted on the text, before json.loads builds the objects
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None, "the answer export is not valid JSON"
    if not isinstance(payload, dict):
        return None, "the answer export is not an object"
    if depth(payload) > MAX_EXPORT_DEPTH:
        return None, FORGED_DEPTH
    return payload, None


#: ``parse``'s problem for an export nested deeper than any real one (only a forged one is).
FORGED_DEPTH = f"the answer export is nested more than {MAX_EXPORT_DEPTH} levels deep (forged output?)"


def depth(value) -> int:
    """How deeply lists and objects nest in plain JSON data, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_EXPORT_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest
