from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import idcard, secrets, sim


class HaokaBlacklist(models.Model):
    _name = "haoka.blacklist"
    _description = "Order Blacklist Entry"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(string="Holder Name", tracking=True, help="Blocks orders whose card holder has this name.")
    id_number = fields.Char(
        string="ID Number", compute="_compute_id_number", inverse="_inverse_id_number",
        help="Blocks orders of this ID number. Stored encrypted; shown masked.",
    )
    id_cipher = fields.Char(groups="haoka_distribution.group_haoka_manager", copy=False, string="Encrypted ID Number")
    id_hash = fields.Char(
        index="btree_not_null", copy=False, groups="haoka_distribution.group_haoka_manager", string="ID Number Hash"
    )
    phone = fields.Char(tracking=True, help="Blocks orders whose holder or customer has this phone number.")
    address_fragment = fields.Char(
        tracking=True, help="Blocks orders whose delivery address contains this text, e.g. a street and number.",
    )
    reason = fields.Text(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)

    @api.constrains("name", "id_hash", "phone", "address_fragment")
    def _check_something_to_match(self):
        for entry in self.sudo():
            if not (entry.name or entry.id_hash or entry.phone or entry.address_fragment):
                raise ValidationError(self.env._(
                    "A blacklist entry needs a name, an ID number, a phone number or an address fragment."
                ))

    def _compute_id_number(self):
        for entry in self:
            entry.id_number = idcard.mask_id(secrets.decrypt(entry.sudo().id_cipher)) or False

    def _inverse_id_number(self):
        for entry in self:
            value = idcard.normalize_id(entry.id_number)
            if value and "*" in value:
                continue
            entry.sudo().write({
                "id_cipher": secrets.encrypt(value) if value else False,
                "id_hash": secrets.search_hash(value) if value else False,
            })

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("phone"):
                vals["phone"] = sim.normalize_msisdn(vals["phone"])
        records = super().create(vals_list)
        records.invalidate_recordset(["id_number"])
        return records

    def write(self, vals):
        if vals.get("phone"):
            vals = dict(vals, phone=sim.normalize_msisdn(vals["phone"]))
        result = super().write(vals)
        if "id_number" in vals:
            self.invalidate_recordset(["id_number"])
        return result

    @api.model
    def _matches(self, name=None, id_hash=None, phones=(), address=None):
        """Active entries matching any of the order's data."""
        entries = self.sudo().search([])
        hits = self.browse()
        phones = {sim.normalize_msisdn(p) for p in phones if p}
        for entry in entries:
            if (
                (entry.name and name and entry.name.strip() == name.strip())
                or (entry.id_hash and id_hash and entry.id_hash == id_hash)
                or (entry.phone and entry.phone in phones)
                or (entry.address_fragment and address and entry.address_fragment.strip() in address)
            ):
                hits |= entry
        return hits
