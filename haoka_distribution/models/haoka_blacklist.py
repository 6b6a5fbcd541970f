from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import idcard, sim
from ..tools.groups import MANAGER_GROUP
from .haoka_secret_mixin import Secret


class HaokaBlacklist(models.Model):
    _name = "haoka.blacklist"
    _description = "Order Blacklist Entry"
    _inherit = ["mail.thread", "haoka.secret.mixin"]
    _order = "create_date desc, id desc"
    _haoka_secrets = {
        "id_number": Secret(cipher="id_cipher", hash="id_hash", normalize=idcard.normalize_id, mask=idcard.mask_id),
    }

    name = fields.Char(string="Holder Name", tracking=True, help="Blocks orders whose card holder has this name.")
    id_number = fields.Char(
        string="ID Number", compute="_compute_haoka_secret_masks", inverse="_inverse_id_number",
        search="_search_id_number", help="Blocks orders of this ID number. Stored encrypted; shown masked.",
    )
    id_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted ID Number")
    id_hash = fields.Char(index="btree_not_null", copy=False, groups=MANAGER_GROUP, string="ID Number Hash")
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

    def _inverse_id_number(self):
        self._haoka_write_secret("id_number")

    def _search_id_number(self, operator, value):
        return self._haoka_search_secret("id_number", operator, value)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("phone"):
                vals["phone"] = sim.normalize_msisdn(vals["phone"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("phone"):
            vals = dict(vals, phone=sim.normalize_msisdn(vals["phone"]))
        return super().write(vals)

    @api.model
    def _matches(self, name=None, id_hash=None, phones=(), address=None):
        """Active entries matching any of the order's data; ``id_hash``: a hash or the hashes of every key
        of the ring (during a key rotation)."""
        entries = self.sudo().search([])
        hits = self.browse()
        phones = {sim.normalize_msisdn(p) for p in phones if p}
        id_hashes = set(id_hash) if isinstance(id_hash, list | tuple) else {id_hash} - {None, False, ""}
        for entry in entries:
            if (
                (entry.name and name and entry.name.strip() == name.strip())
                or (entry.id_hash and entry.id_hash in id_hashes)
                or (entry.phone and entry.phone in phones)
                or (entry.address_fragment and address and entry.address_fragment.strip() in address)
            ):
                hits |= entry
        return hits
