"""提现's bank accounts in the portal: a distributor lists its own ``res.partner.bank`` accounts (numbers
masked), adds one in its verified legal name (同名, the withdrawal rule) with a checked number, and archives
one that no unfinished withdrawal uses. A new account cannot receive withdrawals until 号卡财务 trusts it
for outbound payments (Odoo's ``allow_out_payment``, forced off for accounts a portal user creates)."""

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import UserError
from odoo.http import request, route

from ..models.haoka_withdrawal_rules import name_key
from ..tools import bank_account
from .portal import distributor_or_redirect

TEXT_MAX = 128


class HaokaPortalBank(CustomerPortal):
    @staticmethod
    def _haoka_banks(distributor):
        return request.env["res.partner.bank"].sudo().search(
            [("partner_id.commercial_partner_id", "=", distributor.id)], order="allow_out_payment desc, id desc")

    @route(["/my/bank-accounts"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_banks(self, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        return self._haoka_render_banks(distributor)

    def _haoka_render_banks(self, distributor, error=None, form=None):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_banks", "banks": self._haoka_banks(distributor), "error": error,
                       "form": form or {"holder": distributor.haoka_kyc_name or ""}, "distributor": distributor})
        return request.render("haoka_distribution.portal_my_haoka_banks", values)

    @route(["/my/bank-accounts/add"], type="http", auth="user", website=True, methods=["POST"])
    def portal_haoka_bank_add(self, holder="", acc_number="", bank_name="", **kw):
        """Add an account (CSRF checked by Odoo); refused with the reason, the form kept."""
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        form = {"holder": holder.strip()[:TEXT_MAX], "acc_number": acc_number.strip()[:64],
                "bank_name": bank_name.strip()[:TEXT_MAX]}
        try:
            with request.env.cr.savepoint():
                self._haoka_create_bank(distributor, form)
        except UserError as error:
            return self._haoka_render_banks(distributor, error.args[0], form)
        return request.redirect("/my/bank-accounts?added=1")

    def _haoka_create_bank(self, distributor, form):
        """The checks of the form, then the account (never trusted: a portal user cannot set it)."""
        _ = request.env._
        if not form["bank_name"]:
            raise UserError(_("Bank: give the name of the bank and branch (开户行)."))
        if name_key(form["holder"]) != name_key(distributor.haoka_kyc_name) or not form["holder"]:
            raise UserError(_("Account holder: %(holder)s is not your verified legal name %(legal)s; withdrawals "
                              "only go to an account in your own name (同名).",
                              holder=form["holder"] or "-", legal=distributor.haoka_kyc_name or "-"))
        number = bank_account.normalize(form["acc_number"])
        if not bank_account.is_valid(number):
            raise UserError(_("Account number: %(number)s is not valid (%(low)s to %(high)s digits).",
                              number=form["acc_number"] or "-", low=bank_account.DIGITS_MIN,
                              high=bank_account.DIGITS_MAX))
        Bank = request.env["res.partner.bank"].sudo()
        if Bank.with_context(active_test=False).search_count(
                [("partner_id", "=", distributor.id), ("sanitized_acc_number", "=", number)]):
            raise UserError(_("Account number: %(number)s is already one of your accounts.",
                              number=bank_account.mask(number)))
        bank = request.env["res.bank"].sudo().search([("name", "=", form["bank_name"])], limit=1) or \
            request.env["res.bank"].sudo().create({"name": form["bank_name"]})
        return Bank.create({"partner_id": distributor.id, "acc_number": number,
                            "acc_holder_name": distributor.haoka_kyc_name, "bank_id": bank.id})

    @route(["/my/bank-accounts/<int:bank_id>/archive"], type="http", auth="user", website=True, methods=["POST"])
    def portal_haoka_bank_archive(self, bank_id, **kw):
        """Archive an own account that no unfinished withdrawal uses; another's answers 404."""
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        bank = self._haoka_banks(distributor).filtered(lambda b: b.id == bank_id)
        if not bank:
            raise request.not_found()
        withdrawals = bank._haoka_withdrawals_in_flight()
        if withdrawals:
            return self._haoka_render_banks(distributor, request.env._(
                "Account %(account)s is used by withdrawal %(withdrawals)s: cancel it or wait until it is paid "
                "before removing the account.", account=bank.haoka_acc_number_masked,
                withdrawals=", ".join(withdrawals.mapped("name"))))
        bank.action_archive()
        return request.redirect("/my/bank-accounts")
