import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    """Online top-up: a transaction flagged as a wallet top-up credits 预存款 when it is done and
    post-processed, once, however many notifications the provider sends (the credit's key is the payment)."""

    _inherit = "payment.transaction"

    haoka_wallet_topup = fields.Boolean(string="Wallet Top-up", readonly=True)

    @api.model
    def _haoka_create_topup(self, partner, amount, provider, payment_method=None):
        """A draft top-up transaction of ``amount`` for the distributor ``partner`` with ``provider``."""
        partner = partner.commercial_partner_id
        method = payment_method or provider.payment_method_ids[:1]
        return self.sudo().create({
            "provider_id": provider.id,
            "payment_method_id": method.id,
            "reference": self._compute_reference(provider.code, prefix=f"TOPUP-{partner.id}"),
            "amount": amount,
            "currency_id": provider.company_id.currency_id.id,
            "partner_id": partner.id,
            "operation": "online_direct",
            "haoka_wallet_topup": True,
        })

    def _post_process(self):
        super()._post_process()
        for tx in self.filtered(lambda t: t.state == "done" and t.haoka_wallet_topup and t.payment_id):
            if tx.partner_id.commercial_partner_id.haoka_is_distributor:
                tx.payment_id.sudo()._haoka_wallet_topup()
            else:  # no wallet to credit: the payment stays an advance on the receivable
                _logger.warning("Top-up %s: %s is not a distributor, no wallet credited.", tx.reference,
                                tx.partner_id.display_name)
