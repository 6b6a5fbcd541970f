from odoo import api, fields, models

#: what an upstream status means to us
UPSTREAM_EVENTS = [
    ("shipped", "Shipped by Upstream"),
    ("activated", "Activated"),
    ("first_topup", "First Top-up"),
    ("in_service", "In Service"),
    ("suspended", "Suspended"),
    ("closed", "Closed"),
    ("rejected", "Rejected"),
    ("ignored", "Ignored"),
]


class HaokaUpstreamStatusMap(models.Model):
    """One status of a source (its code or text, e.g. ``3001`` or 已激活) and the event it means to us."""

    _name = "haoka.upstream.status.map"
    _description = "Upstream Status Mapping"
    _order = "source_id, code"

    source_id = fields.Many2one("haoka.upstream", string="Source", required=True, ondelete="cascade", index=True)
    code = fields.Char(string="Their Status", required=True, help="The code or text the source sends.")
    event = fields.Selection(UPSTREAM_EVENTS, string="Our Event", required=True)
    note = fields.Char()

    _sql_constraints = [
        ("code_unique", "unique(source_id, code)", "This status is already mapped for this source."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("code"):
                vals["code"] = vals["code"].strip()
        return super().create(vals_list)
