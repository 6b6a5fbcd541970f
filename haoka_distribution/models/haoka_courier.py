from odoo import fields, models


class HaokaCourier(models.Model):
    _name = "haoka.courier"
    _description = "Courier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    tracking_url = fields.Char(
        string="Tracking URL", help="Link to follow a parcel; {ref} is replaced by the tracking number."
    )

    _sql_constraints = [("code_uniq", "unique(code)", "A courier with this code already exists.")]

    def _tracking_link(self, reference):
        self.ensure_one()
        return self.tracking_url.replace("{ref}", reference) if self.tracking_url and reference else False
