from datetime import timedelta

from odoo import api, fields, models

DEFAULT_SEARCHES_PER_MINUTE = 20


class HaokaNumberSearchLog(models.Model):
    """One row per number search made in the portal (选号), to rate-limit each user: the number pool cannot
    be dumped by searching it over and over."""

    _name = "haoka.number.search.log"
    _description = "Portal Number Search Log"
    _log_access = False

    user_id = fields.Many2one("res.users", required=True, index=True, ondelete="cascade")
    searched_at = fields.Datetime(required=True, index=True, default=fields.Datetime.now)

    @api.model
    def _haoka_allow(self, user):
        """Log a search by ``user`` and tell whether it is within the per-minute limit
        (``haoka_distribution.portal_searches_per_minute``)."""
        limit = int(self.env["ir.config_parameter"].sudo().get_param(
            "haoka_distribution.portal_searches_per_minute", DEFAULT_SEARCHES_PER_MINUTE))
        since = fields.Datetime.now() - timedelta(minutes=1)
        recent = self.sudo().search_count([("user_id", "=", user.id), ("searched_at", ">=", since)])
        if recent >= limit:
            return False
        self.sudo().create({"user_id": user.id})
        return True

    @api.autovacuum
    def _gc_old_searches(self):
        self.sudo().search([("searched_at", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()
