import base64
import datetime
import io
import itertools
import time
from collections import defaultdict

import psycopg2
from markupsafe import Markup, escape
from openpyxl.utils import get_column_letter

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import card_rows, secrets, sim, spreadsheet

PROGRESS_EVERY = 5000
#: rows checked and written per chunk (a chunk is written while the next one is checked)
STREAM_CHUNK = 5000
#: each chunk before the full size is this much larger than the previous one (250, 437, 764, ... 5000 cards)
CHUNK_GROWTH = 1.75
#: cards of a file received per receipt (a receipt per plan): a file of a million cards makes ten, each
#: validated and out of the ORM cache before the next, so that memory does not grow with the file
RECEIPT_CARDS = 100_000
PREVIEW_ROWS = 20
PREVIEW_ERRORS = 50
#: columns whose values are secrets: never shown in clear in the error report or the preview
SECRET_TARGETS = ("puk", "pin")
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


def column_label(index, header):
    """A column as Excel names it, followed by its header: ``C (PUK)``; ``C`` when it has none."""
    letter = get_column_letter(index + 1)
    header = spreadsheet.cell_text(header)
    return "%s (%s)" % (letter, header) if header else letter


class _PlanFacts(dict):
    """``{plan: facts}`` for the row checker: a plan's facts are read from the database the first time a row
    names it."""

    def __init__(self, read):
        super().__init__()
        self._read = read

    def __missing__(self, plan):
        facts = self[plan] = self._read(plan)
        return facts


