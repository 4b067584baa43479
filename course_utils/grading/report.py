"""The class report: one self-contained ``report.html`` for the instructor.

Private to the grader: :func:`course_utils.grading.gradebook.write` calls :func:`render`. The page
needs no network and no other file: its plots are PNG images inside the page (base64), drawn with
the course's Okabe-Ito palette (:mod:`course_utils.plots`). It shows, from the counted submissions
(one per student and exercise):

* a score histogram per exercise;
* the success rate of every question;
* the most frequent named mistakes per question (the stable ids the checkers give, with their share
  of the class);
* who needs a look: missing students (from the roster), solutions shown, given code changed, runs
  that did not end ``ok``, and submissions that were not counted;
* after a regrade, which grades changed and why (submission, seed or checker code).
"""

from __future__ import annotations

import base64
import html
import io
import time

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import plots
from . import lms

__all__ = ["render", "TOP_MISTAKES"]

#: Mistakes listed per question in the report.
TOP_MISTAKES = 5


def _escape(text) -> str:
    """HTML-escaped, with bidirectional controls shown as escapes (see :func:`lms.no_bidi`)."""
    return html.escape(lms.no_bidi(str(text)))


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str, css_class: str) -> str:
    return f'<img class="{css_class}" alt="{_escape(alt)}" src="data:image/png;base64,{data}">'


def _histogram(scores: list[float], maximum: float, title: str) -> str:
    figure = Figure(figsize=(5.0, 2.6), dpi=90)
    ax = figure.subplots()
    bins = max(1, min(20, int(round(maximum)) or 1))
    ax.hist(scores, bins=bins, range=(0, maximum or 1), color=plots.MAJORITY_COLOR, edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(title)
    ax.set_xlim(0, maximum or 1)
    return _png(figure)


def _success(stats: dict) -> str:
    names = list(stats)
    rates = [100 * s["correct"] / s["graded"] if s["graded"] else 0 for s in stats.values()]
    figure = Figure(figsize=(5.0, 0.3 * len(names) + 1.0), dpi=90)
    ax = figure.subplots()
    colors = [plots.SYNTHETIC_COLOR if r >= 50 else plots.MINORITY_COLOR for r in rates]
    ax.barh(range(len(names)), rates, color=colors)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of counted submissions correct")
    return _png(figure)


def _table(header: list[str], rows: list[list], css_class: str) -> str:
    if not rows:
        return "<p class='none'>None.</p>"
    head = "".join(f"<th>{_escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{css_class}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else ""


STYLE = """
body{font-family:system-ui,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#1a1a1a}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}
th{background:#eef4fa}.warn{color:#D55E00}.none{color:#666}img{max-width:100%}
"""


def render(book, records: list[dict]) -> str:
    """The report as one HTML page (see the module docstring)."""
    counted = list(book.counted.values())
    parts = [f"<h1>Class report</h1><p>{len(book.rows)} student(s), {len(records)} notebook(s) read, "
             f"{len(counted)} counted (pick: {_escape(book.policy.pick)}). Written {time.strftime('%Y-%m-%d %H:%M')}.</p>"]
    if book.policy.exclude:
        parts.append(f"<p>Excluded questions: {_escape(', '.join(book.policy.exclude))}.</p>")
    if book.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li class='warn'>{_escape(w)}</li>" for w in book.warnings) + "</ul>")
    with matplotlib.rc_context():
        plots.set_style()
        parts.append("<h2 id='scores'>Scores per exercise</h2>")
        for exercise in book.exercises:
            scores = book.scores(exercise)
            title = f"{exercise}: {book.titles[exercise]} (n = {len(scores)}, max {_num(book.maxima[exercise])})"
            parts.append(f"<h3>{_escape(title)}</h3>")
            parts.append(_img(_histogram(scores, book.maxima[exercise], exercise), f"histogram of {exercise} scores", "histogram"))
        stats = book.question_stats
        parts.append("<h2 id='questions'>Success rate per question</h2>")
        if stats:
            parts.append(_img(_success(stats), "share correct per question", "success"))
    parts.append(_table(["question", "max points", "counted", "correct", "not attempted", "% correct"],
                        [[k, _num(s["max_points"]), s["graded"], s["correct"], s["not_attempted"],
                          f"{100 * s['correct'] / s['graded']:.0f} %" if s["graded"] else ""] for k, s in stats.items()], "questions"))
    mistakes = []
    for key, s in stats.items():
        for mistake, count in sorted(s["mistakes"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MISTAKES]:
            mistakes.append([key, mistake, count, f"{100 * count / s['graded']:.0f} %"])
    parts.append("<h2 id='mistakes'>Most frequent named mistakes</h2>"
                 "<p>Ids are the checkers' own (stable across runs); the share is of the counted submissions.</p>")
    parts.append(_table(["question", "mistake", "students", "share of class"], mistakes, "mistakes"))
    if book.roster is not None:
        parts.append(f"<h2 id='missing'>Missing students ({len(book.missing)})</h2>")
        parts.append(_table(["student"], [[m] for m in sorted(book.missing)], "missing"))
    attention = [[r["name"] or r["student"], "; ".join(
        ([f"solution shown: {' '.join(r['solution_viewed'])}"] if r["solution_viewed"] else [])
        + ([f"late: {' '.join(r['late'])}"] if r["late"] else []) + r["attention"])] for r in book.rows
        if r["solution_viewed"] or r["late"] or r["attention"]]
    parts.append("<h2 id='attention'>Needs a look</h2>")
    parts.append(_table(["student", "what"], attention, "attention"))
    names = {r["student"]: r["name"] or r["student"] for r in book.rows}
    # Instructor rehearsal: the raw score beside policy-applied grades read as a student short-changed; both are shown.
    others = [[names.get(student, student), exercise, record["submission"], _num(record.get("total")),
               "{} / {}".format(*map(_num, book.grade_of(record)))]
              for (student, exercise), group in sorted(book.others.items()) for record in group]
    parts.append(f"<h2 id='others'>Submissions not counted ({len(others)})</h2>")
    parts.append(_table(["student", "exercise", "submission", "score", "grade under this run's policy"], others, "others"))
    parts.append(f"<h2 id='changes'>Changed since the last run ({len(book.changes)})</h2>")
    parts.append(_table(["student", "exercise", "submission", "before", "after", "why"],
                        [[names.get(c["student"], c["student"]), c["exercise"], c["submission"], _num(c["before"]), _num(c["after"]), c["why"]]
                         for c in book.changes], "changes"))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Class report</title><style>{STYLE}</style>"
            f"</head><body>{''.join(parts)}</body></html>\n")
