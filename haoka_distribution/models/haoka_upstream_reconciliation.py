"""Settlement reconciliation (对账): an upstream's settlement statement (Excel/CSV: card, amount paid to us) against
the commission income we expected per card (the plan's upstream commission for each card sold and activated in
the period). Each card ends up matched, short-paid, missing (expected, not paid) or unexpected (paid for a card
we do not know, did not sell, or that was not activated in the period); the differences make the claim list."""

import base64
import io
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import spreadsheet
from ..wizards.haoka_card_import import column_label

CATEGORIES = [("matched", "Matched"), ("short_paid", "Short-paid"), ("missing", "Missing"),
              ("unexpected", "Unexpected")]


class HaokaUpstreamReconciliation(models.Model):
    _name = "haoka.upstream.reconciliation"
    _description = "Upstream Settlement Reconciliation"
    _inherit = ["mail.thread"]
    _order = "date_to desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    source_id = fields.Many2one("haoka.upstream", string="Source", required=True, ondelete="cascade")
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    file = fields.Binary(string="Statement", attachment=True)
    filename = fields.Char()
    state = fields.Selection([("draft", "Draft"), ("done", "Reconciled")], default="draft", readonly=True)
    line_ids = fields.One2many("haoka.upstream.reconciliation.line", "reconciliation_id", string="Cards",
                               readonly=True)
    error_lines = fields.Text(string="Rejected Rows", readonly=True)
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    matched_count = fields.Integer(compute="_compute_totals", string="Matched Cards")
    short_paid_count = fields.Integer(compute="_compute_totals", string="Short-paid Cards")
    missing_count = fields.Integer(compute="_compute_totals", string="Missing Cards")
    unexpected_count = fields.Integer(compute="_compute_totals", string="Unexpected Cards")
    expected_total = fields.Monetary(compute="_compute_totals", string="Expected Total")
    paid_total = fields.Monetary(compute="_compute_totals", string="Paid Total")
    export_file = fields.Binary(readonly=True, attachment=False)
    export_name = fields.Char(readonly=True)

    @api.depends("source_id.name", "date_from", "date_to")
    def _compute_name(self):
        for rec in self:
            rec.name = "%s %s – %s" % (rec.source_id.name or "", rec.date_from or "", rec.date_to or "")

    @api.depends("line_ids.category", "line_ids.expected_amount", "line_ids.paid_amount")
    def _compute_totals(self):
        for rec in self:
            for category, _label in CATEGORIES:
                rec[f"{category}_count"] = len(rec.line_ids.filtered(lambda l, c=category: l.category == c))
            rec.expected_total = sum(rec.line_ids.mapped("expected_amount"))
            rec.paid_total = sum(rec.line_ids.mapped("paid_amount"))

    # ------------------------------------------------------------------ reconciling

    def action_reconcile(self):
        """Read the statement and compare it with what we expected; run again, it starts over."""
        self.ensure_one()
        paid, errors = self._statement()
        expected = self._expected_cards()
        self.line_ids.unlink()
        self.env["haoka.upstream.reconciliation.line"].create(self._line_values(expected, paid))
        self.write({"state": "done", "error_lines": "\n".join(
            self.env._("Row %(row)s, %(column)s, %(value)s: %(reason)s", row=row, column=column, value=value or "",
                       reason=reason) for row, column, value, reason in errors) or False})
        return True

    def _expected_cards(self):
        """``{card: amount}``: cards of the source's plans with an upstream commission, sold on a confirmed order
        and activated in the period."""
        Lot = self.env["stock.lot"].sudo()
        plans = self.env["product.template"].sudo().search([
            ("haoka_upstream_income", ">", 0), "|", ("haoka_upstream_id", "=", self.source_id.id),
            ("haoka_carrier_id", "=", self.source_id.carrier_id.id or -1)])
        cards = Lot.search([("product_id.product_tmpl_id", "in", plans.ids),
                            ("haoka_activated_date", ">=", self.date_from),
                            ("haoka_activated_date", "<=", self.date_to)])
        sold = cards._haoka_sale_lines().haoka_lot_ids & cards
        return {card: card.product_id.product_tmpl_id.haoka_upstream_income for card in sold}

    def _line_values(self, expected, paid):
        lines = []
        for card, amount in expected.items():
            got = paid.pop(card.id, None)
            category = "missing" if got is None else ("matched" if got["amount"] >= amount - 0.005 else "short_paid")
            lines.append({"reconciliation_id": self.id, "lot_id": card.id, "reference": card.name,
                          "expected_amount": amount, "paid_amount": got["amount"] if got else 0.0,
                          "row_numbers": got["rows"] if got else False, "category": category})
        for key, got in paid.items():
            lines.append({"reconciliation_id": self.id, "lot_id": key if isinstance(key, int) else False,
                          "reference": got["reference"], "expected_amount": 0.0, "paid_amount": got["amount"],
                          "row_numbers": got["rows"], "category": "unexpected"})
        return lines

    def _statement_columns(self, rows):
        """``(header row index, {"card": column, "amount": column})`` of the statement, found by the source's
        names for the card and the amount; a UserError when no row names both."""
        source = self.source_id
        header_index, mapping = spreadsheet.find_header(
            rows, aliases={"amount": source._keys("key_amount"), "card": source._keys("key_card")}, required="card")
        if header_index is None or "amount" not in mapping.values():
            raise UserError(self.env._(
                "No header row naming the card (%(card)s) and the amount (%(amount)s) was found in %(file)s.",
                card=source.key_card, amount=source.key_amount, file=self.filename or ""))
        return header_index, {target: index for index, target in mapping.items()}

    def _statement(self):
        """``({card id or unknown reference: {amount, rows, reference}}, [(row, column, value, reason)])``."""
        _ = self.env._
        if not self.file:
            raise UserError(_("Choose the settlement statement to reconcile."))
        try:
            rows = spreadsheet.read_rows(base64.b64decode(self.file), self.filename or "")
        except spreadsheet.SpreadsheetError:
            raise UserError(_("The file %(name)s is not a spreadsheet: use .xlsx, .xls or .csv.",
                              name=self.filename or "")) from None
        source = self.source_id
        header_index, column = self._statement_columns(rows)
        header = rows[header_index]
        paid, errors = defaultdict(lambda: {"amount": 0.0, "rows": "", "reference": ""}), []
        for index in range(header_index + 1, len(rows)):
            row = rows[index]
            if all(spreadsheet.is_blank(v) for v in row) or spreadsheet.is_footer(row):
                continue
            reference = spreadsheet.cell_text(row[column["card"]] if column["card"] < len(row) else None)
            raw = row[column["amount"]] if column["amount"] < len(row) else None
            try:
                amount = float(str(spreadsheet.cell_text(raw)).replace(",", "").replace("¥", "").replace("元", ""))
            except ValueError:
                errors.append((index + 1, column_label(column["amount"], header[column["amount"]]),
                               spreadsheet.cell_text(raw), _("The amount is not a number.")))
                continue
            if not reference:
                errors.append((index + 1, column_label(column["card"], header[column["card"]]), "",
                               _("The card is missing.")))
                continue
            card = self.env["stock.lot"]._haoka_find_upstream_cards(
                "msisdn" if source.card_match == "msisdn" else "iccid", reference)[:1]
            entry = paid[card.id if card else reference]
            entry["amount"] += amount
            entry["rows"] = ", ".join(filter(None, [entry["rows"], str(index + 1)]))
            entry["reference"] = reference
        return dict(paid), errors

    # ------------------------------------------------------------------ exports

    def action_export(self):
        return self._export(self.line_ids, self.env._("Reconciliation %(name)s.xlsx", name=self.name))

    def action_export_claims(self):
        """The claim list for the upstream: the cards short-paid or missing, with the amount owed."""
        claims = self.line_ids.filtered(lambda l: l.category in ("short_paid", "missing"))
        return self._export(claims, self.env._("Claims %(name)s.xlsx", name=self.name))

    def _export(self, lines, filename):
        self.ensure_one()
        self.write({"export_file": base64.b64encode(self._workbook(lines)), "export_name": filename})
        return {"type": "ir.actions.act_url", "target": "self",
                "url": "/web/content?model=%s&id=%s&field=export_file&filename_field=export_name&download=true"
                % (self._name, self.id)}

    def _workbook(self, lines):
        import openpyxl

        _ = self.env._
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Reconciliation"))
        sheet.append([_("Card"), _("Phone Number"), _("Category"), _("Expected"), _("Paid"), _("Difference"),
                      _("Statement Rows")])
        labels = dict(self.env["haoka.upstream.reconciliation.line"]._fields["category"]._description_selection(
            self.env))
        for line in lines:
            sheet.append([spreadsheet.text_cell(sheet, line.reference),
                          spreadsheet.text_cell(sheet, line.lot_id.msisdn), labels[line.category],
                          line.expected_amount, line.paid_amount, line.difference, line.row_numbers or ""])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
