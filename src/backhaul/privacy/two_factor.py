"""Staff two-factor authentication: each member of staff's TOTP authenticator (django-otp).

A staff member enrols in the console (**Two-factor sign-in** in the user menu): Backhaul
makes an unconfirmed authenticator, shows its QR code and key to that member of staff
only, and confirms it when they type a current code from their app. From then on the
console asks for a code at every sign-in. The key is never shown again; a lost phone is
dealt with by removing the authenticator (`backhaul privacy two-factor-reset --user NAME`,
or an administrator in the console), after which the staff member enrols again.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from backhaul.core.errors import InvalidInput, NotFound
from backhaul.privacy.security_rules import ConsoleAccess, console_second_factor

DEVICE_NAME = "Authenticator app"
CODE_DIGITS = 6


def staff_device(user: Any) -> TOTPDevice | None:
    """The staff member's confirmed authenticator, if they have one."""
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _has_device(user: Any) -> bool:
    # Asked several times per console request; the answer is kept on the user object,
    # which lives for one request.
    cached = getattr(user, "_backhaul_has_otp_device", None)
    if cached is None:
        cached = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        user._backhaul_has_otp_device = cached
    return bool(cached)


def console_access(user: Any) -> ConsoleAccess:
    """What the console still needs from this signed-in user (see security_rules)."""
    verified = getattr(user, "otp_device", None) is not None
    return console_second_factor(
        has_device=verified or _has_device(user),
        verified=verified,
        required=settings.BACKHAUL_STAFF_2FA_REQUIRED,
    )


def staff_enrolment_start(*, user: Any) -> TOTPDevice:
    """The staff member's authenticator waiting to be confirmed, made on the first visit.

    Visiting again shows the same key, so a half-finished enrolment can be completed.
    """
    if staff_device(user) is not None:
        raise InvalidInput("two-factor: you already have an authenticator")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=DEVICE_NAME, confirmed=False, digits=CODE_DIGITS
        )
    return device


def staff_enrolment_confirm(*, user: Any, device_id: int, code: str) -> TOTPDevice:
    """Confirm the authenticator with a current code from the app.

    A wrong code counts towards django-otp's throttle (each failure doubles the wait), and
    the count is kept even though the confirmation fails.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, pk=device_id, confirmed=False)
            .first()
        )
        if device is None:
            raise NotFound("two-factor: that enrolment has ended; start again")
        allowed, _ = device.verify_is_allowed()
        matched = bool(allowed and device.verify_token(code))
        if matched:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    if not allowed:
        raise InvalidInput(
            "code: too many wrong codes; wait a moment and try the code showing then"
        )
    if not matched:
        raise InvalidInput(
            "code: that code does not match; check the clock on your phone and try the current code"
        )
    return device


def staff_code_verify(*, device: TOTPDevice, code: str) -> None:
    """Accept a current code of this authenticator (each code once), or raise InvalidInput.

    Wrong codes are throttled by django-otp: after each one the wait before the next try
    doubles, and a code given during the wait is refused unread.
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = locked.verify_is_allowed()
        matched = bool(allowed and code.isdigit() and locked.verify_token(code))
    if not allowed:
        raise InvalidInput(
            "code: too many wrong codes; wait a moment and try the code showing then"
        )
    if not matched:
        raise InvalidInput(
            "code: that code is not a current one; check the clock on your phone and try "
            "the code showing now"
        )


def staff_two_factor_reset(*, username: str) -> int:
    """Remove a staff member's authenticators (a lost phone); they enrol again at sign-in."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"--user: no user {username!r}")
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    return int(count)


def enrolment_key(device: TOTPDevice) -> str:
    """The key in the base32 form authenticator apps accept when typed in, in groups of 4."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def enrolment_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address of the authenticator as an inline SVG QR code."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))
