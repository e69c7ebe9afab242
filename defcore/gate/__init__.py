"""The gate: keep the baseline stable as guidelines and clouds change.

`runs` reads the evidence (result files of many runs), `flags` finds tests that should be
flagged and writes them into a draft guideline, `gate` checks a guideline change step by step.
"""
