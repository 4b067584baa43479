"""End to end in a real browser: JupyterLab serves the course and Playwright drives Debian's Chromium.

A learner's path, through the JupyterLab UI (menus, editor, rendered outputs):

* lesson 01: Run > Run All Cells; no error output, and every plot the lesson stores renders;
* exercise 02: type one answer (q1) into its cell, run the notebook, and read "Correct" in the
  rendered feedback of q1's check cell.

The server runs on a scratch copy of ``notebooks/`` and ``exercises/`` (nothing in the repository is
touched), on 127.0.0.1 with a random token, with its own settings, workspace and runtime folders.
Screenshots and the server log go to ``tests/artifacts/`` (git-ignored). The set-up installs Debian's
``chromium`` with apt-get when it is missing; Playwright never downloads a browser.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
# As root in a sandbox with no network: no sandboxing, no GPU, and no background connections
# (Chromium's component updates and sync would be refused by the closed network).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
LESSON = "notebooks/01_imbalance_basics.ipynb"
EXERCISE = "exercises/02_misleading_accuracy.ipynb"
# Generous: two cores are shared with other work, and a cold kernel imports sklearn & co.
RUN_TIMEOUT_MS = 240_000
UI_TIMEOUT_MS = 90_000

ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

# True once every non-empty code cell shows an execution count, or as soon as an error shows up
# (Run All stops at an error, leaving later cells unnumbered).
_ALL_RUN_JS = """
() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  if (cells.length === 0) return false;
  if (document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) """ + ERROR_OUTPUT.replace("'", "\\'") + """')) return true;
  return cells.every(cell => {
    const code = cell.querySelector('.cm-content');
    if (code && code.textContent.trim() === '') return true;
    const prompt = cell.querySelector('.jp-InputPrompt');
    return prompt && /\\[\\d+\\]/.test(prompt.textContent);
  });
}
"""

# Stored execution counts and outputs are cleared first, so that what is checked was run here.
_NONE_RUN_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel || panel.querySelector('.jp-OutputArea-output')) return false;
  return [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].every(p => !/\\[\\d+\\]/.test(p.textContent));
}
"""

pytestmark = pytest.mark.notebook


def _ensure_chromium() -> None:
    """Debian's Chromium, installed with apt-get if missing (the test's only set-up step)."""
    if os.access(CHROMIUM, os.X_OK):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    assert os.access(CHROMIUM, os.X_OK), f"apt-get installed chromium but {CHROMIUM} is missing"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a scratch copy of the course: (base URL, token, scratch folder)."""
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.fail("JupyterLab is missing: pip install -c constraints.txt -e '.[lab,test,browser]' (make test does)")
    scratch = tmp_path_factory.mktemp("course")
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, scratch / folder)
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings"
    # Attach every cell to the page (no virtual scrolling), so that the test sees every output.
    _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})
    # No news or update checks: no network, and no toast over the menus.
    _write_json(
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "OMP_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={scratch}",
        f"--IdentityProvider.token={token}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "jupyterlab.log", "w", encoding="utf-8")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=scratch)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}; see {ARTIFACTS / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 90 s; see {ARTIFACTS / 'jupyterlab.log'}")
            time.sleep(0.5)
        yield base, token, scratch
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    _ensure_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -c constraints.txt -e '.[lab,test,browser]' (make test does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _open(page, lab, relative_path: str) -> None:
    """Open a notebook in a workspace of its own (so that no other notebook is open beside it)."""
    base, token, _ = lab
    workspace = re.sub(r"\W", "-", Path(relative_path).stem)
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{relative_path}?token={token}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-CodeCell").first.wait_for()
    # The notebook is loaded and its kernel started when the status bar reads "<kernel> | Idle".
    page.wait_for_function(
        "() => { const bar = document.querySelector('#jp-main-statusbar');"
        " return bar !== null && /\\| Idle/.test(bar.innerText); }",
        timeout=UI_TIMEOUT_MS,
        polling=500,
    )


def _menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()


def _run_all(page) -> float:
    """Edit > Clear Outputs of All Cells, then Run > Run All Cells; seconds until all ran."""
    _menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(_NONE_RUN_JS, timeout=UI_TIMEOUT_MS, polling=200)
    start = time.monotonic()
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(_ALL_RUN_JS, timeout=RUN_TIMEOUT_MS, polling=500)
    return time.monotonic() - start


def _errors(page) -> list[str]:
    return [text[-1500:] for text in page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) {ERROR_OUTPUT}").all_inner_texts()]


def _save(page, path: Path) -> nbformat.NotebookNode:
    """Save from the UI (File > Save Notebook) and read the saved file back."""
    before = path.stat().st_mtime_ns
    _menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, f"JupyterLab did not save {path.name}"
        time.sleep(0.2)
    time.sleep(0.5)
    return nbformat.read(path, as_version=4)


def _shot(page, name: str, locator=None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if locator is not None:
        locator.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / name))


def test_lesson_01_runs_in_jupyterlab_without_errors_and_plots_render(lab, page):
    _, _, scratch = lab
    stored = nbformat.read(scratch / LESSON, as_version=4)
    stored_images = sum(
        "image/png" in output.get("data", {}) for cell in stored.cells for output in cell.get("outputs", [])
    )
    assert stored_images >= 1, f"{LESSON} stores no plot: the test expects the lesson's figures"

    _open(page, lab, LESSON)
    _shot(page, "lesson01_opened.png")
    seconds = _run_all(page)
    errors = _errors(page)
    _shot(page, "lesson01_after_run.png", page.locator(ERROR_OUTPUT).first if errors else None)
    assert not errors, f"error or warning output in {LESSON}:\n" + "\n---\n".join(errors)

    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    images = panel.locator(".jp-OutputArea-output img")
    # Every figure the lesson stores is drawn again in the browser, and decodes to real pixels.
    page.wait_for_function(
        "n => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img')]"
        ".filter(img => img.complete && img.naturalWidth > 50).length >= n",
        arg=stored_images,
        timeout=UI_TIMEOUT_MS,
    )
    assert images.count() >= stored_images
    _shot(page, "lesson01_plot.png", images.first)

    saved = _save(page, scratch / LESSON)
    outputs = [output for cell in saved.cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"], "the saved lesson holds an error output"
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= stored_images
    print(f"lesson 01 ran in the browser in {seconds:.1f} s with {images.count()} plots")


def _answer_cell_source(source: str, variable: str, solution: str) -> str:
    """The exercise cell's text as a learner would leave it: the stub replaced by an answer."""
    stub = re.compile(rf"^(# Your code here\n)?{re.escape(variable)} = \.\.\.$", re.M)
    assert stub.search(source), f"no `{variable} = ...` stub in:\n{source}"
    return stub.sub(lambda _: solution, source, count=1)


