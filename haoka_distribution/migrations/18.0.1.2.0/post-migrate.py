"""Update to 18.0.1.2.0: the hold minutes, automatic receipt days, activation deadline and expiry warning
become settings of each company (``res.company``): the values set for the whole database
(``ir.config_parameter``) are given to every company, then the parameters are removed."""

from odoo import SUPERUSER_ID, api

MOVED = {
    "haoka_distribution.hold_minutes": "haoka_hold_minutes",
    "haoka_distribution.auto_receipt_days": "haoka_auto_receipt_days",
    "haoka_distribution.activation_days": "haoka_activation_days",
    "haoka_distribution.expiry_warning_days": "haoka_expiry_warning_days",
}


def company_values(env):
    """``{company field: value}`` of the parameters holding a number (at least the field's minimum)."""
    minimums = env["res.company"]._haoka_setting_minimums()
    values = {}
    for key, field_name in MOVED.items():
        value = env["ir.config_parameter"].get_param(key)
        if value and value.strip().isdigit():
            values[field_name] = max(int(value), minimums[field_name])
    return values


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    values = company_values(env)
    if values:
        env["res.company"].with_context(active_test=False).search([]).write(values)
    env["ir.config_parameter"].search([("key", "in", list(MOVED))]).unlink()
