"""The HTTP side every service shares: app skeleton, problem details, bearer auth.

Services import from here: ``create_api`` builds the app, ``Problem`` answers with
an error, ``require_scope`` / ``AuthenticatedCaller`` guard operations, and
``UtcDateTime`` types timestamps in responses.
"""

from shared.http.app import ApiContact, create_api
from shared.http.auth import (
    AuthenticatedCaller,
    Caller,
    TokenVerifier,
    authenticated_caller,
    issue_token,
    require_scope,
)
from shared.http.middleware import API_VERSION_HEADER
from shared.http.problems import PROBLEM_MEDIA_TYPE, InvalidParam, Problem, ProblemDetails
from shared.http.times import UtcDateTime, rfc3339

__all__ = [
    "API_VERSION_HEADER",
    "PROBLEM_MEDIA_TYPE",
    "ApiContact",
    "AuthenticatedCaller",
    "Caller",
    "InvalidParam",
    "Problem",
    "ProblemDetails",
    "TokenVerifier",
    "UtcDateTime",
    "authenticated_caller",
    "create_api",
    "issue_token",
    "require_scope",
    "rfc3339",
]
