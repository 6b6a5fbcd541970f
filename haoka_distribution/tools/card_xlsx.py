"""号卡导出: cards as an .xlsx that the import reads back unchanged.

Read with one SQL query per batch and streamed to a minimal .xlsx writer; every text is written as an
inline string cell (never a formula, never a number that loses digits) and dates as date cells.
"""

import io

import pytz

from . import secrets
from .xlsx_stream import StreamingXlsx

BATCH = 20000


CARDS_QUERY = """
    SELECT l.name, l.msisdn, l.puk_cipher, l.pin_cipher,
           COALESCE(t.name->>%(lang)s, t.name->>'en_US'),
           COALESCE(c.name->>%(lang)s, c.name->>'en_US'),
           l.expiration_date, l.card_state,
           COALESCE(g.name->>%(lang)s, g.name->>'en_US'), loc.complete_name
      FROM stock_lot l
      JOIN product_product p ON p.id = l.product_id
      JOIN product_template t ON t.id = p.product_tmpl_id
 LEFT JOIN haoka_carrier c ON c.id = l.haoka_carrier_id
 LEFT JOIN haoka_number_grade g ON g.id = l.grade_id
 LEFT JOIN stock_location loc ON loc.id = l.location_id
     WHERE l.id = ANY(%(ids)s)
  ORDER BY l.name
"""


def columns(env, with_secrets):
    """``(headers, widths)`` of the workbook, PUK and PIN only ``with_secrets``."""
    _ = env._
    headers = [_("ICCID"), _("Phone Number")]
    if with_secrets:
        headers += ["PUK", "PIN"]
    headers += [_("Plan"), _("Carrier"), _("Expiry Date"), _("Card State"), _("Number Grade"), _("Location")]
    widths = [24, 14] + ([12, 8] if with_secrets else []) + [30, 14, 12, 10, 16, 24]
    return headers, widths


def _clear_secrets(rows):
    """``(PUK, PIN)`` in clear (None when empty) of each row of CARDS_QUERY, decrypted in one batch."""
    clears = secrets.decrypt_many([row[2] for row in rows] + [row[3] for row in rows])
    return [(puk or None, pin or None) for puk, pin in zip(clears[:len(rows)], clears[len(rows):], strict=True)]


def build_cards_xlsx(env, lot_ids, with_secrets):
    """Bytes of the workbook for ``lot_ids`` (already filtered by the caller's access rights)."""
    headers, widths = columns(env, with_secrets)
    state_labels = dict(env["stock.lot"]._fields["card_state"]._description_selection(env))
    lang = env.lang or "en_US"
    local = pytz.timezone(env.context.get("tz") or env.user.tz or "UTC")

    days = {}

    def day(moment):
        """The day of a stored (UTC) expiry as the user sees it: only the day matters (computed once per
        distinct expiry: the cards of a batch share theirs)."""
        if moment not in days:
            days[moment] = moment and pytz.utc.localize(moment).astimezone(local).date()
        return days[moment]

    env.flush_all()  # the cards are read with SQL
    buffer = io.BytesIO()
    with StreamingXlsx(buffer, env._("SIM Cards"), widths) as book:
        book.header(headers)
        for start in range(0, len(lot_ids), BATCH):
            env.cr.execute(CARDS_QUERY, {"lang": lang, "ids": lot_ids[start:start + BATCH]})
            rows = env.cr.fetchall()
            clears = _clear_secrets(rows) if with_secrets else [()] * len(rows)
            for (name, msisdn, _puk, _pin, plan, carrier, expiry, state, grade, location), shown in zip(
                rows, clears, strict=True
            ):
                book.row([name, msisdn, *shown, plan, carrier, day(expiry), state_labels.get(state, state),
                          grade, location])
    return buffer.getvalue()
