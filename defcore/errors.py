"""The exception hierarchy: every error a user can cause, in one module.

Every error a user can cause derives from DefcoreError, and its message is one line that names
the file, field or step at fault, so the CLI prints it as it is and exits non-zero without a
traceback. Each class carries the CLI's exit code and the HTTP status the server answers with,
so neither the CLI nor the app keeps a table of its own::

    DefcoreError                      exit 2, HTTP 400
    ├── GuidelineError
    │   ├── GuidelineNotFound                 404
    │   ├── GuidelineSyntaxError
    │   └── TargetNotFound                    422
    ├── LabError
    ├── RunnerError
    ├── ResultsError
    ├── SectionsError
    │   └── UpstreamUnavailable
    ├── ScoringError
    │   └── DeployedError                     422
    ├── GovernanceError
    └── ServerError               the results server refused a request or could not be reached
        ├── Unauthorized                      401
        ├── Forbidden                         403
        ├── NotFound                          404
        ├── Conflict                          409 (its `extra` goes into the error body)
        ├── SignatureError                    400
        ├── ProposalError                     422
        ├── InvalidInput                      422 (a form field that does not validate)
        ├── ServiceUnavailable                503 (the database is away; try again later)
        ├── TrailError                        500 (no key: the server is misconfigured)
        └── UploadError                       400
            ├── UploadTooLarge                413
            └── UploadRejected                422
"""

from __future__ import annotations

from typing import Any


class DefcoreError(Exception):
    """Base of every error that is the user's to fix; the CLI prints it as one line."""

    exit_code = 2
    http_status = 400


class GuidelineError(DefcoreError):
    """A guideline cannot be found, read or understood."""


class GuidelineNotFound(GuidelineError):
    """No guideline of that name or path exists in the sources searched."""

    http_status = 404


class GuidelineSyntaxError(GuidelineError):
    """The guideline file is not valid JSON; the message names line and column."""


class TargetNotFound(GuidelineError):
    """The guideline defines no platform, component or add-on of that name."""

    http_status = 422


class LabError(DefcoreError):
    """The lab cloud could not be started, checked or stopped."""


class RunnerError(DefcoreError):
    """A self-test run could not be configured, run or read."""


class ResultsError(DefcoreError):
    """A result file or stream cannot be read."""


class SectionsError(DefcoreError):
    """A designated-sections check cannot run: map, installation, upstream release or report."""


class UpstreamUnavailable(SectionsError):
    """No release file of the installed version could be found or fetched."""


class ScoringError(DefcoreError):
    """A scoring sheet or scorecard cannot be read, or a score cannot be computed."""


class DeployedError(ScoringError):
    """The threshold or the minimum number of products is out of range."""

    http_status = 422


class GovernanceError(DefcoreError):
    """A projects.yaml file cannot be read or is in no known format."""


class ServerError(DefcoreError):
    """The results server refused a request or could not be reached."""


class Unauthorized(ServerError):
    """No token, or a token the server does not know."""

    http_status = 401


class Forbidden(ServerError):
    """The caller may see the object but not do this to it."""

    http_status = 403


class NotFound(ServerError):
    """No such object, or one the caller may not see (the two look the same)."""

    http_status = 404


class Conflict(ServerError):
    """The request clashes with what is stored; `extra` goes into the error body."""

    http_status = 409

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}


class SignatureError(ServerError):
    """A key or a signature that cannot be used; the message says why."""


class ProposalError(ServerError):
    """A proposal names a capability, status or criterion its guideline does not have."""

    http_status = 422


class InvalidInput(ServerError):
    """A request's or a form's field that does not validate; the message names the field."""

    http_status = 422


class ServiceUnavailable(ServerError):
    """The database cannot be reached; the request may be tried again later."""

    http_status = 503


class TrailError(ServerError):
    """The audit trail cannot be written or read: no key, or a key that cannot be used."""

    http_status = 500


class UploadError(ServerError):
    """An upload the server refuses because it is malformed."""


class UploadTooLarge(UploadError):
    """An upload or request body over the server's limit."""

    http_status = 413


class UploadRejected(UploadError):
    """An upload that parses but says something the server cannot take (no tests, bad names)."""

    http_status = 422
