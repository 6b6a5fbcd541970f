import secrets as pysecrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.translate import LazyTranslate

from ..tools import idcard
from ..tools.groups import MANAGER_GROUP
from .haoka_secret_mixin import Secret

_lt = LazyTranslate(__name__)
REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class ResPartner(models.Model):
    """A distributor (代理) is a partner flagged as such, placed in an upline/downline hierarchy."""

    _name = "res.partner"
    _inherit = ["res.partner", "haoka.secret.mixin"]
    _haoka_secrets = {
        "haoka_kyc_id_number": Secret(
            cipher="haoka_kyc_id_cipher", hash="haoka_kyc_id_hash", normalize=idcard.normalize_id,
            valid=lambda number: not idcard.resident_id_problem(number), mask=idcard.mask_id,
            invalid=_lt("ID number %(masked)s is not a valid resident ID number."),
        ),
    }

    haoka_is_distributor = fields.Boolean(string="Is a Distributor", index=True, tracking=True)
    haoka_parent_distributor_id = fields.Many2one(
        "res.partner", string="Upline Distributor", index="btree_not_null", tracking=True, ondelete="restrict",
        domain=[("haoka_is_distributor", "=", True)],
    )
    haoka_child_distributor_ids = fields.One2many(
        "res.partner", "haoka_parent_distributor_id", string="Downline Distributors"
    )
    haoka_distributor_level = fields.Integer(
        string="Distributor Level", compute="_compute_haoka_distributor_level", store=True, recursive=True,
        help="1 for a top distributor, 2 for its downline, and so on.",
    )
    haoka_referral_code = fields.Char(string="Referral Code", copy=False, index="btree_not_null")
    haoka_join_date = fields.Date(string="Joined On", default=fields.Date.context_today)
    haoka_distributor_state = fields.Selection(
        [("active", "Active"), ("suspended", "Suspended")], string="Distributor Status", default="active",
        tracking=True,
    )
    haoka_payout_method = fields.Selection(
        [("vendor_bill", "Vendor Bill"), ("wallet", "Wallet Credit")], string="Commission Payout",
        default="vendor_bill",
    )
    haoka_referrer_id = fields.Many2one(
        "res.partner", string="Referring Distributor", domain=[("haoka_is_distributor", "=", True)],
        help="The distributor who brought this customer: new orders of the customer name it.",
    )
    haoka_kyc_state = fields.Selection(
        [("draft", "Not Submitted"), ("submitted", "Submitted"), ("approved", "Approved"), ("rejected", "Rejected")],
        string="Real-name Verification", default="draft", tracking=True, copy=False,
    )
    haoka_kyc_name = fields.Char(string="Legal Name", copy=False, tracking=True)
    haoka_kyc_id_number = fields.Char(
        string="Distributor ID Number", compute="_compute_haoka_secret_masks", inverse="_inverse_haoka_kyc_id_number",
        search="_search_haoka_kyc_id_number",
    )
    haoka_kyc_id_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted Distributor ID")
    haoka_kyc_id_hash = fields.Char(groups=MANAGER_GROUP, copy=False, index="btree_not_null",
                                    string="Distributor ID Hash")
    # staff-collected KYC files: only 号卡主管 reads them; each file is stamped with this field (res_field) so
    # that Odoo refuses the attachment itself (/web/content included) to whoever may not read the field
    haoka_kyc_attachment_ids = fields.Many2many(
        "ir.attachment", "res_partner_haoka_kyc_attachment_rel", "partner_id", "attachment_id", string="ID Photos",
        groups=MANAGER_GROUP, domain=["|", ("res_field", "=", False), ("res_field", "!=", False)],
    )
    haoka_kyc_reject_reason = fields.Char(string="Rejection Reason", tracking=True, copy=False)
    haoka_kyc_reviewer_id = fields.Many2one("res.users", string="Reviewed By", readonly=True, copy=False)
    haoka_downline_count = fields.Integer(compute="_compute_haoka_downline", string="Team Size")
    haoka_sales_amount = fields.Monetary(compute="_compute_haoka_sales", string="Own Sales",
                                         currency_field="haoka_currency_id")
    haoka_cards_sold = fields.Integer(compute="_compute_haoka_sales", string="Own Cards Sold")
    haoka_team_sales_amount = fields.Monetary(compute="_compute_haoka_sales", string="Team Sales",
                                              currency_field="haoka_currency_id")
    haoka_currency_id = fields.Many2one("res.currency", compute="_compute_haoka_sales", string="Sales Currency")

    def init(self):
        super().init()
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS res_partner_haoka_referral_code_uniq
               ON res_partner (haoka_referral_code) WHERE haoka_referral_code IS NOT NULL"""
        )

    @api.depends("haoka_is_distributor", "haoka_parent_distributor_id.haoka_distributor_level")
    def _compute_haoka_distributor_level(self):
        for partner in self:
            if not partner.haoka_is_distributor:
                partner.haoka_distributor_level = 0
            else:
                partner.haoka_distributor_level = (partner.haoka_parent_distributor_id.haoka_distributor_level or 0) + 1

    @api.constrains("haoka_parent_distributor_id")
    def _check_haoka_hierarchy(self):
        if self._has_cycle("haoka_parent_distributor_id"):
            raise ValidationError(self.env._("A distributor cannot be its own upline, directly or through its team."))
        for partner in self.filtered("haoka_parent_distributor_id"):
            if not partner.haoka_parent_distributor_id.haoka_is_distributor:
                raise ValidationError(self.env._(
                    "%(upline)s is not a distributor.", upline=partner.haoka_parent_distributor_id.display_name
                ))

    @api.model
    def _haoka_new_referral_code(self):
        return "".join(pysecrets.choice(REFERRAL_ALPHABET) for _ in range(8))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("haoka_is_distributor") and not vals.get("haoka_referral_code"):
                vals["haoka_referral_code"] = self._haoka_new_referral_code()
        partners = super().create(vals_list)
        if any("haoka_kyc_attachment_ids" in vals for vals in vals_list):
            partners._haoka_guard_kyc_attachments()
        return partners

    def write(self, vals):
        result = super().write(vals)
        if vals.get("haoka_is_distributor"):
            for partner in self.filtered(lambda p: not p.haoka_referral_code):
                partner.haoka_referral_code = self._haoka_new_referral_code()
        if "haoka_kyc_attachment_ids" in vals:
            self._haoka_guard_kyc_attachments()
        if "lang" in vals and self.env["res.company"].sudo().search_count([("partner_id", "in", self.ids)], limit=1):
            self.env.registry.clear_cache()  # the webhook's language (ir.http._haoka_company_lang)
        return result

    def _haoka_guard_kyc_attachments(self):
        """Stamp the KYC files with their partner and field: Odoo then checks the field's groups on them."""
        for partner in self.sudo():
            partner.haoka_kyc_attachment_ids.filtered(lambda a: a.res_field != "haoka_kyc_attachment_ids").write(
                {"res_model": "res.partner", "res_id": partner.id, "res_field": "haoka_kyc_attachment_ids"})

    def _haoka_chain(self):
        """The distributor and its uplines: ``[self, upline, upline's upline, ...]``."""
        self.ensure_one()
        chain, partner = [], self
        while partner and partner.haoka_is_distributor and partner not in chain:
            chain.append(partner)
            partner = partner.haoka_parent_distributor_id
        return chain

    def _haoka_earns_commission(self):
        self.ensure_one()
        return self.haoka_distributor_state == "active" and self.haoka_kyc_state == "approved"

    def _haoka_downline(self):
        """Every distributor below this one, at any depth (one query per depth)."""
        team = self.browse()
        level = self.filtered("id")
        while level:
            level = self.search([("haoka_parent_distributor_id", "in", level.ids)]) - team - self
            team |= level
        return team

    def _compute_haoka_downline(self):
        for partner in self:
            partner.haoka_downline_count = len(partner._haoka_downline()) if partner.haoka_is_distributor else 0

    def _compute_haoka_sales(self):
        Report = self.env["haoka.distribution.report"].sudo()
        distributors = self.filtered(lambda p: p.haoka_is_distributor and p.id)
        teams = {partner: partner._haoka_downline() for partner in distributors}
        everyone = distributors.union(*teams.values()) if distributors else self.browse()
        groups = Report._read_group(
            [("distributor_id", "in", everyone.ids)], ["distributor_id"], ["amount:sum", "cards_ordered:sum"]
        ) if everyone else []
        sales = {partner: (amount, cards) for partner, amount, cards in groups}
        for partner in self:
            own = sales.get(partner, (0, 0))
            partner.haoka_currency_id = self.env.company.currency_id
            partner.haoka_sales_amount, partner.haoka_cards_sold = own
            partner.haoka_team_sales_amount = own[0] + sum(
                sales.get(member, (0, 0))[0] for member in teams.get(partner, self.browse())
            )

    def action_haoka_view_team(self):
        """The distributor's downline, every depth, with each member's level, upline, sales and cards."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Team of %(name)s", name=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(self.env.ref("haoka_distribution.res_partner_view_list_haoka_distributor").id, "list"),
                      (False, "form")],
            "domain": [("id", "in", self._haoka_downline().ids)],
        }

    # ------------------------------------------------------------------ KYC (代理实名认证)

    def _inverse_haoka_kyc_id_number(self):
        self._haoka_write_secret("haoka_kyc_id_number")

    def _search_haoka_kyc_id_number(self, operator, value):
        return self._haoka_search_secret("haoka_kyc_id_number", operator, value)

    def action_haoka_kyc_submit(self):
        for partner in self:
            if not (partner.haoka_kyc_name and partner.sudo().haoka_kyc_id_cipher):
                raise UserError(self.env._("%(partner)s: the legal name and the ID number are needed.",
                                           partner=partner.display_name))
        self.check_access("read")
        # staff collect the documents; the submission itself is a controlled state change
        self.sudo().write({"haoka_kyc_state": "submitted", "haoka_kyc_reject_reason": False})
        return True

    def _haoka_check_reviewer(self):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only SIM managers (号卡主管) review distributors' real-name verification."))

    def action_haoka_kyc_approve(self):
        self._haoka_check_reviewer()
        if self.filtered(lambda p: p.haoka_kyc_state != "submitted"):
            raise UserError(self.env._("Only submitted verifications can be approved."))
        for partner in self:
            missing = [label for label, value in (
                (self.env._("legal name"), partner.haoka_kyc_name),
                (self.env._("ID number"), partner.sudo().haoka_kyc_id_cipher),
            ) if not value]
            if missing:
                raise UserError(self.env._("%(partner)s cannot be approved: the %(missing)s is missing.",
                                           partner=partner.display_name, missing=", ".join(missing)))
        self.sudo().write({"haoka_kyc_state": "approved", "haoka_kyc_reviewer_id": self.env.uid})
        return True

    def action_haoka_kyc_open_reject(self):
        """The reject button: a wizard asks the reason."""
        self._haoka_check_reviewer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Real-name Verification"),
            "res_model": "haoka.kyc.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.ids},
        }

    def action_haoka_kyc_reject(self, reason=None):
        self._haoka_check_reviewer()
        reason = reason or self.env.context.get("haoka_reject_reason")
        if not reason:
            raise UserError(self.env._("Give the reason of the rejection."))
        self.sudo().write({"haoka_kyc_state": "rejected", "haoka_kyc_reject_reason": reason,
                           "haoka_kyc_reviewer_id": self.env.uid})
        for partner in self:
            # the reviewer may not edit contacts: the note is posted as it, like the state change above
            partner.sudo().message_post(body=self.env._("Real-name verification rejected: %(reason)s", reason=reason))
        return True
