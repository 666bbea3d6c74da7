import time

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_otp.middleware import OTPMiddleware


class RequireTwoFactorMiddleware:
    """Every signed-in user must have passed a second factor before reaching any page.

    The issue asks 2FA for every role that can read case data; we require it of every
    account, the beheerder's and the superuser's included, since they manage pupils' personal
    data. Demo mode (``make run`` only, never with production settings) skips it with a banner.
    """

    ALLOWED_PREFIXES = ("/account/", "/static/", "/gezond/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (user.is_authenticated and not getattr(settings, "DEMO_MODE", False)
                and not user.is_verified()
                and not request.path.startswith(self.ALLOWED_PREFIXES)):
            from django_otp import user_has_device

            if user_has_device(user):
                # A password-only session (should not happen through our login) must log in again.
                from django.contrib.auth import logout

                logout(request)
                return redirect(f"{reverse('two_factor:login')}")
            return redirect("two_factor:setup")
        return self.get_response(request)


OTP_DEVICE_CACHE = "otp-device"
OTP_DEVICE_TTL = 600


def _device_state(persistent_id: str):
    from django_otp.models import Device

    device = Device.from_persistent_id(persistent_id)
    return None if device is None else (device.user_id, bool(device.confirmed))


class _CachedDevice(SimpleLazyObject):
    """The session's 2FA device as far as ``OTPMiddleware`` checks it (owner, confirmed) from
    the shared cache; anything else about it loads the device from the database."""

    def __init__(self, persistent_id: str, user_id: int, confirmed: bool):
        from django_otp.models import Device

        def load():
            device = Device.from_persistent_id(persistent_id)
            if device is None:
                raise Device.DoesNotExist(persistent_id)
            return device

        super().__init__(load)
        self.__dict__["user_id"] = user_id
        self.__dict__["confirmed"] = confirmed


class CachedOTPMiddleware(OTPMiddleware):
    """django-otp's ``OTPMiddleware`` without its device query on every request.

    With a shared cache the device's owner and confirmed state are kept there, keyed on its
    persistent id and ended by every save or delete of a device (``device_changed``, connected
    for every device model in ``CoreConfig.ready``): a deleted or unconfirmed device ends the
    session's verification at the next request in every process, as with the query. Without
    a shared cache it is django-otp's middleware unchanged.
    """

    def _verify_user_sync(self, request, user):
        from django_otp import DEVICE_ID_SESSION_KEY

        from core import sharedcache

        if not sharedcache.enabled():
            return super()._verify_user_sync(request, user)
        # As OTPMiddleware._verify_user_sync, with the device from the shared cache, read in
        # one round trip with the user's other cached entries (roles, unread count).
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            if persistent_id:
                persistent_id = self._normalize_persistent_id(persistent_id)
            sharedcache.prefetch_for_user(
                user, [(OTP_DEVICE_CACHE, persistent_id)] if persistent_id else [])
            device = None
            if persistent_id:
                state = sharedcache.get_or_compute(
                    OTP_DEVICE_CACHE, persistent_id, lambda: _device_state(persistent_id),
                    OTP_DEVICE_TTL, holder=user)
                if state is not None:
                    device = _CachedDevice(persistent_id, *state)
            user.otp_device = self._finalize_device(request, user, device)
        return user


def device_changed(sender, instance, **kwargs):
    from core import sharedcache

    if instance.pk is not None:
        sharedcache.invalidate(OTP_DEVICE_CACHE, instance.persistent_id)


class SecurityHeadersMiddleware:
    """Headers Django does not set itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        # Case pages must not linger in shared browser or proxy caches.
        if request.user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store, private")
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than ``MELDCODE_MAX_REQUEST_BYTES`` before it is read.

    The attachment validator refuses files over 10 MB, but only after Django has streamed
    them to disk; this stops an oversized upload at its Content-Length (the TLS proxy should
    cap bodies too). Runs before any view or middleware reads ``request.POST``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MELDCODE_MAX_REQUEST_BYTES:
            from django.shortcuts import render

            return render(request, "core/too_large.html", status=413)
        return self.get_response(request)


def session_refreshed_at_login(sender, request, user, **kwargs):
    """A login saves the session anyway: count it as the refresh, so that the next request
    does not write it again."""
    if request is not None and hasattr(request, "session"):
        request.session[SlidingSessionMiddleware.KEY] = int(time.time())


class SlidingSessionMiddleware:
    """The idle timeout without writing the session on every request.

    ``SESSION_SAVE_EVERY_REQUEST`` would cost an UPDATE of the session row on every page. Here
    a signed-in session is saved (which moves its expiry ``SESSION_COOKIE_AGE`` ahead) only when
    its last save is ``SESSION_REFRESH_SECONDS`` (60) or more ago, so an idle session still
    ends ``SESSION_COOKIE_AGE`` after its last save: between 29 and 30 minutes after the last
    request with the default 30 minutes, never later. Goes right after ``SessionMiddleware``.
    """

    KEY = "_refreshed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None:
            now = int(time.time())
            refreshed = session.get(self.KEY)
            every = getattr(settings, "SESSION_REFRESH_SECONDS", 60)
            if refreshed is None or now - refreshed >= every:
                session[self.KEY] = now  # modified: SessionMiddleware saves it on the way out
        return self.get_response(request)
