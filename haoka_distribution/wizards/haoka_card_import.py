import base64
import datetime
import io
import time
from collections import defaultdict

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import sim, spreadsheet

PROGRESS_EVERY = 5000
PREVIEW_ROWS = 20
PREVIEW_ERRORS = 50
TARGET_SELECTION = [
    ("iccid", "ICCID"),
    ("msisdn", "Phone Number"),
    ("puk", "PUK"),
    ("pin", "PIN"),
    ("plan", "Plan"),
    ("carrier", "Carrier"),
    ("expiry", "Expiry Date"),
    ("ignore", "Ignore"),
]
TEMPLATE_HEADERS = ["ICCID(卡号)", "号码", "PUK", "PIN", "套餐", "运营商", "有效期"]


class HaokaCardImport(models.TransientModel):
    _name = "haoka.card.import"
    _description = "Import SIM Cards"

    file = fields.Binary(string="File", attachment=False)
    filename = fields.Char()
    plan_id = fields.Many2one(
        "product.template", string="Default Plan", domain=[("is_sim_card", "=", True)],
        help="Plan of the rows that name none (or of every row when the file has no plan column).",
    )
    location_id = fields.Many2one(
        "stock.location", string="Receive Into", required=True, domain=[("usage", "=", "internal")],
        default=lambda self: self._default_location(),
    )
    mode = fields.Selection(
        [("all_or_nothing", "All or nothing"), ("valid_only", "Import the valid rows")],
        default="all_or_nothing", required=True,
        help="All or nothing: when any row is invalid nothing is written. Import the valid rows: invalid "
        "rows are reported and skipped.",
    )
    update_existing = fields.Boolean(
        string="Update Existing Cards",
        help="Cards already known (same ICCID) get their expiry date, PUK and PIN updated instead of being "
        "reported as duplicates.",
    )
    state = fields.Selection([("draft", "Draft"), ("checked", "Checked"), ("done", "Done")], default="draft")
    column_ids = fields.One2many("haoka.card.import.column", "wizard_id", string="Columns")
    header_row = fields.Integer(readonly=True)
    row_count = fields.Integer(string="Rows", readonly=True)
    valid_count = fields.Integer(string="Valid", readonly=True)
    warning_count = fields.Integer(string="Warnings", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    imported_count = fields.Integer(string="Imported", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    preview_html = fields.Html(string="Preview", readonly=True, sanitize=False)
    error_report = fields.Binary(readonly=True, attachment=False)
    error_report_name = fields.Char(readonly=True)
    template_file = fields.Binary(readonly=True, attachment=False)
    template_name = fields.Char(readonly=True)
    picking_ids = fields.Many2many("stock.picking", string="Receipts", readonly=True)

    @api.model
    def _default_location(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        return warehouse.lot_stock_id

    @api.onchange("file")
    def _onchange_file(self):
        self.column_ids = [fields.Command.clear()]
        self.state = "draft"

    # ------------------------------------------------------------------ UI actions

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import SIM Cards"),
        }

    def action_check(self):
        """校验: a dry run that fills the counts, the preview and the error report."""
        self.ensure_one()
        self._run(write=False)
        self.state = "checked"
        return self._reopen()

    def action_start_import(self):
        self.ensure_one()
        self.action_import()
        return self._reopen()

    def action_download_template(self):
        self.ensure_one()
        self.write({"template_file": base64.b64encode(self._template_xlsx()), "template_name": "号卡导入模板.xlsx"})
        return self._download("template_file", "template_name")

    def action_download_errors(self):
        self.ensure_one()
        return self._download("error_report", "error_report_name")

    def _download(self, field_name, filename_field):
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content?model=%s&id=%s&field=%s&filename_field=%s&download=true"
            % (self._name, self.id, field_name, filename_field),
            "target": "self",
        }

    # ------------------------------------------------------------------ code API

    def action_import(self):
        """Import the file and return what happened::

            {'imported': int, 'updated': int, 'errors': int, 'warnings': int, 'rows': int,
             'error_report': bytes of an .xlsx or False, 'error_lines': [(row, column, value, reason)],
             'picking_ids': [...]}

        In 'all or nothing' mode nothing is written when any row is invalid.
        """
        self.ensure_one()
        return self._run(write=True)

    # ------------------------------------------------------------------ the work

    def _run(self, write):
        started = time.time()
        rows = self._read_rows()
        header_index, mapping = self._column_mapping(rows)
        records, errors, warnings, footers = self._validate_rows(rows, header_index, mapping)
        result = {
            "rows": len(records) + len({e[0] for e in errors}),
            "valid": len(records),
            "warnings": warnings,
            "errors": len(errors),
            "error_lines": errors,
            "imported": 0,
            "updated": 0,
            "picking_ids": [],
            "footer_rows": footers,
        }
        blocked = errors and self.mode == "all_or_nothing"
        if write and records and not blocked:
            result.update(self._write(records))
            self.state = "done"
        result["error_report"] = self._error_report(errors) if errors else False
        result["seconds"] = round(time.time() - started, 2)
        self.write({
            "header_row": header_index + 1,
            "row_count": result["rows"],
            "valid_count": result["valid"],
            "warning_count": warnings,
            "error_count": len(errors),
            "imported_count": result["imported"],
            "updated_count": result["updated"],
            "picking_ids": [fields.Command.set(result["picking_ids"])],
            "preview_html": self._preview_html(records, errors, write and not blocked),
            "error_report": base64.b64encode(result["error_report"]) if errors else False,
            "error_report_name": "号卡导入错误.xlsx" if errors else False,
        })
        return result

    def _read_rows(self):
        if not self.file and self.filename:
            raise UserError(self.env._("The file %(name)s is empty.", name=self.filename))
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        try:
            return spreadsheet.read_rows(base64.b64decode(self.file), self.filename or "")
        except spreadsheet.SpreadsheetError as error:
            reasons = {
                "empty": self.env._("The file %(name)s is empty.", name=self.filename or ""),
                "encoding": self.env._(
                    "The file %(name)s is neither UTF-8 nor GBK text.", name=self.filename or ""
                ),
            }
            raise UserError(reasons.get(error.args[0]) or self.env._(
                "The file %(name)s is not a spreadsheet: use .xlsx, .xls or .csv.", name=self.filename or ""
            )) from None

    def _column_mapping(self, rows):
        if not any(not spreadsheet.is_blank(v) for row in rows for v in row):
            raise UserError(self.env._("The file %(name)s has no data.", name=self.filename or ""))
        if self.column_ids and self.header_row:
            mapping = {c.column_index: c.target for c in self.column_ids if c.target != "ignore"}
            header_index = self.header_row - 1
        else:
            header_index, mapping = spreadsheet.find_header(rows)
            if header_index is None:
                raise UserError(self.env._(
                    "No header row found in the first %(count)s rows of %(name)s: a column named ICCID, "
                    "卡号 or SIM卡号 and at least one other known column "
                    "(号码, 密码/PUK, PIN, 套餐, 运营商, 有效期) are needed.",
                    count=spreadsheet.HEADER_SCAN_ROWS, name=self.filename or "",
                ))
            header = rows[header_index]
            self.column_ids = [fields.Command.clear()] + [
                fields.Command.create({
                    "column_index": index,
                    "header": spreadsheet.cell_text(value),
                    "target": mapping.get(index, "ignore"),
                })
                for index, value in enumerate(header)
                if not spreadsheet.is_blank(value)
            ]
        if "iccid" not in mapping.values():
            raise UserError(self.env._("Map one column to ICCID."))
        if "plan" not in mapping.values() and not self.plan_id:
            raise UserError(self.env._("The file has no plan column: choose the plan of these cards."))
        return header_index, mapping

    def _plan_lookup(self):
        plans = self.env["product.template"].search([("is_sim_card", "=", True)])
        lookup = {}
        for plan in plans:
            for key in (plan.name, plan.default_code, plan.display_name):
                if key:
                    lookup.setdefault(spreadsheet.header_key(key), plan)
        return lookup

    def _validate_rows(self, rows, header_index, mapping):
        """Rows -> (valid card dicts, errors [(row, column, value, reason)], warning count, footer rows)."""
        _ = self.env._
        header_row = rows[header_index]
        headers = {
            index: spreadsheet.cell_text(header_row[index]) if index < len(header_row) else "" for index in mapping
        }
        column_of = {target: index for index, target in mapping.items()}
        plans = self._plan_lookup()
        today = fields.Date.context_today(self)
        records, errors = [], []
        warnings = footers = 0
        seen_iccid, seen_msisdn = {}, {}
        policies, carrier_names, default_expiry, products = {}, {}, {}, {}

        secret_checks = (
            ("puk", lambda v: len(v) == 8 and v.isdigit(), _("A PUK has 8 digits.")),
            ("pin", lambda v: 4 <= len(v) <= 8 and v.isdigit(), _("A PIN has 4 to 8 digits.")),
        )

        def cell(row, target):
            index = column_of.get(target)
            return row[index] if index is not None and index < len(row) else None

        for row_index in range(header_index + 1, len(rows)):
            row = rows[row_index]
            row_no = row_index + 1
            if all(spreadsheet.is_blank(v) for v in row):
                continue
            if spreadsheet.is_footer(row):
                footers += 1
                continue
            row_errors = []

            def error(target, value, reason, row_no=row_no, row_errors=row_errors):
                column = headers.get(column_of.get(target), target)
                row_errors.append((row_no, column, spreadsheet.cell_text(value), reason))

            raw_iccid = cell(row, "iccid")
            iccid = None
            if spreadsheet.is_blank(raw_iccid):
                error("iccid", raw_iccid, _("The ICCID is empty."))
            elif spreadsheet.iccid_lost_digits(raw_iccid):
                error("iccid", raw_iccid, _(
                    "The ICCID arrived as a number, so Excel has cut it to 15 significant digits: format the "
                    "ICCID column as text and export the file again."
                ))
            else:
                iccid = sim.normalize_iccid(spreadsheet.cell_text(raw_iccid))
                if not sim.iccid_format_ok(iccid):
                    error("iccid", raw_iccid, _(
                        "Not a valid ICCID: it must start with 89 and have 19 to 22 digits or letters A-F."
                    ))
                    iccid = None

            plan = self.plan_id
            raw_plan = cell(row, "plan")
            if not spreadsheet.is_blank(raw_plan):
                plan = plans.get(spreadsheet.header_key(raw_plan))
                if not plan:
                    error("plan", raw_plan, _("Unknown plan: no SIM plan has this name or reference."))
            elif not plan:
                error("plan", raw_plan, _("No plan: the row names none and no default plan is chosen."))

            raw_carrier = cell(row, "carrier")
            if plan and not spreadsheet.is_blank(raw_carrier):
                carrier = plan.haoka_carrier_id
                text = spreadsheet.header_key(raw_carrier)
                if carrier not in carrier_names:
                    carrier_names[carrier] = {
                        spreadsheet.header_key(n)
                        for n in (carrier.name, carrier.code, carrier.with_context(lang="zh_CN").name)
                    }
                names = carrier_names[carrier]
                if not any(text == n or (len(text) >= 2 and text in n) for n in names if n):
                    error("carrier", raw_carrier, _(
                        "The carrier does not match plan %(plan)s (%(carrier)s).", plan=plan.name, carrier=carrier.name
                    ))

            policy = policies.get(plan) if plan else None
            if policy is None and plan:
                policy = policies[plan] = plan.haoka_carrier_id.iccid_check_policy
            if iccid and plan and policy != "off":
                if sim.iccid_luhn_status(iccid) == "failed":
                    if policy == "strict":
                        error("iccid", raw_iccid, _("The ICCID check digit (Luhn) is wrong."))
                    else:
                        warnings += 1

            raw_msisdn = cell(row, "msisdn")
            msisdn = None
            if not spreadsheet.is_blank(raw_msisdn):
                msisdn = sim.normalize_msisdn(spreadsheet.cell_text(raw_msisdn))
                if not sim.msisdn_format_ok(msisdn):
                    error("msisdn", raw_msisdn, _("Not a valid mobile number: 11 digits starting with 13 to 19."))
                    msisdn = None

            secrets_ = {}
            for target, pattern_ok, reason in secret_checks:
                raw = cell(row, target)
                value = sim.normalize_code(spreadsheet.cell_text(raw)) if not spreadsheet.is_blank(raw) else None
                if value and not pattern_ok(value):
                    error(target, raw, reason)
                    value = None
                secrets_[target] = value

            raw_expiry = cell(row, "expiry")
            expiry = None
            if not spreadsheet.is_blank(raw_expiry):
                expiry = spreadsheet.parse_date(raw_expiry)
                if not expiry:
                    error("expiry", raw_expiry, _(
                        "Unreadable date: use 2027-12-31, 2027/12/31, 20271231 or 2027年12月31日."
                    ))
                elif expiry < today:
                    error("expiry", raw_expiry, _("The expiry date is in the past."))
                    expiry = None
            elif plan and default_expiry.setdefault(plan, plan.expiration_time):
                expiry = today + datetime.timedelta(days=default_expiry[plan])
            elif plan:
                error("expiry", raw_expiry, _("No expiry date, and plan %(plan)s has no default validity.",
                                              plan=plan.name))

            if iccid:
                if iccid in seen_iccid:
                    error("iccid", raw_iccid, _("Duplicate ICCID: also on row %(row)s of the file.",
                                                row=seen_iccid[iccid]))
                else:
                    seen_iccid[iccid] = row_no
            if msisdn:
                if msisdn in seen_msisdn:
                    error("msisdn", raw_msisdn, _("Duplicate number: also on row %(row)s of the file.",
                                                  row=seen_msisdn[msisdn]))
                else:
                    seen_msisdn[msisdn] = row_no

            if row_errors:
                errors.extend(row_errors)
                continue
            records.append({
                "row": row_no,
                "iccid": iccid,
                "msisdn": msisdn,
                "puk": secrets_["puk"],
                "pin": secrets_["pin"],
                "plan": plan,
                "product": products.get(plan) or products.setdefault(plan, plan.product_variant_id),
                "expiration_date": datetime.datetime.combine(expiry, datetime.time()),
                "raw": {target: cell(row, target) for target in ("iccid", "msisdn")},
            })
        records, db_errors = self._check_against_database(records, headers, column_of)
        errors.extend(db_errors)
        errors.sort(key=lambda e: e[0])
        return records, errors, warnings, footers

    def _check_against_database(self, records, headers, column_of):
        """Cards already in the database: an error naming the existing card, or (update mode) an update."""
        _ = self.env._
        if not records:
            return records, []
        cr = self.env.cr
        self.env.flush_all()
        # join on unnest(): one index look-up per value, whatever the size of the batch
        cr.execute(
            """SELECT l.name, l.id, l.msisdn, t.name->>'en_US'
                 FROM unnest(%s::varchar[]) AS v(name)
                 JOIN stock_lot l ON l.name = v.name AND l.is_sim_card
                 JOIN product_product p ON p.id = l.product_id
                 JOIN product_template t ON t.id = p.product_tmpl_id""",
            ([r["iccid"] for r in records],),
        )
        by_iccid = {name: (lot_id, msisdn, plan) for name, lot_id, msisdn, plan in cr.fetchall()}
        cr.execute(
            """SELECT l.msisdn, l.name FROM unnest(%s::varchar[]) AS v(msisdn)
                 JOIN stock_lot l ON l.msisdn = v.msisdn AND l.is_sim_card""",
            ([r["msisdn"] for r in records if r["msisdn"]],),
        )
        by_msisdn = dict(cr.fetchall())
        kept, errors = [], []
        for record in records:
            existing = by_iccid.get(record["iccid"])
            if existing and self.update_existing:
                record["update_lot_id"] = existing[0]
                if record["msisdn"] and by_msisdn.get(record["msisdn"], record["iccid"]) != record["iccid"]:
                    errors.append((record["row"], headers.get(column_of.get("msisdn")), record["msisdn"],
                                   _("Number already used by card %(card)s.", card=by_msisdn[record["msisdn"]])))
                    continue
                kept.append(record)
                continue
            if existing:
                errors.append((record["row"], headers.get(column_of.get("iccid")), record["iccid"],
                               _("Duplicate ICCID: card %(card)s already exists (plan %(plan)s).",
                                 card=record["iccid"], plan=existing[2])))
                continue
            if record["msisdn"] and record["msisdn"] in by_msisdn:
                errors.append((record["row"], headers.get(column_of.get("msisdn")), record["msisdn"],
                               _("Number already used by card %(card)s.", card=by_msisdn[record["msisdn"]])))
                continue
            kept.append(record)
        return kept, errors

    def _write(self, records):
        Lot = self.env["stock.lot"]
        new = [r for r in records if not r.get("update_lot_id")]
        updates = [r for r in records if r.get("update_lot_id")]
        pickings = self.env["stock.picking"]
        done = 0
        lot_ids_by_product = defaultdict(list)
        for start in range(0, len(new), PROGRESS_EVERY * 4):
            chunk = new[start:start + PROGRESS_EVERY * 4]
            ids = Lot._haoka_bulk_insert(chunk, self.location_id)
            for record in chunk:
                lot_ids_by_product[record["product"]].append(ids[record["iccid"]])
            done += len(chunk)
            self._notify_progress(done, len(records))
        if lot_ids_by_product:
            origin = self.env._("Card import %(file)s", file=self.filename or "")
            pickings = Lot._haoka_bulk_receive(lot_ids_by_product, self.location_id, origin)
        for record in updates:
            vals = {"expiration_date": record["expiration_date"]}
            if record["puk"]:
                vals["puk"] = record["puk"]
            if record["pin"]:
                vals["pin"] = record["pin"]
            if record["msisdn"]:
                vals["msisdn"] = record["msisdn"]
            Lot.browse(record["update_lot_id"]).write(vals)
        if len(records) > PROGRESS_EVERY:
            self._notify_progress(len(records), len(records))
        return {"imported": len(new), "updated": len(updates), "picking_ids": pickings.ids}

    def _notify_progress(self, done, total):
        """Progress of a large import, sent on its own cursor so the user sees it before the import's
        transaction commits."""
        if total <= PROGRESS_EVERY:
            return
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, self.env.context)
            env["bus.bus"]._sendone(env.user.partner_id, "simple_notification", {
                "type": "info",
                "title": env._("Importing SIM cards"),
                "message": env._("%(done)s of %(total)s cards written.", done=done, total=total),
            })

    # ------------------------------------------------------------------ reports

    def _preview_html(self, records, errors, written):
        _ = self.env._
        parts = []
        if records:
            parts.append(Markup("<h5>%s</h5>") % _("Valid rows (first %(count)s)", count=PREVIEW_ROWS))
            parts.append(Markup("<table class='table table-sm'><tr><th>%s</th><th>ICCID</th><th>%s</th>"
                                "<th>%s</th><th>%s</th></tr>") % (_("Row"), _("Phone Number"), _("Plan"),
                                                                 _("Expiry Date")))
            for record in records[:PREVIEW_ROWS]:
                parts.append(Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                    record["row"], record["iccid"], record["msisdn"] or "", record["plan"].name,
                    record["expiration_date"].date().isoformat(), ))
            parts.append(Markup("</table>"))
        if errors:
            parts.append(Markup("<h5>%s</h5>") % _("Rejected rows (first %(count)s)", count=PREVIEW_ERRORS))
            parts.append(Markup("<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>")
                         % (_("Row"), _("Column"), _("Value"), _("Reason")))
            for row, column, value, reason in errors[:PREVIEW_ERRORS]:
                parts.append(Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                    row, column or "", value or "", reason))
            parts.append(Markup("</table>"))
        return Markup("").join(escape(p) if not isinstance(p, Markup) else p for p in parts)

    def _error_report(self, errors):
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

    def _template_xlsx(self):
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "号卡"
        sheet.append(TEMPLATE_HEADERS)
        plan = self.plan_id or self.env["product.template"].search([("is_sim_card", "=", True)], limit=1)
        today = datetime.date.today()
        sheet.append(["89860012345678901234", "13800138000", "12345678", "1234", plan.name or "",
                      plan.haoka_carrier_id.name or "", today.replace(year=today.year + 2)])
        for column in "ABCD":
            for cell in sheet[column]:
                cell.number_format = "@"
        sheet["G2"].number_format = "yyyy-mm-dd"
        for column, width in zip("ABCDEFG", (24, 14, 12, 8, 30, 12, 12), strict=True):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class HaokaCardImportColumn(models.TransientModel):
    _name = "haoka.card.import.column"
    _description = "Import SIM Cards: Column"
    _order = "column_index"

    wizard_id = fields.Many2one("haoka.card.import", required=True, ondelete="cascade")
    column_index = fields.Integer(string="Column", required=True)
    header = fields.Char(readonly=True)
    target = fields.Selection(TARGET_SELECTION, string="Imports As", required=True, default="ignore")
