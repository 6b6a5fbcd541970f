from odoo import fields, models
from odoo.exceptions import UserError


def company_sends_delivery_sms(company):
    """Whether ``company`` chose to text its customers when a delivery is validated. Odoo's stock_sms turns
    the option on by default and asks the question (its SMS wizard) on the first delivery: only a company
    that answered it (``has_received_warning_stock_sms``, also set by the SIM settings) with the option on
    sends SMS."""
    return bool(
        "stock_move_sms_validation" in company._fields
        and company.stock_move_sms_validation
        and company.has_received_warning_stock_sms
    )


class StockPicking(models.Model):
    _inherit = "stock.picking"

    haoka_courier_id = fields.Many2one("haoka.courier", string="Courier", tracking=True, copy=False)
    haoka_tracking_ref = fields.Char(string="Tracking Number", tracking=True, copy=False, index="btree_not_null")

    def _haoka_validation_context(self):
        """The context under which the addon validates a picking in full, with no wizard: no backorder
        (``skip_backorder``, ``picking_ids_not_to_backorder``), no immediate-transfer or expiry question
        (``skip_immediate``, ``skip_expired``), no SMS question and no SMS unless the company chose them
        (``skip_sms``)."""
        self.ensure_one()
        return {
            "skip_backorder": True,
            "picking_ids_not_to_backorder": self.ids,
            "skip_immediate": True,
            "skip_expired": True,
            "skip_sms": not company_sends_delivery_sms(self.company_id),
        }

    def _haoka_validate(self, error_message=None, **context):
        """Validate this picking through Odoo's ``button_validate`` whatever wizard it would open; the
        picking must end done (an action returned after that, e.g. printing, is ignored), otherwise a
        UserError says which picking and which step stopped it."""
        self.ensure_one()
        result = self.with_context(**self._haoka_validation_context(), **context).button_validate()
        if self.state != "done":
            step = (result.get("name") or result.get("res_model") or result.get("tag") or result.get("type")
                    if isinstance(result, dict) else result)
            message = error_message or self.env._("The transfer %(picking)s could not be validated.",
                                                  picking=self.name)
            raise UserError(message + " " + self.env._("Odoo stopped at: %(step)s", step=step))
        return result
