"""18.0.1.1.0: distributors' real-name ID numbers become searchable by their exact value (``haoka.secret.mixin``):
hash the ID numbers already stored, from their ciphers."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._haoka_fill_secret_hashes()
