from odoo import api, fields, models


class HaokaSelectedCards(models.AbstractModel):
    """Wizards opened on SIM cards (list selection or a card's form) start with those cards in ``lot_ids``."""

    _name = "haoka.selected.cards"
    _description = "Wizard on Selected SIM Cards"

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "stock.lot" and self.env.context.get("active_ids"):
            values["lot_ids"] = [fields.Command.set(self.env.context["active_ids"])]
        return values
