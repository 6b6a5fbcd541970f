"""我的钱包, 充值 and 提现: a distributor's balances and ledger, the online top-up, and its withdrawals (a draft
shows the fee, the tax and the net amount before it is submitted). Every amount typed in is checked here
(a number, above zero, at most two decimals); the finance rules are the withdrawal model's."""

import re

from werkzeug.urls import url_encode

from odoo import Command, fields
from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request, route

from .portal import HaokaPortalHome, current_distributor, distributor_or_redirect

AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_amount(text):
    """The amount typed in ``text`` as a float; ``UserError`` naming the value when it is not a number,
    not above zero or has more than two decimals."""
    _ = request.env._
    value = (text or "").strip().replace(",", "")
    if not re.match(r"^-?\d+(\.\d+)?$", value):
        raise UserError(_("Amount: %(value)s is not a number.", value=text or "-"))
    if not AMOUNT.match(value):
        if value.startswith("-"):
            raise UserError(_("Amount: %(value)s must be above zero.", value=text))
        raise UserError(_("Amount: %(value)s has more than two decimals.", value=text))
    amount = float(value)
    if amount <= 0:
        raise UserError(_("Amount: %(value)s must be above zero.", value=text))
    return amount


def wallet_types():
    return request.env["haoka.wallet.type"].sudo().search([("company_id", "=", request.env.company.id)])


def wallet_figures(distributor):
    """[(wallet type, {balance, held, available, total})] of the distributor's wallets."""
    return [(wallet_type, distributor.sudo()._haoka_wallet_balance(wallet_type)) for wallet_type in wallet_types()]


class HaokaPortalWalletHome(HaokaPortalHome):
    def _haoka_home_values(self, distributor):
        """The home's to-dos also list the withdrawals rejected in the last 30 days, with the reason."""
        values = super()._haoka_home_values(distributor)
        rejected = request.env["haoka.withdrawal"].search([
            ("partner_id", "=", distributor.id), ("state", "=", "rejected"),
            ("write_date", ">=", fields.Datetime.subtract(fields.Datetime.now(), days=30))], limit=5)
        values["haoka_todos"] = values.get("haoka_todos", []) + [
            (request.env._("Withdrawal %(name)s was rejected: %(reason)s", name=withdrawal.name,
                           reason=withdrawal.reject_reason or "-"), f"/my/withdrawals/{withdrawal.id}")
            for withdrawal in rejected]
        return values

    def _haoka_portal_money_values(self, distributor):
        values = super()._haoka_portal_money_values(distributor)
        currency = request.env.company.currency_id
        figures = wallet_figures(distributor)
        tiles = [{"title": wallet_type.name, "amount": figure["balance"], "url": "/my/wallet", "icon": "fa-money",
                  "detail": currency.format(figure["balance"])} for wallet_type, figure in figures]
        withdrawable = sum(figure["available"] for wallet_type, figure in figures
                           if wallet_type.withdrawable and figure["available"] > 0)
        tiles.append({"title": request.env._("Available to Withdraw"), "amount": withdrawable,
                      "url": "/my/withdrawals/new", "icon": "fa-bank", "detail": currency.format(withdrawable)})
        values["haoka_money_tiles"] = values.get("haoka_money_tiles", []) + tiles
        return values


