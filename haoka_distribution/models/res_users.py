from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _signup_create_user(self, values):
        """A sign-up through a distributor's referral link (``haoka_referrer_id`` in the context, set by the
        referral controller) is allowed even when public sign-up is off; the new partner becomes a
        distributor under that referrer, pending 号卡主管's approval."""
        referrer_id = self.env.context.get("haoka_referrer_id")
        if not referrer_id or "partner_id" in values:
            return super()._signup_create_user(values)
        referrer = self.env["res.partner"].sudo().browse(referrer_id)
        user = self._create_user_from_template(values)
        user.partner_id._haoka_make_referred_distributor(referrer)
        return user
