"""Sign-up by referral: ``/r/<code>`` opens Odoo's sign-up (auth_signup) for a new distributor under the
link's owner, even when public sign-up is off; a logged-in customer who follows a link is brought by its
owner (its orders then name that distributor)."""

from odoo.addons.auth_signup.controllers.main import AuthSignupHome
from odoo.exceptions import UserError
from odoo.http import request, route

SESSION_KEY = "haoka_referral_code"


def session_referrer():
    return request.env["res.partner"]._haoka_referrer_by_code(request.session.get(SESSION_KEY))


class HaokaReferralSignup(AuthSignupHome):
    @route(["/r/<string:code>"], type="http", auth="public", website=True, sitemap=False)
    def haoka_referral(self, code, **kw):
        referrer = request.env["res.partner"]._haoka_referrer_by_code(code)
        if not referrer:
            raise request.not_found()
        user = request.env.user
        if user._is_public():
            request.session[SESSION_KEY] = referrer.haoka_referral_code
            return request.redirect("/web/signup")
        partner = user.partner_id.commercial_partner_id
        if partner == referrer or partner in referrer._haoka_chain() or partner.haoka_is_distributor:
            return request.redirect("/my")  # own link, an upline's or another distributor's: nothing to do
        if not partner.haoka_referrer_id:
            partner.sudo().haoka_referrer_id = referrer
        return request.redirect("/my")

    def get_auth_signup_qcontext(self):
        qcontext = super().get_auth_signup_qcontext()
        if not qcontext.get("token"):
            referrer = session_referrer()
            if referrer:
                qcontext["signup_enabled"] = True
                qcontext["haoka_referrer_name"] = referrer.name
        return qcontext

    def _signup_with_values(self, token, values):
        referrer = session_referrer() if not token else None
        if not referrer:
            return super()._signup_with_values(token, values)
        login = (values.get("login") or "").strip().lower()
        referrer_logins = {(u.login or "").lower() for u in referrer.user_ids} | {(referrer.email or "").lower()}
        if login in referrer_logins:
            raise UserError(request.env._("You cannot sign up through your own referral link."))
        request.update_context(haoka_referrer_id=referrer.id)
        result = super()._signup_with_values(token, values)
        request.session.pop(SESSION_KEY, None)
        return result
