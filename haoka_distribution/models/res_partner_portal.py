"""The distributor's side of the portal (个人中心): invitation as a portal user, sign-up through a referral
link (pending 号卡主管's approval, upline fixed once approved), what a distributor may do there, and the
figures of its team shown through a fixed list of fields."""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.groups import MANAGER_GROUP


class ResPartner(models.Model):
    _inherit = "res.partner"

    haoka_distributor_state = fields.Selection(
        selection_add=[("pending", "Pending Approval")], ondelete={"pending": "set default"},
    )
    haoka_upline_locked = fields.Boolean(
        string="Upline Fixed", copy=False, readonly=True,
        help="Set when a distributor who signed up through a referral link is approved: its upline is then fixed.",
    )
    # ID photos sent from the portal: attachments of fields only 号卡主管 may read (Odoo then refuses them to
    # everyone else, /web/content and /web/image included); the owner sees them through the portal's route
    haoka_kyc_photo_front = fields.Binary(string="ID Photo (front)", attachment=True, copy=False,
                                          groups=MANAGER_GROUP)
    haoka_kyc_photo_back = fields.Binary(string="ID Photo (back)", attachment=True, copy=False,
                                         groups=MANAGER_GROUP)
    haoka_signup_referrer_id = fields.Many2one(
        "res.partner", string="Signed Up Through", copy=False, readonly=True, index="btree_not_null",
        help="The distributor whose referral link this distributor signed up through.",
    )

    def write(self, vals):
        if "haoka_parent_distributor_id" in vals:
            new_upline = vals["haoka_parent_distributor_id"]
            locked = self.filtered(lambda p: p.haoka_upline_locked and p.haoka_parent_distributor_id.id != new_upline)
            if locked:
                raise ValidationError(self.env._(
                    "The upline of %(name)s is fixed: it was approved with the referral it signed up through.",
                    name=locked[0].display_name,
                ))
        return super().write(vals)

    # ------------------------------------------------------------------ referral sign-up (推广注册)

    @api.model
    def _haoka_referrer_by_code(self, code):
        """The active distributor owning referral ``code`` (any case, spaces ignored), else an empty recordset."""
        code = (code or "").strip().upper()
        if not code or len(code) > 32:
            return self.browse()
        return self.sudo().search([
            ("haoka_referral_code", "=", code), ("haoka_is_distributor", "=", True),
            ("haoka_distributor_state", "=", "active"),
        ], limit=1)

    def _haoka_check_can_refer(self, newcomer):
        """Refuse a referral of ``newcomer`` by ``self``: self-referral and cycles."""
        self.ensure_one()
        if newcomer and (newcomer == self or newcomer in self._haoka_chain()):
            raise UserError(self.env._("You cannot sign up through your own referral link or your team's upline."))

    def _haoka_make_referred_distributor(self, referrer):
        """A newly signed-up partner becomes a distributor under ``referrer``, pending approval."""
        referrer._haoka_check_can_refer(self)
        self.sudo().write({
            "haoka_is_distributor": True,
            "haoka_parent_distributor_id": referrer.id,
            "haoka_signup_referrer_id": referrer.id,
            "haoka_distributor_state": "pending",
            "haoka_kyc_state": "draft",
        })

    def action_haoka_distributor_approve(self):
        """号卡主管 approves distributors who signed up: active, with their upline fixed."""
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only SIM managers (号卡主管) approve new distributors."))
        if self.filtered(lambda p: p.haoka_distributor_state != "pending"):
            raise UserError(self.env._("Only distributors pending approval can be approved."))
        self.sudo().write({"haoka_distributor_state": "active", "haoka_upline_locked": True})
        return True

    # ------------------------------------------------------------------ invitation (邀请开通门户)

    def action_haoka_invite_portal(self):
        """Give the distributor a portal user and send the invitation (in the distributor's language,
        Chinese by default), through Odoo's own portal wizard."""
        self.ensure_one()
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only SIM managers (号卡主管) invite distributors to the portal."))
        if not self.haoka_is_distributor:
            raise UserError(self.env._("%(name)s is not a distributor.", name=self.display_name))
        if not self.email:
            raise UserError(self.env._("%(name)s needs an email address to be invited.", name=self.display_name))
        if self.env["res.lang"]._lang_get("zh_CN") and (not self.lang or self.lang == "en_US"):
            self.sudo().lang = "zh_CN"
        # the wizard needs Contact Creation rights, which 号卡主管 need not have: its checks are done above
        welcome = self.with_context(lang=self.lang).env._(
            "Welcome to our distributor portal. After logging in, complete your real-name verification first.")
        wizard = self.env["portal.wizard"].sudo().with_context(active_ids=self.ids).create({"welcome_message": welcome})
        wizard_user = wizard.user_ids.filtered(lambda u: u.partner_id == self)
        if wizard_user.is_portal:
            wizard_user.action_invite_again()
        else:
            wizard_user.action_grant_access()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": self.env._("Invitation sent to %(email)s.", email=self.email)},
        }

    # ------------------------------------------------------------------ what the portal shows

    def _haoka_portal_can_order(self):
        """Only an active, verified distributor orders; a suspended one reads."""
        self.ensure_one()
        return (self.haoka_is_distributor and self.haoka_distributor_state == "active"
                and self.haoka_kyc_state == "approved")

    def _haoka_team_rows(self):
        """The downline as a fixed list of fields (name, level, status, cards sold and commission this
        month): never the downline's customers or personal data."""
        self.ensure_one()
        team = self.sudo()._haoka_downline()
        if not team:
            return []
        month_start = fields.Date.context_today(self).replace(day=1)
        month_end = month_start + relativedelta(months=1)
        cards = dict(self.env["haoka.distribution.report"].sudo()._read_group(
            [("distributor_id", "in", team.ids), ("date", ">=", month_start), ("date", "<", month_end)],
            ["distributor_id"], ["cards_ordered:sum"],
        ))
        commissions = dict(self.env["haoka.commission.line"].sudo()._read_group(
            [("distributor_id", "in", team.ids), ("create_date", ">=", month_start),
             ("create_date", "<", month_end), ("state", "not in", ("not_payable", "reversed"))],
            ["distributor_id"], ["amount:sum"],
        ))
        states = dict(self._fields["haoka_distributor_state"]._description_selection(self.env))
        return [{
            "name": member.name,
            "level": member.haoka_distributor_level - self.haoka_distributor_level,
            "upline": member.haoka_parent_distributor_id.name,
            "state": states.get(member.haoka_distributor_state, ""),
            "cards": int(cards.get(member, 0)),
            "commission": commissions.get(member, 0.0),
        } for member in team.sorted(lambda m: (m.haoka_distributor_level, m.name or ""))]
