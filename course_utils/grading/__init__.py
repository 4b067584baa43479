"""The instructor's grader: run a class's notebooks in a sandbox and write a gradebook.

Modules
-------
grade
    The command line and the grading engine (``course-grade``, ``python -m course_utils.grade``).
_sandbox
    One fenced-in kernel per submission: namespaces, limits, scratch folder.
_kernel_export
    Loaded by path into each graded kernel: exports the answers as plain data.
"""
