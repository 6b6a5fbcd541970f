"""Checking the rows of a card import file, without the database.

:class:`CardRowChecker` gets plain lookups read once by the caller: the column of each field, the plans by
name, what each plan imposes (its carrier's names, ICCID check policy and prefixes, number segments, the
plan's default validity) and today. For each row holding a card it returns the card's normalised values,
or the row's problems as :class:`Issue` (row, field, raw value, reason code, parameters). The caller words
each reason code in the reader's language (the import wizard's ``_row_reasons``), so this module needs
no translation machinery.
"""

import datetime
import itertools
from typing import NamedTuple

from . import sim, spreadsheet

# reasons of a rejected row
ICCID_EMPTY = "iccid_empty"
ICCID_CUT_BY_EXCEL = "iccid_cut_by_excel"
ICCID_INVALID = "iccid_invalid"
ICCID_LUHN = "iccid_luhn"
ICCID_DUPLICATE = "iccid_duplicate"
PLAN_UNKNOWN = "plan_unknown"
PLAN_MISSING = "plan_missing"
CARRIER_MISMATCH = "carrier_mismatch"
MSISDN_INVALID = "msisdn_invalid"
MSISDN_DUPLICATE = "msisdn_duplicate"
PUK_INVALID = "puk_invalid"
PIN_INVALID = "pin_invalid"
EXPIRY_UNREADABLE = "expiry_unreadable"
EXPIRY_PAST = "expiry_past"
EXPIRY_MISSING = "expiry_missing"
# reasons of a card imported but flagged
ICCID_LUHN_FLAGGED = "iccid_luhn_flagged"
ICCID_PREFIX_FLAGGED = "iccid_prefix_flagged"
MSISDN_SEGMENT_FLAGGED = "msisdn_segment_flagged"

ERROR_CODES = frozenset({
    ICCID_EMPTY, ICCID_CUT_BY_EXCEL, ICCID_INVALID, ICCID_LUHN, ICCID_DUPLICATE, PLAN_UNKNOWN, PLAN_MISSING,
    CARRIER_MISMATCH, MSISDN_INVALID, MSISDN_DUPLICATE, PUK_INVALID, PIN_INVALID, EXPIRY_UNREADABLE,
    EXPIRY_PAST, EXPIRY_MISSING,
})
WARNING_CODES = frozenset({ICCID_LUHN_FLAGGED, ICCID_PREFIX_FLAGGED, MSISDN_SEGMENT_FLAGGED})

#: field -> (reason code when the value does not fit, test of a normalised value)
SECRET_FORMATS = {
    "puk": (PUK_INVALID, lambda value: len(value) == 8 and value.isdigit()),
    "pin": (PIN_INVALID, lambda value: 4 <= len(value) <= 8 and value.isdigit()),
}


class Issue(NamedTuple):
    """A problem of a row: ``row`` as the spreadsheet numbers it, ``target`` the field of its column (iccid,
    msisdn, puk, pin, plan, carrier, expiry), ``value`` the raw cell, ``code`` the reason and ``params`` the
    placeholders of its wording."""

    row: int
    target: str
    value: object
    code: str
    params: dict


def plan_facts(name, carrier, carrier_names=(), policy="off", prefixes=(), segments=None, expiration_time=0,
               product=None):
    """What checking a row of a plan reads from it: the plan's ``name``; its ``carrier``'s name, the set of
    ``carrier_names`` a carrier cell may hold (as :func:`spreadsheet.header_key` leaves them), its ICCID check
    digit ``policy`` (off, warn, strict), its issuer ``prefixes`` and its number ``segments`` (a set of
    3-digit prefixes, or None when the carrier lists none); the plan's default validity in days
    (``expiration_time``, 0 for none); ``product``, passed through to the card."""
    return {
        "name": name,
        "carrier": carrier,
        "carrier_names": set(carrier_names),
        "policy": policy,
        "prefixes": tuple(prefixes),
        "segments": segments,
        "expiration_time": expiration_time,
        "product": product,
    }


