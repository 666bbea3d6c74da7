"""No case content in logs or error reports (issue 7).

Case content reaches an error report through four doors, each closed here:

- POST bodies (a signal's facts, a closing explanation): ``CaseSafeExceptionReporterFilter``
  replaces every POST value, not only the ones named by ``sensitive_post_parameters``;
- local variables of the traceback frames (a form's cleaned_data, a record): names only;
- query strings, uploaded file names and cookies: left out of the report;
- exception messages (``ValueError(f"... {value}")``, a database error quoting a row): the
  logging filter ``ScrubExceptionMessages`` swaps the exception for one that carries only the
  original type's name and the same traceback (file, line, code), so every handler (console,
  e-mail to the administrators) sees the same safe record.

Log messages themselves carry ids and paths only; URLs carry ids only
(``tests/core/test_log_scrubbing.py`` checks the URL patterns).
"""

from __future__ import annotations

import logging

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REMOVED = "[weggelaten: kan dossierinhoud bevatten]"


# Request headers and WSGI variables that say how a request arrived, not what it carried.
SAFE_META = {"REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT",
             "SERVER_PROTOCOL", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_HOST",
             "HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_FORWARDED_PROTO",
             "REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "wsgi.url_scheme"}


class CaseSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request):
        return True  # also with DEBUG: development data can be real data copied over

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {key: REMOVED for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, REMOVED) for name in tb_frame.f_locals]

    def get_safe_cookies(self, request):
        return {}

    def get_safe_request_meta(self, request):
        """A short list of harmless keys; the query string, referer and cookies are left out."""
        if request is None or not hasattr(request, "META"):
            return {}
        return {key: (value if key in SAFE_META else REMOVED)
                for key, value in request.META.items() if not key.startswith("wsgi.")
                or key == "wsgi.url_scheme"}


class CaseSafeExceptionReporter(ExceptionReporter):
    """The error report without query strings, file names, cookies or exception messages."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        data["unicode_hint"] = ""
        data["request_COOKIES_items"] = []
        if self.request is not None:
            data["request_GET_items"] = [(key, REMOVED) for key in self.request.GET]
            data["request_FILES_items"] = [(key, REMOVED) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        if "exception_value" in data:
            data["exception_value"] = REMOVED
        data.pop("exception_notes", None)
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = type(frame["exc_cause"]).__name__
        return data


class ScrubbedException(Exception):
    """Stands in for a logged exception: its type's name, not its message."""


def _scrub(exc: BaseException) -> ScrubbedException:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    scrubbed = ScrubbedException(f"{name} ({REMOVED})")
    scrubbed.__traceback__ = exc.__traceback__
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None:
        scrubbed.__cause__ = _scrub(cause)
    return scrubbed


class ScrubExceptionMessages(logging.Filter):
    """Replace exception messages in log records (and in exceptions passed as arguments)."""

    def filter(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            if not isinstance(record.exc_info[1], ScrubbedException):
                scrubbed = _scrub(record.exc_info[1])
                record.exc_info = (ScrubbedException, scrubbed, scrubbed.__traceback__)
                record.exc_text = None
        if isinstance(record.args, tuple) and any(
                isinstance(arg, BaseException) for arg in record.args):
            record.args = tuple(
                f"{type(arg).__qualname__} ({REMOVED})" if isinstance(arg, BaseException)
                else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: (f"{type(v).__qualname__} ({REMOVED})"
                               if isinstance(v, BaseException) else v)
                           for k, v in record.args.items()}
        return True
