"""靓号 classifier: measures the patterns at the tail of a mobile number (no ORM).

Runs are computed from the digits (a regular expression cannot check that each digit is the
previous one plus one), so ascending and descending runs of any length are found.
"""

from collections import namedtuple

PATTERN_KINDS = [
    ("repeat", "N-of-a-kind tail (AAA, AAAA, ... 8A)"),
    ("ascending", "Ascending run (ABC, ABCD, ...)"),
    ("descending", "Descending run (CBA, DCBA, ...)"),
    ("aabb", "AABB tail"),
    ("abab", "ABAB tail"),
    ("abba", "ABBA tail"),
    ("aaab", "AAAB tail"),
    ("lucky", "Lucky string (168, 520, 1314, ...)"),
    ("no_four", "No digit 4"),
]

#: minimum measure for a kind to count at all, whatever the rule says
_FLOOR = {"repeat": 2, "ascending": 3, "descending": 3, "abab": 4}
_LETTERS = "ABCDEFGHIJK"

Rule = namedtuple("Rule", "key kind min_length value level sequence")
Match = namedtuple("Match", "key kind label level")


def _tail_run(digits, step):
    """Length of the run at the end of ``digits`` where each digit is the previous plus ``step``."""
    length = 1
    for index in range(len(digits) - 1, 0, -1):
        if int(digits[index]) - int(digits[index - 1]) != step:
            break
        length += 1
    return length


def _alternating_tail(digits):
    """Length of the ABAB... tail (A != B), 0 when the last two digits are equal."""
    if len(digits) < 2 or digits[-1] == digits[-2]:
        return 0
    length = 2
    for index in range(len(digits) - 3, -1, -1):
        if digits[index] != digits[index + 2]:
            break
        length += 1
    return length


def measure(number):
    """Measures of every pattern kind for ``number`` (a string of digits)."""
    last4 = number[-4:]
    four = len(last4) == 4
    a, b, c, d = last4 if four else ("", "", "", "")
    return {
        "repeat": _tail_run(number, 0) if number else 0,
        "ascending": _tail_run(number, 1) if number else 0,
        "descending": _tail_run(number, -1) if number else 0,
        "aabb": four and a == b and c == d and a != c,
        "abab": _alternating_tail(number),
        "abba": four and a == d and b == c and a != b,
        "aaab": four and a == b == c and c != d,
        "no_four": bool(number) and "4" not in number[-8:],
    }


def _label(kind, measures, number, value):
    if kind == "repeat":
        count = measures["repeat"]
        return ("A" * count if count <= 4 else "%dA" % count) + " " + number[-count:]
    if kind in ("ascending", "descending"):
        count = measures[kind]
        letters = _LETTERS[:count]
        return (letters if kind == "ascending" else letters[::-1]) + " " + number[-count:]
    if kind == "abab":
        count = measures["abab"]
        return "AB" * (count // 2) + ("A" if count % 2 else "") + " " + number[-count:]
    if kind in ("aabb", "abba", "aaab"):
        return kind.upper() + " " + number[-4:]
    if kind == "lucky":
        return value
    return "无4"


def _matches(kind, min_length, value, measures, number):
    if kind in _FLOOR:
        return measures[kind] >= max(min_length or 0, _FLOOR[kind])
    if kind == "lucky":
        return bool(value) and number.endswith(value)
    return bool(measures.get(kind))


def classify(number, rules):
    """Best matching rule for ``number``: highest level first, then lowest sequence (then the rules' order).

    :param rules: iterable of :class:`Rule`
    :return: :class:`Match` or ``None``
    """
    return classifier(rules)(number)


def classifier(rules):
    """:func:`classify` bound to ``rules``, for many numbers: the rules are put in their order of priority once,
    so that the first rule a number matches is its best."""
    ordered = sorted(rules, key=lambda rule: (-rule.level, rule.sequence or 0))

    def classify_number(number):
        if not number:
            return None
        measures = measure(number)
        for rule in ordered:
            if _matches(rule.kind, rule.min_length, rule.value, measures, number):
                return Match(rule.key, rule.kind, _label(rule.kind, measures, number, rule.value), rule.level)
        return None

    return classify_number