class CardRowChecker:
    """Checks the rows of one file: normalises the ICCID, number, PUK, PIN and expiry date of each card,
    matches its plan and carrier, and finds the ICCIDs and numbers given twice in the file.

    - ``column_of``: ``{field: column index}``, fields as in :class:`Issue`;
    - ``plans``: ``{header_key(plan name or reference): plan}``, a plan being any hashable value;
    - ``facts``: ``{plan: plan_facts(...)}``, read by plan (a mapping filling itself on first read will do);
    - ``default_plan``: the plan of the rows naming none (None: such a row is rejected);
    - ``today``: a date; an earlier expiry date is rejected.
    """

    def __init__(self, column_of, plans, facts, default_plan=None, today=None):
        self.column_of = column_of
        self.plans = plans
        self.facts = facts
        self.default_plan = default_plan or None
        self.today = today or datetime.date.today()
        self.footers = 0
        self._plan_by_cell = {}

    def data_rows(self, rows, header_index):
        """``(row number, row)`` of the rows below the header that hold a card: blank rows are skipped, a
        total/footer row is counted (``self.footers``) and skipped."""
        self.footers = 0
        is_blank = spreadsheet.is_blank
        for row_index, row in itertools.islice(enumerate(rows), header_index + 1, None):
            if all(is_blank(v) for v in row):
                continue
            if spreadsheet.is_footer(row):
                self.footers += 1
                continue
            yield row_index + 1, row

    def row_plan(self, row):
        """``(plan, raw cell)``: the plan the row names (None when no plan has that name), or the default
        plan when its plan cell is blank."""
        index = self.column_of.get("plan")
        raw_plan = row[index] if index is not None and index < len(row) else None
        if spreadsheet.is_blank(raw_plan):
            return self.default_plan, raw_plan
        try:
            return self._plan_by_cell[raw_plan], raw_plan
        except KeyError:
            plan = self._plan_by_cell[raw_plan] = self.plans.get(spreadsheet.header_key(raw_plan)) or None
            return plan, raw_plan

    def check_rows(self, rows, header_index):
        """``(card, [], warnings)`` for each valid row holding a card, ``(None, errors, warnings)`` for an
        invalid one; errors and warnings are :class:`Issue`. A card is ``{'row', 'iccid', 'msisdn', 'puk',
        'pin', 'plan', 'product', 'expiration_date'}`` (msisdn, puk and pin may be None; the expiration date
        is a datetime at midnight). An ICCID or number already on an earlier row is an error.

        Long because it is the import's inner loop (100,000 rows a file): the checks of a row stay inline,
        in the order of the columns, rather than a function call per check and row."""
        is_blank, cell_text, header_key = spreadsheet.is_blank, spreadsheet.cell_text, spreadsheet.header_key
        column_of, facts_of, today = self.column_of, self.facts, self.today
        columns = {target: column_of.get(target) for target in ("iccid", "msisdn", "carrier", "expiry")}
        secret_columns = [(target, column_of.get(target), code, ok) for target, (code, ok) in SECRET_FORMATS.items()]
        seen_iccid, seen_msisdn = {}, {}

        def cell(row, index):
            return row[index] if index is not None and index < len(row) else None

        for row_no, row in self.data_rows(rows, header_index):
            errors, warnings = [], []

            raw_iccid = cell(row, columns["iccid"])
            iccid = None
            if is_blank(raw_iccid):
                errors.append(Issue(row_no, "iccid", raw_iccid, ICCID_EMPTY, {}))
            elif spreadsheet.iccid_lost_digits(raw_iccid):
                errors.append(Issue(row_no, "iccid", raw_iccid, ICCID_CUT_BY_EXCEL, {}))
            else:
                iccid = sim.normalize_iccid(cell_text(raw_iccid))
                if not sim.iccid_format_ok(iccid):
                    errors.append(Issue(row_no, "iccid", raw_iccid, ICCID_INVALID, {}))
                    iccid = None

            plan, raw_plan = self.row_plan(row)
            facts = facts_of[plan] if plan is not None else None
            if plan is None:
                code = PLAN_MISSING if is_blank(raw_plan) else PLAN_UNKNOWN
                errors.append(Issue(row_no, "plan", raw_plan, code, {}))

            raw_carrier = cell(row, columns["carrier"])
            if facts and not is_blank(raw_carrier) and header_key(raw_carrier) not in facts["carrier_names"]:
                errors.append(Issue(row_no, "carrier", raw_carrier, CARRIER_MISMATCH,
                                    {"plan": facts["name"], "carrier": facts["carrier"]}))

            if iccid and facts:
                if facts["policy"] != "off" and sim.iccid_luhn_status(iccid) == "failed":
                    if facts["policy"] == "strict":
                        errors.append(Issue(row_no, "iccid", raw_iccid, ICCID_LUHN, {}))
                    else:
                        warnings.append(Issue(row_no, "iccid", raw_iccid, ICCID_LUHN_FLAGGED, {}))
                if facts["prefixes"] and not iccid.startswith(facts["prefixes"]):
                    warnings.append(Issue(row_no, "iccid", raw_iccid, ICCID_PREFIX_FLAGGED, {
                        "carrier": facts["carrier"], "prefixes": ", ".join(facts["prefixes"]),
                    }))

            raw_msisdn = cell(row, columns["msisdn"])
            msisdn = None
            if not is_blank(raw_msisdn):
                msisdn = sim.normalize_msisdn(cell_text(raw_msisdn))
                if not sim.msisdn_format_ok(msisdn):
                    errors.append(Issue(row_no, "msisdn", raw_msisdn, MSISDN_INVALID, {}))
                    msisdn = None
                elif facts and facts["segments"] is not None and msisdn[:3] not in facts["segments"]:
                    warnings.append(Issue(row_no, "msisdn", raw_msisdn, MSISDN_SEGMENT_FLAGGED,
                                          {"segment": msisdn[:3], "carrier": facts["carrier"]}))

            secrets_ = {}
            for target, index, code, pattern_ok in secret_columns:
                raw = cell(row, index)
                value = sim.normalize_code(cell_text(raw)) if not is_blank(raw) else None
                if value and not pattern_ok(value):
                    errors.append(Issue(row_no, target, raw, code, {}))
                    value = None
                secrets_[target] = value

            raw_expiry = cell(row, columns["expiry"])
            expiry = None
            if not is_blank(raw_expiry):
                expiry = spreadsheet.parse_date(raw_expiry)
                if not expiry:
                    errors.append(Issue(row_no, "expiry", raw_expiry, EXPIRY_UNREADABLE, {}))
                elif expiry < today:
                    errors.append(Issue(row_no, "expiry", raw_expiry, EXPIRY_PAST, {}))
                    expiry = None
            elif facts and facts["expiration_time"]:
                expiry = today + datetime.timedelta(days=facts["expiration_time"])
            elif facts:
                errors.append(Issue(row_no, "expiry", raw_expiry, EXPIRY_MISSING, {"plan": facts["name"]}))

            if iccid:
                if iccid in seen_iccid:
                    errors.append(Issue(row_no, "iccid", raw_iccid, ICCID_DUPLICATE, {"row": seen_iccid[iccid]}))
                else:
                    seen_iccid[iccid] = row_no
            if msisdn:
                if msisdn in seen_msisdn:
                    errors.append(Issue(row_no, "msisdn", raw_msisdn, MSISDN_DUPLICATE, {"row": seen_msisdn[msisdn]}))
                else:
                    seen_msisdn[msisdn] = row_no

            if errors:
                yield None, errors, warnings
                continue
            yield {
                "row": row_no,
                "iccid": iccid,
                "msisdn": msisdn,
                "puk": secrets_["puk"],
                "pin": secrets_["pin"],
                "plan": plan,
                "product": facts["product"],
                "expiration_date": datetime.datetime.combine(expiry, datetime.time()),
            }, errors, warnings
