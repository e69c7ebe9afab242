"""The exception hierarchy.

Every error a user can cause derives from DefcoreError, and its message is one line that names
the file, field or step at fault, so the CLI prints it as it is and exits non-zero without a
traceback.
"""

from __future__ import annotations


class DefcoreError(Exception):
    """Base of every error that is the user's to fix; the CLI prints it as one line."""

    exit_code = 2


class GuidelineError(DefcoreError):
    """A guideline cannot be found, read or understood."""


class GuidelineNotFound(GuidelineError):
    """No guideline of that name or path exists in the sources searched."""


class GuidelineSyntaxError(GuidelineError):
    """The guideline file is not valid JSON; the message names line and column."""


class TargetNotFound(GuidelineError):
    """The guideline defines no platform, component or add-on of that name."""


class LabError(DefcoreError):
    """The lab cloud could not be started, checked or stopped."""


class RunnerError(DefcoreError):
    """A self-test run could not be configured, run or read."""


class ResultsError(DefcoreError):
    """A result file or stream cannot be read."""


class ServerError(DefcoreError):
    """The results server refused a request or could not be reached."""


class SectionsError(DefcoreError):
    """A designated-sections check cannot run: map, installation, upstream release or report."""


class ScoringError(DefcoreError):
    """A scoring sheet or scorecard cannot be read, or a score cannot be computed."""


class GovernanceError(DefcoreError):
    """A projects.yaml file cannot be read or is in no known format."""
