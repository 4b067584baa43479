"""The instructor's grader: run a class's notebooks in a sandbox and write a gradebook.

Modules
-------
grade
    The command line and the grading engine (``course-grade``, ``python -m course_utils.grade``).
_sandbox
    One fenced-in kernel per submission: namespaces, limits, scratch folder.
_kernel_export
    Loaded by path into each graded kernel: exports the answers as plain data.
lms
    Who handed in what: Canvas and Moodle download layouts, safe unzipping, the roster.
handout
    Integrity of the hand-out: given code changed, solutions shown.
gradebook
    One counted submission per student: gradebook, Canvas import, Moodle worksheet, feedback zips.
report
    The class report (``report.html``).
"""
