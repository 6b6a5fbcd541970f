import base64
import io

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim, spreadsheet

#: column of the courier's export -> header aliases (compared after ``spreadsheet.header_key``)
TRACKING_COLUMN_ALIASES = {
    "order": ["订单号", "订单编号", "订单", "客户订单号", "商家订单号", "order", "orderno", "ordernumber", "orderref",
              "orderreference", "reference"],
    "phone": ["手机", "电话", "收件人电话", "收件人手机", "收件人手机号", "收件人联系电话", "手机号", "手机号码",
              "联系电话", "收货人电话", "收货人手机", "phone", "mobile", "recipientphone", "telephone", "tel"],
    "tracking": ["运单号", "快递单号", "运单编号", "物流单号", "快递单号码", "tracking", "trackingnumber", "trackingno",
                 "trackingref", "waybill", "waybillno"],
}
_TRACKING_ALIAS_INDEX = {
    spreadsheet.header_key(alias): target for target, aliases in TRACKING_COLUMN_ALIASES.items() for alias in aliases
}
PREVIEW_ERRORS = 50
#: Excel keeps 15 significant digits: a longer number typed in a number cell has lost digits
EXCEL_DIGITS = 10**15


def column_letter(index):
    """Excel's name of the 0-based column ``index``: A, B, …, Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class HaokaShipWizard(models.TransientModel):
    _name = "haoka.ship.wizard"
    _description = "Ship SIM Orders"

    courier_id = fields.Many2one(
        "haoka.courier", string="Courier", required=True,
        default=lambda self: self.env["haoka.courier"].search([], limit=1),
    )
    line_ids = fields.One2many("haoka.ship.wizard.line", "wizard_id", string="Orders")
    tracking_file = fields.Binary(
        string="Courier's File", attachment=False,
        help="The courier's export (.xlsx, .xls or .csv) with a tracking number column (运单号/快递单号) and the "
        "order reference (订单号) or the recipient's phone (收件人电话) of each parcel.",
    )
    tracking_filename = fields.Char()
    tracking_mode = fields.Selection(
        [("all_or_nothing", "All or nothing"), ("valid_only", "Fill the valid rows")],
        string="When Rows Are Invalid", default="all_or_nothing", required=True,
        help="All or nothing: when any row is invalid no tracking number is filled. Fill the valid rows: the "
        "invalid rows are reported and skipped.",
    )
    tracking_filled_count = fields.Integer(string="Filled", readonly=True)
    tracking_error_count = fields.Integer(string="Errors", readonly=True)
    tracking_report_html = fields.Html(string="File Check", readonly=True, sanitize=False)
    tracking_error_report = fields.Binary(readonly=True, attachment=False)
    tracking_error_report_name = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "sale.order" and context.get("active_ids"):
            orders = self.env["sale.order"].browse(context["active_ids"])
            not_ready = orders.filtered(lambda o: o.haoka_fulfilment_state != "to_ship")
            if not_ready:
                raise UserError(self.env._(
                    "Only orders waiting to be shipped can be shipped: %(orders)s.",
                    orders=", ".join(not_ready.mapped("name")),
                ))
            values["line_ids"] = [fields.Command.create({"order_id": order.id}) for order in orders]
        return values

    def action_ship(self):
        self.ensure_one()
        missing = self.line_ids.filtered(lambda line: not (line.tracking_ref or "").strip())
        if missing:
            raise UserError(self.env._(
                "Enter the tracking number of %(orders)s.", orders=", ".join(missing.order_id.mapped("name"))
            ))
        for line in self.line_ids:
            line.order_id._haoka_ship(self.courier_id, line.tracking_ref.strip())
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------------ tracking numbers from a file

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Ship"),
        }

    def action_fill_tracking(self):
        """填入运单号: read the courier's file, fill the batch's tracking numbers, report the bad rows."""
        self.ensure_one()
        self.fill_tracking_from_file()
        return self._reopen()

    def action_download_tracking_errors(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content?model=%s&id=%s&field=tracking_error_report&filename_field="
            "tracking_error_report_name&download=true" % (self._name, self.id),
            "target": "self",
        }

    def fill_tracking_from_file(self):
        """Fill the lines' tracking numbers from ``tracking_file`` and return ``{'filled': int, 'errors':
        [(row, column, value, reason)]}``; with errors in 'all or nothing' mode nothing is filled."""
        self.ensure_one()
        rows = self._tracking_rows()
        header_index, columns = self._tracking_header(rows)
        assignments, errors = self._tracking_assignments(rows, header_index, columns)
        blocked = bool(errors) and self.tracking_mode == "all_or_nothing"
        if not blocked:
            for line, ref in assignments:
                line.tracking_ref = ref
        filled = 0 if blocked else len(assignments)
        self.write({
            "tracking_filled_count": filled,
            "tracking_error_count": len(errors),
            "tracking_report_html": self._tracking_report_html(filled, errors, blocked),
            "tracking_error_report": base64.b64encode(self._tracking_error_xlsx(errors)) if errors else False,
            "tracking_error_report_name": self.env._("tracking_errors.xlsx") if errors else False,
        })
        return {"filled": filled, "errors": errors}

    def _tracking_rows(self):
        name = self.tracking_filename or ""
        if not self.tracking_file:
            raise UserError(self.env._("Choose the courier's file (.xlsx, .xls or .csv)."))
        try:
            return spreadsheet.read_rows(base64.b64decode(self.tracking_file), name)
        except spreadsheet.SpreadsheetError as error:
            reasons = {
                "empty": self.env._("The file %(name)s is empty.", name=name),
                "encoding": self.env._("The file %(name)s is neither UTF-8 nor GBK text.", name=name),
            }
            raise UserError(reasons.get(error.args[0]) or self.env._(
                "The file %(name)s is not a spreadsheet: use .xlsx, .xls or .csv.", name=name
            )) from None

    def _tracking_header(self, rows):
        """``(row_index, {target: (column_index, header)})`` of the first row naming the tracking number
        column and the order or phone column."""
        for index, row in enumerate(rows[:spreadsheet.HEADER_SCAN_ROWS]):
            columns = {}
            for column, value in enumerate(row):
                target = _TRACKING_ALIAS_INDEX.get(spreadsheet.header_key(value))
                if target and target not in columns:
                    columns[target] = (column, spreadsheet.cell_text(value))
            if "tracking" in columns and ("order" in columns or "phone" in columns):
                return index, columns
        raise UserError(self.env._(
            "No header row found in the first %(count)s rows of %(name)s: a tracking number column (运单号, "
            "快递单号 or tracking) and an order column (订单号, 订单编号 or order) or a phone column (手机, 电话, "
            "收件人电话 or phone) are needed.",
            count=spreadsheet.HEADER_SCAN_ROWS, name=self.tracking_filename or "",
        ))

    def _tracking_assignments(self, rows, header_index, columns):
        """``([(wizard line, tracking number)], [(row, column, value, reason)])`` for the file's data rows."""
        lines_by_order = {line.order_id: line for line in self.line_ids}
        lines_by_phone = self._tracking_lines_by_phone()

        def cell(row, target):
            column = columns.get(target, (None,))[0]
            return row[column] if column is not None and column < len(row) else None

        data_rows = [
            (index + 1, rows[index]) for index in range(header_index + 1, len(rows))
            if not all(spreadsheet.is_blank(value) for value in rows[index]) and not spreadsheet.is_footer(rows[index])
        ]
        used_elsewhere = self._tracking_refs_in_use(
            {spreadsheet.cell_text(cell(row, "tracking")) for _row_no, row in data_rows} - {""}
        )
        assignments, errors, seen = [], [], {"line": {}, "ref": {}}
        for row_no, row in data_rows:
            raw_ref = cell(row, "tracking")
            ref = spreadsheet.cell_text(raw_ref)
            line, error = self._tracking_line(cell(row, "order"), cell(row, "phone"), lines_by_order, lines_by_phone)
            error = error or self._tracking_row_error(line, raw_ref, ref, seen, used_elsewhere, columns)
            if error:
                errors.append((row_no, self._tracking_column_label(columns, error[0]), error[1], error[2]))
                continue
            seen["line"][line], seen["ref"][ref] = row_no, row_no
            assignments.append((line, ref))
        return assignments, errors

    def _tracking_lines_by_phone(self):
        """``{recipient phone: wizard lines}`` of the orders to ship."""
        lines_by_phone = {}
        for line in self.line_ids:
            for phone in line.order_id._haoka_recipient_phones():
                lines_by_phone.setdefault(phone, self.env["haoka.ship.wizard.line"])
                lines_by_phone[phone] |= line
        return lines_by_phone

    @api.model
    def _tracking_column_label(self, columns, target):
        """The column of ``target`` (tracking, order or phone) as a row error names it: ``B (运单号)``."""
        if target not in columns:
            target = "phone" if "phone" in columns else "order"
        column, header = columns[target]
        return "%s (%s)" % (column_letter(column), header)

    def _tracking_row_error(self, line, raw_ref, ref, seen, used_elsewhere, columns):
        """``(target, value, reason)`` when the tracking number ``ref`` of the row of ``line`` cannot be used
        (empty, cut by Excel, or its order or number already on an earlier row or on another order), else
        None. ``seen`` holds the rows of the lines and numbers already assigned."""
        _ = self.env._
        if not ref:
            return "tracking", "", _("The tracking number is empty.")
        if isinstance(raw_ref, (int, float)) and not isinstance(raw_ref, bool) and abs(raw_ref) >= EXCEL_DIGITS:
            return "tracking", ref, _(
                "The tracking number is stored as a number and Excel kept only 15 digits: format the column "
                "as text in the courier's file.")
        if line in seen["line"]:
            return ("order" if "order" in columns else "phone"), line.order_id.name, _(
                "Order %(order)s is also on row %(row)s of the file.", order=line.order_id.name, row=seen["line"][line])
        if ref in seen["ref"]:
            return "tracking", ref, _(
                "Duplicate tracking number: also on row %(row)s of the file.", row=seen["ref"][ref])
        if ref in used_elsewhere:
            return "tracking", ref, _(
                "Duplicate tracking number: already used by order %(order)s.", order=used_elsewhere[ref])
        return None

    def _tracking_line(self, raw_order, raw_phone, lines_by_order, lines_by_phone):
        """``(wizard line, None)`` for a row's order reference, else its recipient phone, or
        ``(None, (target, value, reason))``."""
        _ = self.env._
        reference = spreadsheet.cell_text(raw_order)
        if reference:
            order = self.env["sale.order"].search([("name", "=ilike", reference)], limit=1)
            if not order:
                return None, ("order", reference, _("Unknown order: no sale order has this reference."))
            if order not in lines_by_order:
                return None, ("order", reference, _("Order %(order)s is not in this batch.", order=order.name))
            return lines_by_order[order], None
        phone = sim.normalize_msisdn(spreadsheet.cell_text(raw_phone))
        if not phone:
            return None, ("order", "", _(
                "Neither an order reference nor a recipient phone: the row cannot be matched to an order."))
        lines = lines_by_phone.get(phone)
        if not lines:
            return None, ("phone", phone, _("No order of this batch is sent to this phone number."))
        if len(lines) > 1:
            return None, ("phone", phone, _(
                "Ambiguous phone: orders %(orders)s of this batch are sent to it; use the order reference.",
                orders=", ".join(lines.order_id.mapped("name"))))
        return lines, None

    def _tracking_refs_in_use(self, refs):
        """Those of ``refs`` that orders outside this batch already use: {tracking number: order reference}."""
        if not refs:
            return {}
        orders = self.env["sale.order"].sudo().search([
            ("haoka_tracking_ref", "in", list(refs)), ("id", "not in", self.line_ids.order_id.ids),
        ])
        return {order.haoka_tracking_ref: order.name for order in orders}

    def _tracking_report_html(self, filled, errors, blocked):
        _ = self.env._
        if blocked:
            summary = _("%(count)s row(s) are invalid: no tracking number was filled. Correct the file, or choose "
                        "'Fill the valid rows' and fill again.", count=len(errors))
        elif errors:
            summary = _("%(filled)s tracking number(s) filled; %(count)s invalid row(s) skipped.",
                        filled=filled, count=len(errors))
        else:
            summary = _("%(filled)s tracking number(s) filled.", filled=filled)
        parts = [Markup("<p>%s</p>") % summary]
        if errors:
            parts.append(Markup("<h5>%s</h5>") % _("Rejected rows (first %(count)s)", count=PREVIEW_ERRORS))
            parts.append(Markup("<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>")
                         % (_("Row"), _("Column"), _("Value"), _("Reason")))
            for row, column, value, reason in errors[:PREVIEW_ERRORS]:
                parts.append(Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>")
                             % (row, column, value, reason))
            parts.append(Markup("</table>"))
        return Markup("").join(parts)

    def _tracking_error_xlsx(self, errors):
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(self.env._("Errors"))
        sheet.append([self.env._("Row"), self.env._("Column"), self.env._("Value"), self.env._("Reason")])
        for row, column, value, reason in errors:
            sheet.append([row, spreadsheet.text_cell(sheet, column), spreadsheet.text_cell(sheet, value),
                          spreadsheet.text_cell(sheet, reason)])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class HaokaShipWizardLine(models.TransientModel):
    _name = "haoka.ship.wizard.line"
    _description = "Ship SIM Orders: Order"

    wizard_id = fields.Many2one("haoka.ship.wizard", required=True, ondelete="cascade")
    order_id = fields.Many2one("sale.order", string="Order", required=True, readonly=True)
    partner_id = fields.Many2one(related="order_id.partner_shipping_id", string="Recipient")
    recipient_phone = fields.Char(related="order_id.haoka_recipient_phone")
    shipping_address = fields.Char(related="order_id.haoka_shipping_address")
    holder_name = fields.Char(related="order_id.haoka_holder_name")
    holder_id_number = fields.Char(related="order_id.haoka_id_number", string="Holder ID Number")
    plan_names = fields.Char(related="order_id.haoka_plan_names")
    card_numbers = fields.Char(compute="_compute_card_numbers", string="Numbers")
    tracking_ref = fields.Char(string="Tracking Number")

    @api.depends("order_id")
    def _compute_card_numbers(self):
        for line in self:
            line.card_numbers = line.order_id._haoka_card_numbers_text() if line.order_id else False