def _chunks(cards, count):
    """``count`` cards taken from the iterator ``cards``, in lists of ``STREAM_CHUNK``; the first ones smaller,
    growing by ``CHUNK_GROWTH``: PostgreSQL, the slower side (about twice the time a card takes here), starts
    writing after a few cards instead of a whole chunk, and is never left waiting for the next chunk while
    the chunks grow."""
    size = max(1, STREAM_CHUNK // 20)
    while count > 0:
        chunk = list(itertools.islice(cards, min(size, count)))
        if not chunk:
            return
        count -= len(chunk)
        yield chunk
        size = min(STREAM_CHUNK, max(size + 1, int(size * CHUNK_GROWTH)))


class _RowsToReport(Exception):
    """A row of a file imported in one pass is invalid: the file is checked as a whole instead."""


class HaokaCardImport(models.TransientModel):
    _name = "haoka.card.import"
    _description = "Import SIM Cards"

    # The uploaded file holds PUK/PIN codes: it is never stored in clear, only encrypted (as the cards'
    # secrets are) until the cards are imported, then dropped. Uploading it again starts over.
    file = fields.Binary(string="File", compute="_compute_file", inverse="_inverse_file")
    file_cipher = fields.Text(string="Encrypted File", copy=False, readonly=True)
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
    rejected_count = fields.Integer(string="Rejected Rows", readonly=True)
    import_blocked = fields.Boolean(compute="_compute_import_blocked")
    blocked_message = fields.Char(compute="_compute_import_blocked")
    imported_count = fields.Integer(string="Imported", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    preview_html = fields.Html(string="Preview", readonly=True, sanitize=False)
    error_report = fields.Binary(readonly=True, attachment=False)
    error_report_name = fields.Char(readonly=True)
    template_file = fields.Binary(readonly=True, attachment=False)
    template_name = fields.Char(readonly=True)
    picking_ids = fields.Many2many("stock.picking", string="Receipts", readonly=True)

    @api.depends("state", "mode", "rejected_count", "valid_count")
    def _compute_import_blocked(self):
        """All or nothing with rejected rows: 导入 writes nothing; the form says why."""
        for wizard in self:
            wizard.import_blocked = (
                wizard.state == "checked" and wizard.mode == "all_or_nothing" and wizard.rejected_count > 0
            )
            wizard.blocked_message = wizard.import_blocked and self.env._(
                "Nothing can be imported: %(rejected)s rows are rejected (see the table below) and the mode is "
                "'All or nothing'. Correct them and check the file again, or import only the %(valid)s valid rows.",
                rejected=wizard.rejected_count, valid=wizard.valid_count,
            )

    @api.depends("file_cipher")
    def _compute_file(self):
        for wizard in self:
            wizard.file = secrets.decrypt(wizard.file_cipher) or False

    def _inverse_file(self):
        for wizard in self:
            content = wizard.file
            if isinstance(content, bytes):
                content = content.decode()
            wizard.file_cipher = secrets.encrypt(content) if content else False

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
        background = self.env["haoka.card.import.job"]._start_if_large(self)  # a large file: a background job
        if background:
            return background
        self.action_import()
        if self.import_blocked:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("Nothing imported"),
                    "message": self.blocked_message,
                    "type": "warning",
                    "sticky": False,
                    "next": self._reopen(),
                },
            }
        return self._reopen()

    def action_import_valid_rows(self):
        """导入有效行: the valid rows of a file checked with rejected rows; the rejected ones are skipped."""
        self.ensure_one()
        self.mode = "valid_only"
        return self.action_start_import()

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
             'warning_lines': [(row, column, value, reason)], 'picking_ids': [...]}

        A column reads as Excel names it and by its header, e.g. "C (PUK)"; PUK/PIN values are masked.

        In 'all or nothing' mode nothing is written when any row is invalid.
        """
        self.ensure_one()
        return self._run(write=True)

    # ------------------------------------------------------------------ the work

    def _run(self, write):
        started = time.time()
        rows = self._read_rows()
        header_index, mapping = self._column_mapping(rows)
        context = self._row_context(rows, header_index, mapping)
        result = None
        if write and not self.update_existing:
            result = self._import_in_one_pass(rows, header_index, context)
        if result is None:
            result = self._check_then_import(rows, header_index, context, write)
        errors, warnings = result["error_lines"], result["warning_lines"]
        result["error_report"] = self._error_report(errors, warnings) if errors or warnings else False
        result["seconds"] = round(time.time() - started, 2)
        self.write({
            "header_row": header_index + 1,
            "row_count": result["rows"],
            "valid_count": result["valid"],
            "warning_count": result["warnings"],
            "error_count": len(errors),
            "rejected_count": len({line[0] for line in errors}),
            "imported_count": result["imported"],
            "updated_count": result["updated"],
            "picking_ids": [fields.Command.set(result["picking_ids"])],
            "preview_html": self._preview_html(result.pop("preview"), errors, warnings),
            "error_report": base64.b64encode(result["error_report"]) if result["error_report"] else False,
            "error_report_name": "号卡导入错误.xlsx" if result["error_report"] else False,
        })
        result.pop("written")
        if result["imported"] or result["updated"]:
            self.write({"state": "done", "file_cipher": False})  # nothing left to import: the file goes
        elif write:
            self.state = "checked"
        return result

    def _check_then_import(self, rows, header_index, context, write):
        """Check every row, then the valid cards against the database, then (``write``) import them."""
        records, errors = [], []
        for record, row_errors in self._iter_checked_rows(rows, header_index, context):
            if row_errors:
                errors.extend(row_errors)
            else:
                records.append(record)
        records, db_errors = self._check_against_database(records, context)
        errors.extend(db_errors)
        errors.sort(key=lambda e: e[0])
        result = self._result(records, errors, context)
        blocked = errors and self.mode == "all_or_nothing"
        if write and records and not blocked:
            result.update(self._write(records))
            result["written"] = True
        return result

    def _import_in_one_pass(self, rows, header_index, context):
        """The import of a file whose rows are all valid and new, in one pass: the rows are checked chunk by
        chunk while the previous chunk is written; a card that exists already breaks the database's unique
        indexes (unique across companies, as a card exists once). Returns the result, or None when a row is
        invalid or a card exists already: then nothing is left written and the rows are checked first
        (:meth:`_check_then_import`), to report every problem."""
        receipts = self._plan_counts(rows, header_index, context)
        if not receipts:
            return None
        if not self.env["haoka.stock.bulk"]._use_fast_path(list({p for counts in receipts for p in counts})):
            return None  # Odoo's standard path: existing cards are found before, by the check
        preview = []

        def cards():
            for record, row_errors in self._iter_checked_rows(rows, header_index, context):
                if row_errors:
                    raise _RowsToReport()
                if len(preview) < PREVIEW_ROWS:
                    preview.append(record)
                yield record

        try:
            with self.env.cr.savepoint():
                pickings = self._import_receipts(cards(), receipts)
        except (_RowsToReport, psycopg2.IntegrityError):  # an invalid row, an existing card
            return None
        total = sum(sum(counts.values()) for counts in receipts)
        result = self._result(preview, [], context, valid=total)
        result.update({"imported": total, "picking_ids": pickings.ids, "written": True})
        return result

    def _import_receipts(self, cards, receipts):
        """Import the new ``cards`` (an iterator of checked card dicts) into stock: a receipt per plan for
        each ``{product: count}`` of ``receipts``, in the order of the cards (see :meth:`_receipts_of`).
        The cards of a receipt are produced in chunks while the previous chunk is written; the ORM cache is
        emptied after each receipt, so that a file of a million cards keeps one receipt's records in
        memory. Returns the receipts."""
        Bulk = self.env["haoka.stock.bulk"]
        total, done = sum(sum(counts.values()) for counts in receipts), 0
        pickings = self.env["stock.picking"]
        for counts in receipts:
            size = sum(counts.values())

            def progress(written, before=done):
                self._notify_progress(before + written, total, every=PROGRESS_EVERY * 4)

            pickings |= Bulk._import_cards(_chunks(cards, size), counts, self.location_id, self._receipt_origin(),
                                           progress=progress)
            done += size
            if len(receipts) > 1:
                self.env.flush_all()
                self.env.invalidate_all()
        for _card in cards:  # read to the end (the rows after the last card: footers counted)
            raise UserError(self.env._("More cards than announced for this import."))
        return pickings

    def _result(self, records, errors, context, valid=None):
        valid = len(records) if valid is None else valid
        return {
            "rows": valid + len({e[0] for e in errors}),
            "valid": valid,
            "warnings": len(context["warning_lines"]),
            "warning_lines": context["warning_lines"],
            "errors": len(errors),
            "error_lines": errors,
            "imported": 0,
            "updated": 0,
            "picking_ids": [],
            "footer_rows": context["checker"].footers,
            "preview": records[:PREVIEW_ROWS],
            "written": False,
        }

    def _receipt_origin(self):
        return self.env._("Card import %(file)s", file=self.filename or "")

    def _read_rows(self):
        if not self.file and self.filename:
            raise UserError(self.env._("The file %(name)s is empty.", name=self.filename))
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        try:
            return spreadsheet.stream_rows(base64.b64decode(self.file), self.filename or "")
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

    def _row_context(self, rows, header_index, mapping):
        """What checking the rows needs, read once: column labels and the row checker (the plans by name,
        what each plan imposes read the first time a row names it, today); and the warnings the check
        fills."""
        header_row = rows[header_index]
        column_of = {target: index for index, target in mapping.items()}
        return {
            "headers": {
                index: column_label(index, header_row[index] if index < len(header_row) else None)
                for index in mapping
            },
            "column_of": column_of,
            "checker": card_rows.CardRowChecker(
                column_of,
                self.env["product.template"]._haoka_plan_lookup(),
                _PlanFacts(self._plan_facts),
                default_plan=self.plan_id,
                today=fields.Date.context_today(self),
            ),
            "warning_lines": [],
        }

    def _plan_facts(self, plan):
        """What checking a row of ``plan`` reads from it (:func:`card_rows.plan_facts`)."""
        carrier = plan.haoka_carrier_id
        return card_rows.plan_facts(
            plan.name,
            carrier.name,
            # its code, its aliases and its name in every language (China Mobile, 中国移动, 移动, CMCC)
            carrier_names=carrier._haoka_match_keys().get(carrier, set()),
            policy=carrier.iccid_check_policy,
            prefixes=sim.parse_prefixes(carrier.iccid_prefixes),
            segments=carrier._segment_set() if carrier.number_segments else None,
            expiration_time=plan.expiration_time,
            product=plan.product_variant_id,
        )

    def _plan_counts(self, rows, header_index, context):
        """The receipts of the file's cards, as ``[{product: number of rows}]`` (see :meth:`_receipts_of`),
        when every row holding a card names a known plan (or the default plan applies), else None. Reads
        what checking the rows of each plan needs, so that the check itself does not use the database."""
        checker = context["checker"]
        products = []
        for _row_no, row in checker.data_rows(rows, header_index):
            plan, _raw = checker.row_plan(row)
            if plan is None:
                return None
            products.append(checker.facts[plan]["product"])
        return self._receipts_of(products)

    @api.model
    def _receipts_of(self, products):
        """``[{product: count}]``: the receipts of cards of ``products`` (one per card, in the order of the
        cards), a receipt per plan for each ``RECEIPT_CARDS`` cards."""
        receipts = []
        for start in range(0, len(products), RECEIPT_CARDS):
            counts = defaultdict(int)
            for product in products[start:start + RECEIPT_CARDS]:
                counts[product] += 1
            receipts.append(counts)
        return receipts

    def _iter_checked_rows(self, rows, header_index, context):
        """``(card dict, [])`` for each valid row holding a card, ``(None, errors)`` for an invalid one, where
        an error is ``(row, column, value, reason)``; duplicates within the file are errors. Collects the
        warnings of the valid rows (same form, a card imported but flagged) in ``context``; the checker
        counts the footer rows."""
        reasons = self._row_reasons()
        target_labels = dict(self.env["haoka.card.import.column"]._fields["target"]._description_selection(self.env))
        warning_lines = context["warning_lines"] = []

        def lines(issues):
            return self._issue_lines(issues, context, reasons, target_labels)

        for record, errors, warnings in context["checker"].check_rows(rows, header_index):
            if errors:
                yield None, lines(errors)
                continue
            if warnings:
                warning_lines.extend(lines(warnings))
            yield record, []

    @api.model
    def _issue_lines(self, issues, context, reasons, target_labels):
        """``(row, column, value, reason)`` of each :class:`card_rows.Issue`: the column as Excel names it and
        by its header, PUK/PIN masked, the reason in the user's language."""
        headers, column_of = context["headers"], context["column_of"]
        result = []
        for row, target, value, code, params in issues:
            column = headers.get(column_of.get(target)) or target_labels.get(target, target)
            text = spreadsheet.cell_text(value)
            if target in SECRET_TARGETS:
                text = secrets.mask(text)
            reason = reasons[code] % params if params else reasons[code]
            result.append((row, column, text, reason))
        return result

    @api.model
    def _row_reasons(self):
        """The wording of each reason code of :mod:`card_rows` in the user's language, placeholders
        unfilled."""
        _ = self.env._
        return {
            card_rows.ICCID_EMPTY: _("The ICCID is empty."),
            card_rows.ICCID_CUT_BY_EXCEL: _(
                "The ICCID arrived as a number, so Excel has cut it to 15 significant digits: format the "
                "ICCID column as text and export the file again."
            ),
            card_rows.ICCID_INVALID: _(
                "Not a valid ICCID: it must start with 89 and have 19 to 22 digits or letters A-F."
            ),
            card_rows.ICCID_LUHN: _("The ICCID check digit (Luhn) is wrong."),
            card_rows.ICCID_LUHN_FLAGGED: _("The ICCID check digit (Luhn) is wrong: imported and flagged."),
            card_rows.ICCID_PREFIX_FLAGGED: _(
                "The ICCID prefix is not one of %(carrier)s's (%(prefixes)s): imported and flagged."
            ),
            card_rows.ICCID_DUPLICATE: _("Duplicate ICCID: also on row %(row)s of the file."),
            card_rows.PLAN_UNKNOWN: _("Unknown plan: no SIM plan has this name or reference."),
            card_rows.PLAN_MISSING: _("No plan: the row names none and no default plan is chosen."),
            card_rows.CARRIER_MISMATCH: _("The carrier does not match plan %(plan)s (%(carrier)s)."),
            card_rows.MSISDN_INVALID: _("Not a valid mobile number: 11 digits starting with 13 to 19."),
            card_rows.MSISDN_SEGMENT_FLAGGED: _(
                "The number segment %(segment)s is not one of %(carrier)s's: imported and flagged."
            ),
            card_rows.MSISDN_DUPLICATE: _("Duplicate number: also on row %(row)s of the file."),
            card_rows.PUK_INVALID: _("A PUK has 8 digits."),
            card_rows.PIN_INVALID: _("A PIN has 4 to 8 digits."),
            card_rows.EXPIRY_UNREADABLE: _(
                "Unreadable date: use 2027-12-31, 2027/12/31, 20271231 or 2027年12月31日."
            ),
            card_rows.EXPIRY_PAST: _("The expiry date is in the past."),
            card_rows.EXPIRY_MISSING: _("No expiry date, and plan %(plan)s has no default validity."),
        }

    def _check_against_database(self, records, context):
        """Cards already in the database (of any company: a card exists once): an error naming the existing
        card, or (update mode) an update of a card of the receiving company or of no company."""
        if not records:
            return records, []
        iccids = [r["iccid"] for r in records]
        numbers = [r["msisdn"] for r in records if r["msisdn"]]
        existing = self.env["stock.lot"]._haoka_existing_cards(iccids, numbers)
        iccids, numbers = set(iccids), set(numbers)
        by_iccid = {row[0]: row[1:] for row in existing if row[0] in iccids}
        by_msisdn = {row[2]: row[0] for row in existing if row[2] in numbers}
        kept, errors = [], []
        for record in records:
            error = self._existing_card_error(record, by_iccid.get(record["iccid"]), by_msisdn, context)
            if error:
                errors.append(error)
            else:
                kept.append(record)
        return kept, errors

    def _existing_card_error(self, record, existing, by_msisdn, context):
        """The error of ``record`` against the cards in the database (``existing``: the card of its ICCID as
        ``(lot id, number, plan, company id)``, ``by_msisdn``: the ICCID of each number); None when it is
        new or (update mode) updates ``existing``, then noted in ``record["update_lot_id"]``."""
        _ = self.env._
        headers, column_of = context["headers"], context["column_of"]
        iccid_error = (record["row"], headers.get(column_of.get("iccid")), record["iccid"])
        number_error = (record["row"], headers.get(column_of.get("msisdn")), record["msisdn"])
        number_owner = record["msisdn"] and by_msisdn.get(record["msisdn"], record["iccid"])
        if existing and existing[3] and existing[3] != self._receiving_company().id:
            company = self.env["res.company"].sudo().browse(existing[3])
            return iccid_error + (_("Duplicate ICCID: card %(card)s already exists in company %(company)s "
                                    "(plan %(plan)s); a card exists once, in every company.",
                                    card=record["iccid"], company=company.name, plan=existing[2]),)
        if existing and not self.update_existing:
            return iccid_error + (_("Duplicate ICCID: card %(card)s already exists (plan %(plan)s).",
                                    card=record["iccid"], plan=existing[2]),)
        if number_owner and number_owner != record["iccid"]:
            return number_error + (_("Number already used by card %(card)s.", card=number_owner),)
        if existing:
            record["update_lot_id"] = existing[0]
        return None

    def _receiving_company(self):
        return self.location_id.company_id or self.env.company

    def _write(self, records):
        """Import checked records: new cards into stock, existing ones (update mode) updated."""
        Lot = self.env["stock.lot"]
        new = [r for r in records if not r.get("update_lot_id")]
        updates = [r for r in records if r.get("update_lot_id")]
        pickings = self.env["stock.picking"]
        if new:
            pickings = self._import_receipts(iter(new), self._receipts_of([record["product"] for record in new]))
        for record in updates:
            vals = {"expiration_date": record["expiration_date"]}
            if record["puk"]:
                vals["puk"] = record["puk"]
            if record["pin"]:
                vals["pin"] = record["pin"]
            if record["msisdn"]:
                vals["msisdn"] = record["msisdn"]
            Lot.browse(record["update_lot_id"]).write(vals)
        if updates and len(records) > PROGRESS_EVERY:
            self._notify_progress(len(records), len(records))
        return {"imported": len(new), "updated": len(updates), "picking_ids": pickings.ids}

    def _notify_progress(self, done, total, every=1):
        """Progress of a large import, sent on its own cursor so the user sees it before the import's
        transaction commits; only when ``done`` passes a multiple of ``every``."""
        if self.env.context.get("haoka_import_job_id"):  # a background job: its progress, its cancel request
            self.env["haoka.card.import.job"].browse(self.env.context["haoka_import_job_id"])._report_progress(
                done, total)
        if total <= PROGRESS_EVERY or (done < total and done % every >= STREAM_CHUNK):
            return
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, self.env.context)
            env["bus.bus"]._sendone(env.user.partner_id, "simple_notification", {
                "type": "info",
                "title": env._("Importing SIM cards"),
                "message": env._("%(done)s of %(total)s cards written.", done=done, total=total),
            })

    # ------------------------------------------------------------------ reports

    def _preview_html(self, records, errors, warnings):
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
        for lines, title in ((errors, _("Rejected rows (first %(count)s)", count=PREVIEW_ERRORS)),
                             (warnings, _("Warnings (first %(count)s)", count=PREVIEW_ERRORS))):
            if not lines:
                continue
            parts.append(Markup("<h5>%s</h5>") % title)
            parts.append(Markup("<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>")
                         % (_("Row"), _("Column"), _("Value"), _("Reason")))
            for row, column, value, reason in lines[:PREVIEW_ERRORS]:
                parts.append(Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                    row, column or "", value or "", reason))
            parts.append(Markup("</table>"))
        return Markup("").join(escape(p) if not isinstance(p, Markup) else p for p in parts)

    def _error_report(self, errors, warnings=()):
        """The rejected rows then the warnings, one line each: row, column, value (PUK/PIN masked), reason,
        kind."""
        import openpyxl

        _ = self.env._
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Errors"))
        sheet.append([_("Row"), _("Column"), _("Value"), _("Reason"), _("Kind")])
        for lines, kind in ((errors, _("Error")), (warnings, _("Warning"))):
            for row, column, value, reason in lines:
                sheet.append([row, spreadsheet.text_cell(sheet, column), spreadsheet.text_cell(sheet, value),
                              spreadsheet.text_cell(sheet, reason), kind])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _template_example(self, plan):
        """``(ICCID, number)`` of the template's example card: an ICCID of the plan's carrier (its first
        issuer prefix, a right check digit) and a number of its first segment, neither in the database, so
        that the template imports as downloaded."""
        carrier = plan.haoka_carrier_id
        prefix = next(iter(sim.parse_prefixes(carrier.iccid_prefixes)), "898600")
        segment = min(carrier._segment_set(), default="138") if carrier.number_segments else "138"
        Lot = self.env["stock.lot"].sudo().with_context(active_test=False)
        for serial in range(12345678, 12345678 + 1000):
            body = (prefix + str(serial).rjust(19 - len(prefix), "0"))[:19]
            iccid = body + sim.luhn_check_digit(body) if body.isdigit() else body + "0"
            msisdn = segment + str(serial)[-8:]
            if not Lot.search_count(
                [("is_sim_card", "=", True), "|", ("name", "=", iccid), ("msisdn", "=", msisdn)], limit=1
            ):
                return iccid, msisdn
        return iccid, msisdn

    def _template_xlsx(self):
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "号卡"
        sheet.append(TEMPLATE_HEADERS)
        plan = self.plan_id or self.env["product.template"].search([("is_sim_card", "=", True)], limit=1)
        today = datetime.date.today()
        iccid, msisdn = self._template_example(plan) if plan else ("89860012345678901234", "13800138000")
        sheet.append([iccid, msisdn, "12345678", "1234", plan.name or "",
                      plan.haoka_carrier_id.name or "", today + datetime.timedelta(days=730)])
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
    column_index = fields.Integer(string="Column Number", required=True)
    column_letter = fields.Char(string="Column", compute="_compute_column_letter")
    header = fields.Char(readonly=True)
    target = fields.Selection(TARGET_SELECTION, string="Imports As", required=True, default="ignore")

    @api.depends("column_index")
    def _compute_column_letter(self):
        for column in self:
            column.column_letter = get_column_letter(column.column_index + 1)
