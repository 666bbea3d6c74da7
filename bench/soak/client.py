"""A small browser for the soak run: stdlib only (http.client, html.parser, hmac).

It keeps a session cookie, reads the forms on a page (every input, select and textarea with
the value a browser would send), lets the caller change a few fields and submits the form,
as a member of staff would. Requests are sent as if behind the TLS-terminating proxy
(``X-Forwarded-Proto: https``), so the production settings (secure cookies, SSL redirect,
the CSRF origin check) apply unchanged.

Two-factor codes: ``Browser.fill_otp`` fills any ``*otp_token`` field with a fresh TOTP code
from the user's known device key. The login uses it, and so can a step-up page (a form asking
for a fresh code before an export): ``Browser.submit`` answers such a page by itself when
``auto_step_up`` is on. A TOTP code is accepted once per 30-second step, so a second code
waits for the next step.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import re
import struct
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser


def totp(key_hex: str, at: float, step: int = 30, digits: int = 6) -> tuple[str, int]:
    """RFC 6238 code for ``at`` and its time step (as django-otp's TOTPDevice computes it)."""
    counter = int(at // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits), counter


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # name -> [(value, label)] of every <select> option (first = what a browser sends)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Submit buttons: (name, value); only the clicked one is sent.
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {n for n, _v in self.fields} | set(self.options)

    def data(self, **changes) -> list[tuple[str, str]]:
        """Field values with ``changes`` applied (a change replaces every value of a name)."""
        out = [(n, v) for n, v in self.fields if n not in changes]
        for name, value in changes.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                out += [(name, str(v)) for v in value]
            else:
                out.append((name, str(value)))
        return out


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen: str | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = Form(action=a.get("action") or "", method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image"):
                form.buttons.append((name, a.get("value", "")))
            elif kind != "file":
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name and (a.get("type") or "submit") == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, None
            form.options[name] = []
        elif tag == "option" and self._select:
            self._option = (a.get("value"), "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data):
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            self._form.options[self._select].append((value, self._option_text.strip()))
            if self._select_first is None:
                self._select_first = value
            if selected:
                self._select_chosen = value
            self._option = None
        elif tag == "select" and self._select:
            chosen = self._select_chosen if self._select_chosen is not None else self._select_first
            if chosen is not None:
                self._form.fields.append((self._select, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form.fields.append((self._textarea, self._textarea_text.lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


@dataclass
class Response:
    status: int
    headers: dict
    body: str
    url: str
    elapsed: float

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def forms(self) -> list[Form]:
        return parse_forms(self.body)

    def form_with(self, field_name: str) -> Form | None:
        for form in self.forms():
            if any(n == field_name or n.endswith(field_name) for n in form.names()):
                return form
        return None


class TransportError(Exception):
    """The connection failed (refused, reset, timed out): no HTTP status."""


class Browser:
    def __init__(self, host: str, port: int, totp_key: str | None = None, timeout: float = 120.0,
                 recorder=None, auto_step_up: bool = True):
        self.host, self.port, self.timeout = host, port, timeout
        self.origin = f"https://{host}:{port}"
        self.cookies: dict[str, str] = {}
        self.totp_key = totp_key
        self.last_otp_step = -1
        self.recorder = recorder  # callable(kind, method, status, elapsed, error) or None
        self.auto_step_up = auto_step_up
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0
        self.keepalive_retries = 0
        self.otp_retries = 0

    # --- transport ---------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, data=None, kind: str = "", referer: str = "",
                files: list[tuple[str, str, str, bytes]] | None = None,
                _retry: bool = True) -> Response:
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "meldcode-soak",
                   "Accept": "text/html", "Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or path)
            if files:
                boundary = uuid.uuid4().hex
                body = _multipart(boundary, data or [], files)
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urllib.parse.urlencode(data or []).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        # gunicorn closes a keep-alive connection after 2 s idle: start a new one before that
        # (a browser does the same, or retries), so the race is not counted as a failure.
        # A POST is not retried, so it never goes out on a connection that may be closing.
        idle = time.monotonic() - self._last_used
        if self._conn is not None and (idle > 1.5 or (method == "POST" and idle > 0.3)):
            self.close()
        reused = self._conn is not None
        started = time.monotonic()
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            content = raw.read()
            self._last_used = time.monotonic()
            resp_headers = {k.lower(): v for k, v in raw.getheaders()}
            for k, v in raw.getheaders():
                if k.lower() == "set-cookie":
                    self._store_cookie(v)
            if (resp_headers.get("connection", "").lower() == "close"):
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            if (reused and _retry and method == "GET" and isinstance(
                    exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected))):
                # The server closed the idle keep-alive connection as we sent: a browser
                # retries a GET on a new connection, and so do we (counted, not hidden).
                self.keepalive_retries += 1
                return self.request(method, path, data, kind, referer, files, _retry=False)
            elapsed = time.monotonic() - started
            if self.recorder:
                self.recorder(kind or path, method, 0, elapsed, repr(exc))
            raise TransportError(repr(exc)) from exc
        elapsed = time.monotonic() - started
        text = content.decode("utf-8", "replace")
        if self.recorder:
            detail = None
            if raw.status >= 400:  # the page's title says what went wrong
                title = re.search(r"<title>(.*?)</title>", text, re.S)
                detail = (title.group(1).strip() if title else text[:80]).replace("\n", " ")
            self.recorder(kind or path, method, raw.status, elapsed, detail)
        return Response(raw.status, resp_headers, text, path, elapsed)

    def _store_cookie(self, header: str) -> None:
        pair, *attrs = header.split(";")
        name, _eq, value = pair.strip().partition("=")
        expired = any(a.strip().lower().startswith("max-age=0") for a in attrs)
        if expired or value in ('""', ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def get(self, path: str, kind: str = "") -> Response:
        return self.request("GET", path, kind=kind)

    # --- forms -------------------------------------------------------------------------------

    def fresh_otp(self) -> str:
        """A TOTP code from a time step not used before (waits for the next step if needed)."""
        while True:
            code, step = totp(self.totp_key, time.time())
            if step > self.last_otp_step:
                self.last_otp_step = step
                return code
            time.sleep(max(0.05, (step + 1) * 30 - time.time() + 0.05))

    def submit(self, page: Response, form: Form, kind: str = "", button: tuple | None = None,
               files=None, step_up: bool | None = None, **changes) -> Response:
        """Submit ``form`` from ``page``. No named button is sent unless ``button`` is given
        (the two-factor wizard's first named button is "back")."""
        data = form.data(**changes)
        if button and button[0]:
            data.append(button)
        action = form.action or page.url
        action = urllib.parse.urljoin(page.url, action)
        if form.method == "post":
            resp = self.request("POST", action, data, kind=kind, referer=page.url, files=files)
        else:
            resp = self.request("GET", action + "?" + urllib.parse.urlencode(data), kind=kind)
        if step_up is None:
            step_up = self.auto_step_up
        if step_up and resp.status == 200 and self.totp_key and self.otp_form(resp) is not None:
            # A page asking for a fresh two-factor code before the action (step-up).
            resp = self.answer_otp(resp, kind=f"{kind}:step-up" if kind else "step-up")
        return resp

    @staticmethod
    def _otp_field(name: str) -> bool:
        # The login wizard's ``token-otp_token``; the step-up page's ``code`` (core.stepup).
        return name.endswith("otp_token") or name == "code"

    def otp_form(self, page: Response) -> Form | None:
        for form in page.forms():
            if any(self._otp_field(n) for n in form.names()):
                return form
        return None

    def answer_otp(self, page: Response, kind: str = "otp") -> Response:
        form = self.otp_form(page)
        name = next(n for n in form.names() if self._otp_field(n))
        return self.submit(page, form, kind=kind, step_up=False, **{name: self.fresh_otp()})

    def follow(self, resp: Response, kind: str = "") -> Response:
        """Follow redirects (GET), as a browser does after a form."""
        hops = 0
        while resp.status in (301, 302, 303) and resp.location and hops < 5:
            loc = urllib.parse.urlsplit(urllib.parse.urljoin(resp.url, resp.location))
            resp = self.get(loc.path + (f"?{loc.query}" if loc.query else ""), kind=kind)
            hops += 1
        return resp

    def login(self, username: str, password: str) -> Response:
        """The real two-factor login: password step, then the TOTP step."""
        page = self.get("/account/login/", kind="login")
        form = page.form_with("auth-username")
        if form is None:
            raise RuntimeError(f"no login form (status {page.status})")
        resp = self.submit(page, form, kind="login", step_up=False, **{"auth-username": username,
                                                        "auth-password": password})
        if resp.status == 200:
            if self.otp_form(resp) is None:
                raise RuntimeError(f"login of {username}: no token step")
            for _attempt in range(3):
                resp = self.answer_otp(resp, kind="login")
                # Rejected (a code read too late, when the server answered slowly): a person
                # types the next code.
                if resp.status != 200 or self.otp_form(resp) is None:
                    break
                self.otp_retries += 1
        if resp.status != 302:
            raise RuntimeError(f"login of {username} failed: status {resp.status}")
        return self.follow(resp, kind="login")


def _multipart(boundary: str, data, files) -> bytes:
    out = []
    for name, value in data:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode())
    for name, filename, ctype, content in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                   + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)
