"""Alignment with the Technical Committee: its projects.yaml in every format, and checks.

- `projects`: read `reference/projects.yaml` of any generation into one model and map the
  project names guidelines use (nova, swift, ...) to team, deliverable and repositories.
- `check`: which capabilities and designated sections of a guideline belong to projects that
  are not approved for the release, and which approved projects have no capability.
"""
