"""The exercise generator: solution cells become runnable stubs; metadata names the exercise."""

import nbformat

from course_utils.authoring.notebooks import _merged_streams, exercise_key, make_exercise, stub_code


def test_stub_keeps_given_code_and_blanks_assigned_names():
    source = "X, y = load()\n# solution\nmodel = LogisticRegression()\nmodel.fit(X, y)\nscore, other = 1, 2"
    assert stub_code(source) == "X, y = load()\n# Your code here\nmodel = ...\nscore = ...\nother = ..."


def test_stub_keeps_function_signature_and_docstring():
    source = 'import numpy as np\n# solution\ndef my_smote(X, n_new, k_neighbors=5, random_state=None):\n    """Make n_new points."""\n    return X[:n_new]'
    stub = stub_code(source)
    assert stub.startswith("import numpy as np\ndef my_smote(X, n_new, k_neighbors=5, random_state=None):")
    assert '"""Make n_new points."""' in stub and "return X" not in stub
    namespace = {}
    exec(stub.replace("import numpy as np\n", ""), namespace)
    assert namespace["my_smote"](None, 1) is Ellipsis


def test_cells_without_marker_are_unchanged():
    assert stub_code("ex01.q1.check(answer)") == "ex01.q1.check(answer)"


def test_make_exercise_drops_solution_cells_clears_outputs_and_sets_metadata():
    nb = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_markdown_cell("The answer is (b) because...")
    answer.metadata["tags"] = ["solution"]
    run = nbformat.v4.new_code_cell("# solution\nx = 1")
    run.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    run.execution_count = 3
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise"), answer, run]
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    exercise = make_exercise(nb, "ex07")
    assert [c.cell_type for c in exercise.cells] == ["markdown", "code"]
    assert exercise.cells[1].source == "# Your code here\nx = ..." and exercise.cells[1].outputs == []
    assert exercise.cells[1].execution_count is None
    assert exercise.metadata["course"] == {"exercise": "ex07"}
    assert exercise.metadata["language_info"] == {"name": "python"}
    assert nb.cells[2].outputs, "the solution itself is left untouched"


def test_exercise_key_from_file_name():
    assert exercise_key("solutions/04_smote_mechanics.ipynb") == "ex04"
    assert exercise_key("notes.ipynb") is None


def test_consecutive_prints_are_stored_as_one_output():
    # A kernel sends a cell's prints in one chunk or several, depending on timing (ex07's timed fits split one).
    out = nbformat.v4.new_output
    outputs = [out("stream", name="stdout", text="a\n"), out("stream", name="stdout", text="b\n"),
               out("stream", name="stderr", text="w\n"), out("display_data", data={"text/plain": "x"}),
               out("stream", name="stdout", text="c\n")]
    merged = _merged_streams(outputs)
    assert [(o.output_type, o.get("text")) for o in merged] == [
        ("stream", "a\nb\n"), ("stream", "w\n"), ("display_data", None), ("stream", "c\n")]
