"""The course author's tools (not used by learners or by the grader).

Modules
-------
notebooks
    Generate exercises from solutions, execute notebooks in place, read notebook metadata
    (``python -m course_utils.authoring make-exercises | check-exercises | execute NB...``).
badges
    Recognise and retarget the "Open in Colab" badge at the top of a notebook.
colab
    Colab badges, Colab-only install lines and the README's cloud badges
    (``python -m course_utils.authoring.colab``).
bench
    The performance record (``make bench``, ``python -m course_utils.authoring.bench``).
"""