class HaokaPortalWallet(CustomerPortal):
    _haoka_step = 20  # ledger lines and withdrawals per page (a phone screen or two)

    # ------------------------------------------------------------------ 我的钱包

    @route(["/my/wallet", "/my/wallet/page/<int:page>"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_wallet(self, page=1, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        Movement = request.env["haoka.wallet.transaction"]
        domain = [("partner_id", "=", distributor.id), ("state", "=", "posted")]
        pager = portal_pager(url="/my/wallet", total=Movement.search_count(domain), page=page,
                             step=self._haoka_step)
        values = self._prepare_portal_layout_values()
        values.update({
            "figures": wallet_figures(distributor), "page_name": "haoka_wallet", "pager": pager,
            "movements": Movement.search(domain, limit=self._haoka_step, offset=pager["offset"]),
            "currency": request.env.company.currency_id,
        })
        return request.render("haoka_distribution.portal_my_haoka_wallet", values)

    @route(["/my/wallet/movement/<int:movement_id>"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_wallet_movement(self, movement_id, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        movement = self._haoka_own_or_404("haoka.wallet.transaction", movement_id, distributor)
        values = self._prepare_portal_layout_values()
        values.update({"movement": movement, "page_name": "haoka_wallet_movement"})
        return request.render("haoka_distribution.portal_my_haoka_wallet_movement", values)

    def _haoka_own_or_404(self, model, record_id, distributor):
        """The record if the portal user may read it and it is the distributor's; else 404 (not 403: another
        distributor's ids are not confirmed to exist)."""
        try:
            record = self._document_check_access(model, record_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if record.partner_id.commercial_partner_id != distributor:
            raise request.not_found()
        return record

    # ------------------------------------------------------------------ 充值

    @route(["/my/wallet/topup"], type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_haoka_topup(self, amount=None, **kw):
        """The amount form; posted (CSRF checked by Odoo) and valid, Odoo's payment page for that amount,
        whose transactions are made by :meth:`portal_haoka_topup_transaction`."""
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_topup", "amount": amount or "", "error": None})
        if request.httprequest.method == "POST":
            try:
                value = parse_amount(amount)
            except UserError as error:
                values["error"] = error.args[0]
            else:
                currency = request.env.company.currency_id
                partner = request.env.user.partner_id
                return request.redirect("/payment/pay?" + url_encode({
                    "amount": value, "currency_id": currency.id, "partner_id": partner.id,
                    "reference": f"TOPUP-{distributor.id}", "haoka_topup": 1,
                    "access_token": payment_utils.generate_access_token(partner.id, value, currency.id),
                }))
        return request.render("haoka_distribution.portal_my_haoka_topup", values)

    # ------------------------------------------------------------------ 提现

    @route(["/my/withdrawals", "/my/withdrawals/page/<int:page>"], type="http", auth="user", website=True,
           methods=["GET"])
    def portal_haoka_withdrawals(self, page=1, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        Withdrawal = request.env["haoka.withdrawal"]
        domain = [("partner_id", "=", distributor.id)]
        pager = portal_pager(url="/my/withdrawals", total=Withdrawal.search_count(domain), page=page,
                             step=self._haoka_step)
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_withdrawals", "pager": pager,
                       "withdrawals": Withdrawal.search(domain, limit=self._haoka_step, offset=pager["offset"])})
        return request.render("haoka_distribution.portal_my_haoka_withdrawals", values)

    @route(["/my/withdrawals/new"], type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_haoka_withdrawal_new(self, amount=None, bank_id=None, invoice_ref=None, **kw):
        """The form; posted, a draft is made with its fee, tax and net amount, shown before submitting."""
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        banks = request.env["res.partner.bank"].sudo().search([
            ("partner_id.commercial_partner_id", "=", distributor.id), ("allow_out_payment", "=", True)])
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_withdrawal_new", "banks": banks, "amount": amount or "",
                       "bank_id": bank_id, "invoice_ref": invoice_ref or "", "distributor": distributor,
                       "figures": wallet_figures(distributor), "error": None})
        if request.httprequest.method == "POST":
            try:
                withdrawal = self._haoka_draft_withdrawal(distributor, amount, bank_id, invoice_ref, banks)
                return request.redirect(f"/my/withdrawals/{withdrawal.id}")
            except UserError as error:
                values["error"] = error.args[0]
        return request.render("haoka_distribution.portal_my_haoka_withdrawal_new", values)

    def _haoka_draft_withdrawal(self, distributor, amount, bank_id, invoice_ref, banks):
        _ = request.env._
        if distributor.haoka_distributor_state != "active":
            raise UserError(_("Your account is suspended: you can read your wallet but not withdraw."))
        value = parse_amount(amount)
        bank = banks.filtered(lambda b: str(b.id) == (bank_id or "").strip())
        if not bank:
            raise UserError(_("Bank account: choose one of your verified bank accounts."))
        wallet_type = request.env["haoka.withdrawal"].sudo()._default_wallet_type()
        with request.env.cr.savepoint():
            withdrawal = request.env["haoka.withdrawal"].sudo().create({
                "partner_id": distributor.id, "wallet_type_id": wallet_type.id, "amount": value,
                "partner_bank_id": bank.id, "invoice_ref": (invoice_ref or "").strip() or False,
            })
            withdrawal._haoka_compute_deductions()
        return withdrawal

    @route(["/my/withdrawals/<int:withdrawal_id>"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_withdrawal(self, withdrawal_id, error=None, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        withdrawal = self._haoka_own_or_404("haoka.withdrawal", withdrawal_id, distributor)
        return self._haoka_render_withdrawal(withdrawal, error)

    def _haoka_render_withdrawal(self, withdrawal, error=None):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_withdrawal", "withdrawal": withdrawal, "error": error,
                       "bank": withdrawal.sudo().partner_bank_id})
        return request.render("haoka_distribution.portal_my_haoka_withdrawal", values)

    @route(["/my/withdrawals/<int:withdrawal_id>/<any(submit, cancel):action>"], type="http", auth="user",
           website=True, methods=["POST"])
    def portal_haoka_withdrawal_action(self, withdrawal_id, action, **kw):
        """Submit a draft (holds the amount) or cancel a request not approved yet; the ownership is
        checked here, the model's rules under sudo (a portal user cannot write withdrawals)."""
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        withdrawal = self._haoka_own_or_404("haoka.withdrawal", withdrawal_id, distributor)
        try:
            with request.env.cr.savepoint():
                if action == "submit":
                    withdrawal.sudo().action_submit()
                else:
                    withdrawal.sudo().action_cancel()
        except UserError as error:
            return self._haoka_render_withdrawal(withdrawal, error.args[0])
        return request.redirect(f"/my/withdrawals/{withdrawal.id}")


class HaokaPortalTopupPayment(PaymentPortal):
    """Odoo's payment page used for a top-up: its transactions go through our route, which flags them as
    wallet top-ups of the distributor (credited when the payment is confirmed)."""

    def _get_extra_payment_form_values(self, **kwargs):
        values = super()._get_extra_payment_form_values(**kwargs)
        if kwargs.get("haoka_topup") and current_distributor():
            values.update({"transaction_route": "/my/wallet/topup/transaction", "landing_route": "/my/wallet"})
        return values

    @route("/my/wallet/topup/transaction", type="json", auth="user")
    def portal_haoka_topup_transaction(self, amount, access_token, currency_id=None, partner_id=None, **kwargs):
        """Odoo's payment form sends the currency, the partner and the reference prefix to its generic route
        only: here they are the user's, in the company's currency (the access token was made for them)."""
        distributor = current_distributor()
        currency_id = currency_id or request.env.company.currency_id.id
        partner_id = partner_id or request.env.user.partner_id.id
        kwargs.setdefault("reference_prefix", f"TOPUP-{distributor.id}" if distributor else None)
        amount = amount and float(amount)
        if not distributor or partner_id != request.env.user.partner_id.id or not amount or amount <= 0 or \
                not payment_utils.check_access_token(access_token, partner_id, amount, currency_id):
            raise ValidationError(request.env._("The access token is invalid."))
        self._validate_transaction_kwargs(kwargs, additional_allowed_keys=("reference_prefix",))
        tx_sudo = self._create_transaction(
            amount=amount, currency_id=currency_id, partner_id=distributor.id,
            custom_create_values={"haoka_wallet_topup": True}, **kwargs)
        return tx_sudo._get_processing_values()


# ---------------------------------------------------------------------- 对账单 (statement download)

STATEMENT_FORMATS = ("xlsx", "pdf")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text, label):
    """The date typed in ``text`` (YYYY-MM-DD); ``UserError`` naming the field and the value otherwise."""
    _ = request.env._
    value = (text or "").strip()
    if not value:
        raise UserError(_("%(field)s: enter a date (YYYY-MM-DD).", field=label))
    try:
        if not DATE.match(value):
            raise ValueError(value)
        return fields.Date.to_date(value)
    except ValueError:
        raise UserError(_("%(field)s: %(value)s is not a date (YYYY-MM-DD).", field=label, value=value)) from None


def parse_period(date_from, date_to):
    """(date from, date to) of the statement form; ``UserError`` with a clear message when it is not a period."""
    _ = request.env._
    start, end = parse_date(date_from, _("Date From")), parse_date(date_to, _("Date To"))
    if start > end:
        raise UserError(_("The period starts on %(date_from)s, after its end on %(date_to)s.",
                          date_from=start, date_to=end))
    return start, end


class HaokaPortalWalletStatement(HaokaPortalWallet):
    """对账单: a distributor downloads the statement of its own wallets (or of one of them) for a period, as
    .xlsx or PDF. Read-only, so a GET; another distributor's wallet id or partner id answers 404, and the
    statement record is made as the portal user (its record rule allows only its own)."""

    @route(["/my/wallet/statement", "/my/wallet/<int:wallet_id>/statement"], type="http", auth="user",
           website=True, methods=["GET"])
    def portal_haoka_wallet_statement(self, wallet_id=None, date_from=None, date_to=None, file_format=None,
                                      partner_id=None, **kw):
        distributor, redirect = distributor_or_redirect()
        if redirect:
            return redirect
        if partner_id and partner_id != str(distributor.id):
            return request.not_found()
        wallet = self._haoka_own_or_404("haoka.wallet", wallet_id, distributor) if wallet_id else None
        today = fields.Date.context_today(distributor)
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "haoka_wallet_statement", "wallet": wallet, "error": None,
                       "date_from": date_from or str(today.replace(day=1)), "date_to": date_to or str(today)})
        if not file_format:
            return request.render("haoka_distribution.portal_my_haoka_wallet_statement", values)
        try:
            if file_format not in STATEMENT_FORMATS:
                raise UserError(request.env._("Format: choose Excel (xlsx) or PDF."))
            start, end = parse_period(date_from, date_to)
        except UserError as error:
            values["error"] = error.args[0]
            return request.render("haoka_distribution.portal_my_haoka_wallet_statement", values, status=400)
        statement = request.env["haoka.wallet.statement"].create({
            "partner_id": distributor.id, "date_from": start, "date_to": end,
            "company_id": request.env.company.id,
            "wallet_type_ids": [Command.set(wallet.sudo().wallet_type_id.ids)] if wallet else [],
        })
        return self._haoka_statement_response(statement, file_format)

    def _haoka_statement_response(self, statement, file_format):
        """The statement's file (PDF rendered by its QWeb report; HTML when Odoo runs its tests)."""
        if file_format == "xlsx":
            content = statement._haoka_xlsx()
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            content, kind = request.env["ir.actions.report"]._render_qweb_pdf(
                "haoka_distribution.action_report_haoka_wallet_statement", statement.ids)
            content_type = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
        return request.make_response(content, headers=[
            ("Content-Type", content_type), ("Content-Length", len(content)),
            ("Content-Disposition", content_disposition(statement._haoka_filename(file_format))),
        ])
