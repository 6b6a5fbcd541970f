"""The demo's payment provider: Odoo's Demo provider usable in Chinese."""

import re

from odoo import api, models


class HaokaDemo(models.AbstractModel):
    _inherit = "haoka.demo"

    @api.model
    def _haoka_restore_payment_demo_values(self):
        """Odoo 18's Chinese translation of ``payment_demo`` translates the values of the Demo provider's
        "Payment Status" options (``done`` → 完成, ...): in Chinese every demo payment then ends in error
        ("您选择了以下演示付款状态：完成"). Put the source's option values back into every translation of that
        template (nothing to do when payment_demo is not installed); True when a translation was fixed."""
        view = self.env.ref("payment_demo.payment_details", raise_if_not_found=False)
        if not view:
            return False
        option = re.compile(r'(<option value=")([^"]*)(")')
        fixes = {}
        for term in view.get_field_translations("arch_db")[0]:
            values = [match[1] for match in option.findall(term["source"])]
            if not term["value"] or len(option.findall(term["value"])) != len(values):
                continue
            restored = iter(values)
            fixed = option.sub(lambda match, restored=restored: match[1] + next(restored) + match[3], term["value"])
            if fixed != term["value"]:
                fixes.setdefault(term["lang"], {})[term["source"]] = fixed
        if fixes:
            view.sudo().update_field_translations("arch_db", fixes)
            self.env.registry.clear_cache("templates")
        return bool(fixes)
