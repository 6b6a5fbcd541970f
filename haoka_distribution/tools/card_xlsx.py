"""号卡导出: cards as an .xlsx that the import reads back unchanged.

Read with one SQL query per batch and written with xlsxwriter in constant-memory mode; every text is
written as a string cell (never a formula, never a number that loses digits) and dates as date cells.
"""

import io
import tempfile

import xlsxwriter

from . import secrets

BATCH = 20000


def build_cards_xlsx(env, lot_ids, with_secrets):
    """Bytes of the workbook for ``lot_ids`` (already filtered by the caller's access rights)."""
    _ = env._
    headers = [_("ICCID"), _("Phone Number")]
    if with_secrets:
        headers += ["PUK", "PIN"]
    headers += [_("Plan"), _("Carrier"), _("Expiry Date"), _("Card State"), _("Number Grade"), _("Location")]
    # import aliases must recognise the headers: keep the Chinese names the importer knows
    state_labels = dict(env["stock.lot"]._fields["card_state"]._description_selection(env))
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmpdir:
        workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "tmpdir": tmpdir, "in_memory": False})
        sheet = workbook.add_worksheet(_("SIM Cards"))
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        text_format = workbook.add_format({"num_format": "@"})
        for column, header in enumerate(headers):
            sheet.write_string(0, column, header, bold)
        sheet.set_column(0, 0, 24, text_format)
        sheet.set_column(1, 1, 14, text_format)
        lang = env.lang or "en_US"
        row = 1
        for start in range(0, len(lot_ids), BATCH):
            env.cr.execute(
                """
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
                """,
                {"lang": lang, "ids": lot_ids[start:start + BATCH]},
            )
            for name, msisdn, puk, pin, plan, carrier, expiry, state, grade, location in env.cr.fetchall():
                values = [name, msisdn or ""]
                if with_secrets:
                    values += [secrets.decrypt(puk) or "", secrets.decrypt(pin) or ""]
                values += [plan or "", carrier or ""]
                for column, value in enumerate(values):
                    sheet.write_string(row, column, value)
                column = len(values)
                if expiry:
                    sheet.write_datetime(row, column, expiry.replace(hour=0, minute=0, second=0), date_format)
                for offset, value in enumerate((state_labels.get(state, state or ""), grade or "", location or "")):
                    sheet.write_string(row, column + 1 + offset, value)
                row += 1
        workbook.close()
    return buffer.getvalue()
