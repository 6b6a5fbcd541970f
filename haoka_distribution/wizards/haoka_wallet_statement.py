import base64
import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..tools import wallet_statement
from ..tools.groups import FINANCE_GROUP, MANAGER_GROUP


class HaokaWalletStatement(models.TransientModel):
    """分销商对账单: per wallet type of a distributor, the opening balance at ``date_from``, every movement of the
    period with its running balance and the closing balance at ``date_to``, read from the posted journal
    items on the wallet accounts (the balance is the ledger) and explained by their wallet movements. Printed
    as PDF (``report/haoka_wallet_statement_views.xml``) or exported as .xlsx; 号卡财务 and 号卡主管 for any
    distributor, a distributor (portal) for its own only (record rule and :meth:`_haoka_check_access`)."""

    _name = "haoka.wallet.statement"
    _description = "Distributor Statement"

    partner_id = fields.Many2one("res.partner", string="Distributor", required=True,
                                 domain=[("haoka_is_distributor", "=", True)])
    date_from = fields.Date(required=True, default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    wallet_type_ids = fields.Many2many("haoka.wallet.type", string="Wallet Types",
                                       help="Empty: every wallet type of the company.")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "res.partner" and len(context.get("active_ids") or []) == 1 \
                and "partner_id" in fields_list:
            values["partner_id"] = context["active_ids"][0]
        return values

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for statement in self:
            if statement.date_from > statement.date_to:
                raise ValidationError(self.env._(
                    "The period starts on %(date_from)s, after its end on %(date_to)s.",
                    date_from=statement.date_from, date_to=statement.date_to))

    def _haoka_check_access(self):
        """号卡财务 and 号卡主管 read any distributor's statement; a portal user only its own."""
        user = self.env.user
        if self.env.su or user.has_group(FINANCE_GROUP) or user.has_group(MANAGER_GROUP):
            return
        own = user.commercial_partner_id
        if user.share and all(statement.partner_id.commercial_partner_id == own for statement in self):
            return
        raise AccessError(self.env._("Only SIM finance (号卡财务) and managers (号卡主管) read distributors' "
                                     "statements; a distributor reads its own."))

    # ------------------------------------------------------------------ the figures

    def _haoka_wallet_types(self):
        self.ensure_one()
        return self.wallet_type_ids.sudo() or self.env["haoka.wallet.type"].sudo().search(
            [("company_id", "=", self.company_id.id)])

    def _haoka_sections(self):
        """A :class:`~..tools.wallet_statement.Section` per wallet type, in a constant number of queries
        whatever the number of movements: one for the opening balances, one for the period's journal items
        with their movements, one per kind of source document for its names."""
        self.ensure_one()
        self._haoka_check_access()
        types = self._haoka_wallet_types()
        openings = self._haoka_openings(types)
        rows = self._haoka_ledger_rows(types)
        names = self._haoka_source_names({row["source_ref"] for row in rows if row["source_ref"]})
        kinds = dict(self.env["haoka.wallet.transaction"]._fields["kind"]._description_selection(self.env))
        manual = self.env._("Manual Journal Entry")
        by_account = {}
        for row in rows:
            by_account.setdefault(row["account_id"], []).append(wallet_statement.Movement(
                date=row["date"], kind=kinds.get(row["kind"]) or manual,
                document=names.get(row["source_ref"], ""), entry=row["entry"],
                description=row["reason"] or row["label"] or "", amount=row["amount"]))
        digits = self.currency_id.decimal_places
        return [wallet_statement.build_section(wallet_type.name, openings.get(wallet_type.account_id.id, 0.0),
                                               by_account.get(wallet_type.account_id.id, []), digits)
                for wallet_type in types]

    def _haoka_ledger_domain_sql(self, types):
        partner = self.partner_id.commercial_partner_id
        return SQL("l.partner_id = %s AND l.account_id = ANY(%s) AND l.company_id = %s AND l.parent_state = 'posted'",
                   partner.id, types.account_id.ids, self.company_id.id)

    def _haoka_openings(self, types):
        """{account id: balance of the distributor on it before ``date_from``}."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT l.account_id, -SUM(l.balance) FROM account_move_line l WHERE %s AND l.date < %s "
            "GROUP BY l.account_id", self._haoka_ledger_domain_sql(types), self.date_from))
        return dict(self.env.cr.fetchall())

    def _haoka_ledger_rows(self, types):
        """The distributor's posted journal items on the wallet accounts in the period, in date order, each
        with the wallet movement that explains it (of the same entry, distributor and wallet type; the one
        whose counterpart line follows it when an entry holds several, as a settlement run's does)."""
        self.env.cr.execute(SQL("""
            SELECT l.account_id, l.date, m.name AS entry, l.name AS label, -l.balance AS amount,
                   t.kind, t.source_ref, t.reason
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
              LEFT JOIN LATERAL (
                   SELECT t.kind, t.source_ref, t.reason FROM haoka_wallet_transaction t
                     JOIN haoka_wallet_type wt ON wt.id = t.wallet_type_id AND wt.account_id = l.account_id
                    WHERE t.move_id = l.move_id AND t.partner_id = l.partner_id AND t.state = 'posted'
                    ORDER BY t.counterpart_line_id = l.id + 1 DESC, t.id LIMIT 1) t ON TRUE
             WHERE %s AND l.date >= %s AND l.date <= %s
             ORDER BY l.date, l.move_id, l.id""",
            self._haoka_ledger_domain_sql(types), self.date_from, self.date_to))
        return self.env.cr.dictfetchall()

    def _haoka_source_names(self, refs):
        """{"model,id": display name} of the movements' source documents, one read per model."""
        allowed = dict(self.env["haoka.wallet.transaction"]._selection_source_models())
        ids_by_model = {}
        for ref in refs:
            model, _sep, record_id = ref.partition(",")
            if model in allowed and record_id.isdigit():
                ids_by_model.setdefault(model, []).append(int(record_id))
        names = {}
        for model, ids in ids_by_model.items():
            records = self.env[model].sudo().browse(ids).exists()
            names.update((f"{model},{record.id}", record.display_name) for record in records)
        return names

    # ------------------------------------------------------------------ outputs

    def _haoka_labels(self):
        _ = self.env._
        return wallet_statement.Labels(
            title=_("Distributor Statement"),
            headings=(_("Date"), _("Kind"), _("Document"), _("Journal Entry"), _("Description"), _("In"),
                      _("Out"), _("Balance")),
            opening=_("Opening Balance"), total=_("Total"), closing=_("Closing Balance"))

    def _haoka_info(self):
        """The (label, value) rows heading the statement."""
        _ = self.env._
        partner = self.partner_id.commercial_partner_id
        return [(_("Distributor"), partner.display_name), (_("Company"), self.company_id.name),
                (_("Period"), f"{self.date_from} ~ {self.date_to}"),
                (_("Currency"), f"{self.currency_id.name} ({self.currency_id.symbol})")]

    def _haoka_xlsx(self, sections=None):
        """The statement as .xlsx bytes."""
        self.ensure_one()
        sections = self._haoka_sections() if sections is None else sections
        labels = self._haoka_labels()
        return wallet_statement.statement_xlsx(labels.title, labels, self._haoka_info(), sections)

    def _haoka_filename(self, extension=None):
        partner = re.sub(r"[\\/:*?\"<>|\s]+", "_", self.partner_id.commercial_partner_id.name or "")
        base = self.env._("Statement-%(partner)s-%(date_from)s-%(date_to)s", partner=partner,
                          date_from=self.date_from, date_to=self.date_to)
        return f"{base}.{extension}" if extension else base

    def action_export_xlsx(self):
        self.ensure_one()
        self.write({"file": base64.b64encode(self._haoka_xlsx()), "filename": self._haoka_filename("xlsx")})
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content?model=%s&id=%s&field=file&filename_field=filename&download=true"
            % (self._name, self.id),
            "target": "self",
        }

    def action_print_pdf(self):
        self.ensure_one()
        self._haoka_check_access()
        return self.env.ref("haoka_distribution.action_report_haoka_wallet_statement").report_action(self)
