"""SIM card data: normalisation and validation of ICCIDs and mobile numbers (no ORM)."""

import re
import unicodedata

ICCID_RE = re.compile(r"^89[0-9A-F]{17,20}$")
MSISDN_RE = re.compile(r"^1[3-9]\d{9}$")
_SPACES_RE = re.compile(r"[\s\u3000\u00a0\u200b\-]+")


def _half_width(value):
    """Full-width digits/letters (０-９, Ａ-Ｚ) become ASCII; NFKC does exactly that."""
    return unicodedata.normalize("NFKC", value)


def normalize_iccid(value):
    """Return the canonical ICCID: no spaces, half-width, no leading apostrophe, upper case,
    one trailing ``F`` pad removed (modems report 19-digit ICCIDs padded with F)."""
    if value is None or value is False:
        return value
    text = _half_width(str(value)).strip()
    if text.startswith("'"):
        text = text[1:]
    text = re.sub(r"\s+", "", text).upper()
    if text.endswith("F"):
        text = text[:-1]
    return text


def normalize_msisdn(value):
    """Return the canonical 11-digit number: ``+86``/``0086``/``86`` prefix, spaces, dashes and
    full-width characters removed."""
    if value is None or value is False:
        return value
    text = _SPACES_RE.sub("", _half_width(str(value)).strip())
    if text.startswith("'"):
        text = text[1:]
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def normalize_code(value):
    """PUK/PIN and other digit codes: half-width, no spaces or leading apostrophe; leading zeros kept."""
    if value is None or value is False:
        return value
    text = _SPACES_RE.sub("", _half_width(str(value)).strip())
    return text[1:] if text.startswith("'") else text


def luhn_valid(digits):
    """Luhn check over an all-digit string (the last digit is the check digit)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def luhn_check_digit(payload):
    """Check digit to append to ``payload`` so that the whole passes the Luhn check."""
    for digit in "0123456789":
        if luhn_valid(payload + digit):
            return digit
    raise ValueError(payload)  # pragma: no cover - one digit always fits


def iccid_format_ok(iccid):
    return bool(iccid) and bool(ICCID_RE.match(iccid))


def iccid_luhn_status(iccid):
    """``'ok'``, ``'failed'`` or ``'not_applicable'`` (hex letters: Luhn does not apply)."""
    if not iccid.isdigit():
        return "not_applicable"
    return "ok" if luhn_valid(iccid) else "failed"


_QUICK_ICCID_RE = re.compile(r"^89[0-9A-F]*$")
#: the fewest characters of an all-digit input starting with 89 read as an ICCID (no mobile number starts with 89)
QUICK_ICCID_MIN_LENGTH = 12


def quick_search_kind(value):
    """What a quick search for cards looks for: ``'iccid'`` (starts with 89 and is long, or carries hex
    letters such as the F pad), ``'number'`` (digits, possibly with spaces, dashes or +86: a phone number or
    a part of one) or ``None`` (other text)."""
    text = _SPACES_RE.sub("", _half_width(str(value or "")).strip()).upper()
    if text.startswith("'"):
        text = text[1:]
    if _QUICK_ICCID_RE.match(text) and (len(text) >= QUICK_ICCID_MIN_LENGTH or not text.isdigit()):
        return "iccid"
    digits = normalize_msisdn(text)
    if digits and digits.isdigit():
        return "number"
    return None


def msisdn_format_ok(msisdn):
    return bool(msisdn) and bool(MSISDN_RE.match(msisdn))


def parse_prefixes(text):
    """``'898600, 898602'`` -> ``['898600', '898602']``; separators: comma, space, ；/，, newline."""
    return [part.upper() for part in re.split(r"[\s,，;；、]+", text or "") if part]


def parse_aliases(text):
    """``'中国移动, 移动；CMCC'`` -> ``['中国移动', '移动', 'CMCC']``; separators: comma, ；/，, 、, newline
    (not spaces: 'China Mobile' is one alias)."""
    return [part.strip() for part in re.split(r"[,，;；、\n]+", text or "") if part.strip()]


def parse_segments(text):
    """``'134-139, 150-152, 187'`` -> set of three-digit segments (strings)."""
    segments = set()
    for part in re.split(r"[\s,，;；、]+", text or ""):
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) == 1 and bounds[0].isdigit():
            segments.add(bounds[0])
        elif len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            if low > high:
                raise ValueError(part)
            segments.update(str(n) for n in range(low, high + 1))
        else:
            raise ValueError(part)
    return segments