def test_exercise_02_answer_typed_in_the_browser_is_checked_correct(lab, page):
    _, _, scratch = lab
    ex02 = importlib.import_module("course_utils.exercises.ex02")
    question = ex02.exercise.questions["q1"]
    (variable,) = question.variables  # q1 is a one-variable question
    exercise = nbformat.read(scratch / EXERCISE, as_version=4)
    answer_source = next(
        c.source for c in exercise.cells if c.cell_type == "code" and re.search(rf"^{variable} = \.\.\.$", c.source, re.M)
    )
    typed = _answer_cell_source(answer_source, variable, question.solution_code)

    _open(page, lab, EXERCISE)
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    code_cells = panel.locator(".jp-CodeCell")
    texts = ["\n".join(code_cells.nth(i).locator(".cm-line").all_text_contents()) for i in range(code_cells.count())]
    index = next(i for i, text in enumerate(texts) if re.search(rf"^{variable} = \.\.\.$", text, re.M))
    cell = code_cells.nth(index)  # by position: its text is about to change
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(typed)
    page.wait_for_function(
        "([el, text]) => el.textContent.includes(text)",
        arg=[editor.element_handle(), question.solution_code.splitlines()[-1]],
    )
    assert "\n".join(cell.locator(".cm-line").all_text_contents()) == typed, "the editor holds other text than typed"
    _shot(page, "exercise02_answer_typed.png", cell)

    seconds = _run_all(page)
    errors = _errors(page)
    assert not errors, f"error output in {EXERCISE}:\n" + "\n---\n".join(errors)

    check_call = re.compile(rf"^ex02\.q1\.check\(")
    check_cells = panel.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text=check_call))
    assert check_cells.count() == 1, "expected one q1 check cell"
    feedback = check_cells.first.locator(".jp-OutputArea-output")
    feedback.first.wait_for()
    text = feedback.first.inner_text()
    _shot(page, "exercise02_q1_feedback.png", check_cells.first)
    assert "Correct" in text and "Incorrect" not in text, f"q1 feedback in the browser: {text!r}"
    # The rendered HTML result, not its plain-text fallback.
    assert feedback.first.locator("div[style*='border-left']").count() >= 1, "the check's HTML did not render"

    # Every other check still says "not attempted": only q1 was answered.
    others = panel.locator(".jp-CodeCell").filter(
        has=page.locator(".cm-content", has_text=re.compile(r"^ex02\.q(?!1\.)\d+\.check\("))
    )
    for index in range(others.count()):
        other = others.nth(index).locator(".jp-OutputArea-output").first.inner_text()
        assert "Not attempted" in other, other
    print(f"exercise 02 ran in the browser in {seconds:.1f} s; q1 feedback: {text.strip()!r}")
