"""An upstream's activation or status report (Excel/CSV) read with the card import's file quality: header
aliases (the source's column names), title and total rows, a dry run (校验) and an error report naming row,
column, value and reason. Each valid row becomes an event of the source's inbox, identified by its content, so
the same file imported twice changes nothing the second time."""

import base64
import hashlib
import json

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import sim, spreadsheet
from .haoka_card_import import column_label

#: report column -> the source field holding its names
REPORT_COLUMNS = {
    "number": "key_number", "amount": "key_amount", "date": "key_date", "status": "key_status",
    "external_id": "key_external_id", "card": "key_card",  # the card last: its names win a shared header
}


class HaokaUpstreamReportImport(models.TransientModel):
    _name = "haoka.upstream.report.import"
    _description = "Import Upstream Report"

    source_id = fields.Many2one("haoka.upstream", string="Source", required=True)
    file = fields.Binary(required=True, attachment=False)
    filename = fields.Char()
    state = fields.Selection([("draft", "Draft"), ("checked", "Checked"), ("done", "Done")], default="draft")
    row_count = fields.Integer(string="Rows", readonly=True)
    valid_count = fields.Integer(string="Valid", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    new_count = fields.Integer(string="New Events", readonly=True)
    duplicate_count = fields.Integer(string="Already Imported", readonly=True)
    processed_count = fields.Integer(string="Processed", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    summary = fields.Text(readonly=True)
    error_report = fields.Binary(readonly=True, attachment=False)
    error_report_name = fields.Char(readonly=True)

    def action_check(self):
        """The dry run: every row checked, nothing written."""
        self.ensure_one()
        rows, errors = self._checked_rows()
        self._report(rows, errors, state="checked")
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        result = self._import()
        self.write({"new_count": result["new"], "duplicate_count": result["duplicates"],
                    "processed_count": result["processed"], "failed_count": result["failed"]})
        return self._reopen()

    def _import(self):
        """Store the valid rows as events (known rows skipped) and process the new ones now; the counts."""
        rows, errors = self._checked_rows()
        self._report(rows, errors, state="done")
        Event = self.env["haoka.upstream.event"].sudo()
        events = Event._receive_file_rows(self.source_id, [
            (external_id, json.dumps(payload, ensure_ascii=False)) for external_id, payload in rows])
        return {"rows": len(rows) + len(errors), "errors": errors, "new": len(events),
                "duplicates": len(rows) - len(events), "processed": len(events.filtered(lambda e: e.state != "failed")),
                "failed": len(events.filtered(lambda e: e.state == "failed"))}

    def _report(self, rows, errors, state):
        _ = self.env._
        rejected = {row for row, *_rest in errors}
        self.write({
            "state": state, "row_count": len(rows) + len(rejected), "valid_count": len(rows),
            "error_count": len(errors),
            "summary": "\n".join(_("Row %(row)s, %(column)s, %(value)s: %(reason)s", row=row, column=column,
                                   value=value or "", reason=reason) for row, column, value, reason in errors[:50]),
            "error_report": base64.b64encode(self.env["haoka.card.import"]._error_report(errors)) if errors else False,
            "error_report_name": _("Errors %(file)s.xlsx", file=self.filename or "") if errors else False,
        })

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new"}

    def action_download_errors(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url", "target": "self",
            "url": "/web/content?model=%s&id=%s&field=error_report&filename_field=error_report_name&download=true"
            % (self._name, self.id),
        }

    # ------------------------------------------------------------------ reading and checking

    def _read_rows(self):
        try:
            return spreadsheet.read_rows(base64.b64decode(self.file or b""), self.filename or "")
        except spreadsheet.SpreadsheetError as error:
            reasons = {"empty": self.env._("The file %(name)s is empty.", name=self.filename or ""),
                       "encoding": self.env._("The file %(name)s is neither UTF-8 nor GBK text.",
                                              name=self.filename or "")}
            raise UserError(reasons.get(error.args[0]) or self.env._(
                "The file %(name)s is not a spreadsheet: use .xlsx, .xls or .csv.", name=self.filename or "",
            )) from None

    def _checked_rows(self):
        """``([(external id, payload)], [(row, column, value, reason)])`` for the file's data rows."""
        _ = self.env._
        source = self.source_id
        rows = self._read_rows()
        aliases = {target: source._keys(field) for target, field in REPORT_COLUMNS.items()}
        header_index, mapping = spreadsheet.find_header(rows, aliases=aliases, required="card")
        if header_index is None or "status" not in mapping.values():
            raise UserError(_(
                "No header row naming the card (%(card)s) and the status (%(status)s) was found in %(file)s.",
                card=source.key_card, status=source.key_status, file=self.filename or ""))
        header = rows[header_index]
        known = self._known_cards(rows[header_index + 1:], mapping)
        valid, errors = [], []
        for index in range(header_index + 1, len(rows)):
            row = rows[index]
            if all(spreadsheet.is_blank(v) for v in row) or spreadsheet.is_footer(row):
                continue
            cells = {target: (column, row[column] if column < len(row) else None) for column, target in mapping.items()}
            row_errors = self._row_errors(index + 1, header, cells, known)
            if row_errors:
                errors.extend(row_errors)
                continue
            payload = {spreadsheet.cell_text(header[column]): spreadsheet.cell_text(value)
                       for column, value in (cells[target] for target in cells)}
            valid.append((self._row_event_id(cells), payload))
        return valid, errors

    def _known_cards(self, rows, mapping):
        """The card texts of ``rows`` that name a known card, found at once by the cards' unique indexes (not one
        search per row); None when the source names cards by order reference (checked row by row)."""
        match = self.source_id.card_match
        column = next((column for column, target in mapping.items() if target == "card"), None)
        if match == "order_ref" or column is None:
            return None
        field, normalize = ("name", sim.normalize_iccid) if match == "iccid" else ("msisdn", sim.normalize_msisdn)
        texts = {spreadsheet.cell_text(row[column]) for row in rows if column < len(row)} - {""}
        clean = {text: normalize(text) for text in texts}
        Lot = self.env["stock.lot"].sudo()
        values = set(clean.values())
        found = set(Lot.browse(Lot._haoka_sim_card_ids(**{"iccids" if field == "name" else "numbers": values}))
                    .mapped(field))
        return {text for text, value in clean.items() if value in found}

    def _row_errors(self, row_number, header, cells, known=None):
        """The errors of one row (row number as Excel shows it); ``known``: the card texts known to name a card
        (:meth:`_known_cards`), else each card is searched."""
        _ = self.env._
        source = self.source_id

        def error(target, reason):
            column, value = cells.get(target, (None, None))
            label = column_label(column, header[column]) if column is not None else ""
            return (row_number, label, spreadsheet.cell_text(value), reason)

        text = {target: spreadsheet.cell_text(value) for target, (_column, value) in cells.items()}
        errors = []
        if not text.get("card"):
            errors.append(error("card", _("The card is missing.")))
        elif text["card"] not in known if known is not None else \
                not self.env["stock.lot"]._haoka_find_upstream_cards(source.card_match, text["card"]):
            errors.append(error("card", _("No such card is known.")))
        mapping = source._status_event(text.get("status"))
        if not text.get("status"):
            errors.append(error("status", _("The status is missing.")))
        elif not mapping:
            errors.append(error("status", _("This status is not mapped to an event for %(upstream)s.",
                                            upstream=source.name)))
        if text.get("date") and not spreadsheet.parse_date(cells["date"][1]):
            errors.append(error("date", _("The date is not readable.")))
        amount = text.get("amount")
        if amount:
            try:
                float(amount.replace(",", "").replace("¥", "").replace("元", ""))
            except ValueError:
                errors.append(error("amount", _("The amount is not a number.")))
        elif mapping.event == "first_topup":
            errors.append(error("amount", _("A first top-up needs its amount.")))
        return errors

    def _row_event_id(self, cells):
        """The row's own event id, or one made of what it says (card, status, date, amount): a row imported again,
        from this file or another, is the same event."""
        value = cells.get("external_id", (None, None))[1]
        if not spreadsheet.is_blank(value):
            return spreadsheet.cell_text(value)
        card = spreadsheet.cell_text(cells["card"][1])
        card = sim.normalize_iccid(card) if self.source_id.card_match == "iccid" else card.strip()
        date = cells.get("date", (None, None))[1]
        amount = spreadsheet.cell_text(cells.get("amount", (None, None))[1])
        parts = [card, spreadsheet.cell_text(cells["status"][1]), str(spreadsheet.parse_date(date) or ""),
                 "%.2f" % self.env["haoka.upstream.event"]._amount(amount) if amount else ""]
        return "file:" + hashlib.sha1("|".join(parts).encode()).hexdigest()  # noqa: S324 - an id, not a secret
