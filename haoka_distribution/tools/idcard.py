"""Chinese identity documents (no ORM): resident ID numbers (GB 11643-1999) and the other ID types
accepted for real-name registration."""

import datetime
import re
import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
#: first two digits of resident ID region codes (provinces, autonomous regions, municipalities)
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83", "91",
}
ID_TYPES = [
    ("resident", "Resident Identity Card"),
    ("hk_macau", "Mainland Travel Permit for Hong Kong and Macao Residents"),
    ("taiwan", "Mainland Travel Permit for Taiwan Residents"),
    ("passport", "Passport"),
]
_OTHER_FORMATS = {
    "hk_macau": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    "taiwan": re.compile(r"^\d{8}(\d{2})?$"),
    "passport": re.compile(r"^[A-Z0-9]{5,20}$"),
}


def normalize_id(value):
    if not value:
        return value
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).upper()


def check_char(first17):
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def resident_id_problem(number, today=None):
    """``None`` when ``number`` is a valid 18-character resident ID number, else a problem code:
    'length', 'chars', 'region', 'birth_date', 'check_char'."""
    if len(number) != 18:
        return "length"
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        return "chars"
    if number[:2] not in PROVINCE_CODES:
        return "region"
    birth = birth_date(number)
    today = today or datetime.date.today()
    if not birth or birth > today or birth.year < 1900:
        return "birth_date"
    if check_char(number[:17]) != number[17]:
        return "check_char"
    return None


def birth_date(number):
    try:
        return datetime.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def other_id_ok(id_type, number):
    pattern = _OTHER_FORMATS.get(id_type)
    return bool(pattern and pattern.match(number))


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_id(number):
    """``110105********123X``: region code and the last four characters stay visible."""
    if not number:
        return number
    if len(number) <= 8:
        return number[:2] + "*" * (len(number) - 2)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
