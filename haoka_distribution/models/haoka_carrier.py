from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import sim, spreadsheet


class HaokaCarrier(models.Model):
    _name = "haoka.carrier"
    _description = "Carrier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Short unique code, e.g. CMCC.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    aliases = fields.Char(
        help="Other names card sheets give this carrier, separated by commas, e.g. 中国移动, 移动, CMCC, "
        "China Mobile. A sheet's carrier matches its name in any language, its code or an alias, whatever "
        "the case or width of the characters.",
    )
    iccid_prefixes = fields.Char(
        string="ICCID Prefixes",
        help="Issuer prefixes of the ICCIDs this carrier owns, separated by commas, e.g. 898600, 898602.",
    )
    number_segments = fields.Char(
        help="Mobile number segments (first three digits) of this carrier: single segments or ranges "
        "separated by commas, e.g. 134-139, 150-152, 187.",
    )
    iccid_check_policy = fields.Selection(
        [("strict", "Strict: reject"), ("warn", "Warn: accept and flag"), ("off", "Off")],
        string="ICCID Check Policy",
        default="warn",
        required=True,
        help="What a failed Luhn check digit does to an all-digit ICCID. Real Chinese ICCIDs sometimes "
        "carry hex letters or no check digit, hence the default 'warn'.",
    )
    plan_count = fields.Integer(compute="_compute_plan_count", string="Plans")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A carrier with this code already exists."),
    ]

    @api.constrains("iccid_prefixes")
    def _check_iccid_prefixes(self):
        for carrier in self:
            for prefix in sim.parse_prefixes(carrier.iccid_prefixes):
                if not prefix.startswith("89") or not all(c in "0123456789ABCDEF" for c in prefix):
                    raise ValidationError(
                        self.env._(
                            "Carrier %(carrier)s: ICCID prefix '%(prefix)s' is not valid: it must start "
                            "with 89 and hold only digits or A-F.",
                            carrier=carrier.name,
                            prefix=prefix,
                        )
                    )

    @api.constrains("number_segments")
    def _check_number_segments(self):
        for carrier in self:
            try:
                segments = sim.parse_segments(carrier.number_segments)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Carrier %(carrier)s: number segment '%(segment)s' is not valid: use three-digit "
                        "segments or ranges such as 134-139.",
                        carrier=carrier.name,
                        segment=error.args[0],
                    )
                ) from None
            bad = sorted(s for s in segments if len(s) != 3 or not s.startswith("1"))
            if bad:
                raise ValidationError(
                    self.env._(
                        "Carrier %(carrier)s: number segment '%(segment)s' is not valid: a segment is "
                        "three digits starting with 1.",
                        carrier=carrier.name,
                        segment=bad[0],
                    )
                )

    def _compute_plan_count(self):
        counts = dict(
            self.env["product.template"]._read_group(
                [("haoka_carrier_id", "in", self.ids)], ["haoka_carrier_id"], ["__count"]
            )
        )
        for carrier in self:
            carrier.plan_count = counts.get(carrier, 0)

    def _haoka_match_keys(self):
        """``{carrier: set of normalised names}``: its code, its aliases and its name in every language
        stored (installed or not), each compared after :func:`spreadsheet.header_key`."""
        stored_names = {}
        if self.ids:
            self.flush_model(["name"])
            self.env.cr.execute("SELECT id, name FROM haoka_carrier WHERE id = ANY(%s)", (self.ids,))
            stored_names = {carrier_id: list((names or {}).values()) for carrier_id, names in self.env.cr.fetchall()}
        return {
            carrier: {
                spreadsheet.header_key(name)
                for name in [carrier.code, *sim.parse_aliases(carrier.aliases), *stored_names.get(carrier.id, [])]
                if name and spreadsheet.header_key(name)
            }
            for carrier in self
        }

    def _segment_set(self):
        self.ensure_one()
        return sim.parse_segments(self.number_segments)

    def _owns_iccid(self, iccid):
        self.ensure_one()
        return any(iccid.startswith(prefix) for prefix in sim.parse_prefixes(self.iccid_prefixes))

    @api.model
    def _find_by_iccid(self, iccid):
        """The carrier whose issuer prefix matches ``iccid`` (longest prefix wins)."""
        best, best_len = self.browse(), 0
        for carrier in self.search([]):
            for prefix in sim.parse_prefixes(carrier.iccid_prefixes):
                if iccid.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = carrier, len(prefix)
        return best

    def action_view_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("haoka_distribution.action_haoka_plan")
        action["domain"] = [("haoka_carrier_id", "=", self.id)]
        action["context"] = dict(self.env.context, default_haoka_carrier_id=self.id, default_is_sim_card=True)
        return action
