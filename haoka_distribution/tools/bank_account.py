"""Bank account numbers typed in the portal: normalised (spaces and dashes dropped), checked (digits only,
a plausible length for a mainland card or account) and masked for display (only the last four digits)."""

import re

DIGITS_MIN = 10
DIGITS_MAX = 30


def normalize(number):
    """The number without spaces, dashes and full-width digits (一二 are not digits here)."""
    text = (number or "").translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    return re.sub(r"[\s\-]+", "", text)


def is_valid(number):
    """True when the normalised ``number`` is only digits, between :data:`DIGITS_MIN` and :data:`DIGITS_MAX`."""
    return bool(re.fullmatch(r"\d{%d,%d}" % (DIGITS_MIN, DIGITS_MAX), number or ""))


def mask(number):
    """``**** 1234``: the last four characters of the number, the rest hidden (empty for no number)."""
    text = normalize(number)
    if not text:
        return ""
    return "**** " + text[-4:]
