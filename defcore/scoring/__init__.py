"""The committee's side: criteria, scorecards, scores, the scoring sheet, the next guideline.

- `criteria`: a guideline's criteria, weights and cutoff, and the sheet's column order.
- `scorecard`: a capability's marks (0, 1 or unknown per criterion) and `score()`.
- `sheet`: the committee's scoring sheet (`scoring.txt`, `scoring_dns.txt`), read and written.
- `tabulated`: the sheet tabulated as CSV (`tabulated_scores.csv`), read and written.
- `report`: every capability's score beside its status in a guideline, and the disagreements.
- `propose`: the next guideline from a previous one and scorecards.
- `deployed`: the Widely Deployed criterion from verified results.
"""
