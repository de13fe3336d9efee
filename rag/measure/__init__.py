"""Measurement, kept apart from the product path: `evaluation` (question sets, retrieval and answer metrics,
reports), `eval_run` (the run behind `referat eval`: a temporary index and the variants side by side) and
`bench` (speed and memory as same-run ratios, behind `referat bench`). The product never imports this package.
"""
