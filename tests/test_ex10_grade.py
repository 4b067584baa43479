"""The capstone graded by the instructor's grader, as a class would hand it in.

Three submissions are built from the real notebooks at test time: the solution (honest), the solution
with a capstone that tries to fit on the vault's rows as well (leaky: the file it reads is masked in the
sandbox), and the generated exercise (blank). They are
graded by ``python -m course_utils.grade`` in a subprocess, exactly as an instructor runs it; the vault's
labels stay in the grader's process (it sends the kernels only the vault's inputs).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from course_utils.exercises import ex10

pytestmark = pytest.mark.notebook

SOLUTION = ROOT / "solutions" / "10_many_classes_capstone.ipynb"
EXERCISE = ROOT / "exercises" / "10_many_classes_capstone.ipynb"

# The leaky capstone: the learner finds the vault in the package and fits on it too.
LEAKY_CAPSTONE = """
import pathlib
import course_utils
vault = pd.read_csv(pathlib.Path(course_utils.__file__).parent / "datasets" / "page_blocks0_vault.csv")
y_vault = vault.pop("target")
log_model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=1000))
decider = FixedThresholdClassifier(log_model, threshold=cost_threshold)
capstone_model = decider.fit(pd.concat([X_blocks, vault]), pd.concat([y_blocks, y_vault]))
capstone_cv_cost = ex10.expected_cost(y_vault, capstone_model.predict(vault))
"""


def _leaky(notebook):
    nb = nbformat.from_dict(json.loads(json.dumps(notebook)))
    solution_code = ex10.q6.solution_code.splitlines()[0]
    cells = [c for c in nb.cells if c.cell_type == "code" and solution_code in c.source]
    assert len(cells) == 1, "the capstone cell of the solution notebook"
    cells[0].source = LEAKY_CAPSTONE.strip()
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("capstone")
    subs, out = base / "submissions", base / "results"
    solution = nbformat.read(SOLUTION, as_version=4)
    for student, notebook in {
        "honest": solution,
        "leaky": _leaky(solution),
        "blank": nbformat.read(EXERCISE, as_version=4),
    }.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(notebook, subs / student / SOLUTION.name)
    run = subprocess.run(
        [sys.executable, "-m", "course_utils.grade", str(subs), "--out", str(out), "--jobs", "2", "--seed", "7",
         "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=1500,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    details = json.loads((out / "details.json").read_text(encoding="utf-8"))["submissions"]
    by_student = {record["student"]: record for record in details.values()}
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    rows["blank"]["gradebook_attention"] = book["blank"]["attention"]
    feedback = {student: "\n".join(p.read_text(encoding="utf-8") for p in (out / "feedback" / student).glob("*.md"))
                for student in by_student}
    return by_student, rows, feedback


def test_the_honest_capstone_gets_full_marks(graded):
    records, rows, _ = graded
    honest = records["honest"]
    assert honest["status"] == "ok", honest.get("events")
    assert {name: q["status"] for name, q in honest["questions"].items()} == {name: "correct" for name in ex10.exercise.questions}
    assert float(rows["honest"]["total"]) == pytest.approx(ex10.exercise.max_points)


def test_the_leaky_capstone_cannot_read_the_vault_and_earns_nothing_for_it(graded):
    # In the grader's sandbox the vault file reads as empty, so the leak fails at its first line (the
    # checker's own "fitted-on-other-rows" diagnosis is tested in tests/test_ex10.py, in process).
    records, rows, feedback = graded
    leaky = records["leaky"]
    capstone = leaky["questions"]["q6"]
    assert capstone["points"] == 0, capstone
    assert capstone["status"] in ("not attempted", "incorrect", "could not be checked"), capstone
    assert leaky["status"] == "error"  # the read of the masked vault raised
    # the rest of the notebook is the solution's: everything else earns its points
    others = {name: q["status"] for name, q in leaky["questions"].items() if name != "q6"}
    assert set(others.values()) == {"correct"}
    assert float(rows["leaky"]["total"]) == pytest.approx(ex10.exercise.max_points - ex10.q6.points)


def test_the_blank_capstone_is_not_attempted(graded):
    records, rows, _ = graded
    blank = records["blank"]
    assert {q["status"] for q in blank["questions"].values()} == {"not attempted"}
    assert float(rows["blank"]["total"]) == 0
    # Instructor rehearsal: an untouched notebook (a wrong upload?) was "ok", 0 points, and not under "needs a look".
    assert "ex10: nothing attempted" in rows["blank"]["gradebook_attention"]


def test_the_feedback_never_shows_the_vault(graded):
    _, _, feedback = graded
    X_vault, y_vault = ex10._vault()
    text = "\n".join(feedback.values())
    assert "target" not in text
    for row in X_vault.head(200).itertuples(index=False):  # no vault row's leading features appear
        assert f"{row.height}, {row.length}, {row.area}" not in text and f"{row.height},{row.length},{row.area}" not in text
