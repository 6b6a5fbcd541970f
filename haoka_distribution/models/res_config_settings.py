from odoo import api, fields, models

from .haoka_backup_run import DEFAULT_KEEP, default_backup_dir, passphrase_file
from .stock_picking import company_sends_delivery_sms


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    haoka_expiry_warning_days = fields.Integer(related="company_id.haoka_expiry_warning_days", readonly=False)
    haoka_hold_minutes = fields.Integer(related="company_id.haoka_hold_minutes", readonly=False)
    haoka_max_cards_per_id = fields.Integer(
        string="Cards per ID and Carrier",
        config_parameter="haoka_distribution.max_cards_per_id",
        default=5,
        help="一证五户: how many active cards one ID number may hold with one carrier.",
    )
    haoka_auto_receipt_days = fields.Integer(related="company_id.haoka_auto_receipt_days", readonly=False)
    haoka_activation_days = fields.Integer(related="company_id.haoka_activation_days", readonly=False)
    haoka_delivery_sms = fields.Boolean(
        string="SMS to Customers on Shipping",
        help="Text the customer (Odoo's delivery SMS, paid per message) when the SIM cards are shipped. Off until "
        "the company chooses it here or answers Odoo's SMS question in Inventory.",
    )

    haoka_background_import_rows = fields.Integer(
        related="company_id.haoka_background_import_rows", readonly=False,
        string="Background Import Above (rows)",
        help="Card files with more rows are imported in the background (0: never).",
    )
    # backups and the key: database-wide (one dump of the whole database), for administrators only
    haoka_backup_enabled = fields.Boolean(
        string="Scheduled Backups", groups="base.group_system",
        help="Back up the database, the filestore and the encryption key every day (the backup job).",
    )
    haoka_backup_dir = fields.Char(
        string="Backup Directory", config_parameter="haoka_distribution.backup_dir", groups="base.group_system",
        help="Where the encrypted archives are written; empty: 'backups' in Odoo's data directory.",
    )
    haoka_backup_keep = fields.Integer(
        string="Archives Kept", config_parameter="haoka_distribution.backup_keep", default=DEFAULT_KEEP,
        groups="base.group_system", help="The oldest archives beyond this number are deleted after each backup.",
    )
    haoka_backup_passphrase_hint = fields.Char(
        string="Backup Passphrase", compute="_compute_haoka_backup_hints", groups="base.group_system",
    )
    haoka_backup_dir_default = fields.Char(
        string="Default Backup Directory", compute="_compute_haoka_backup_hints", groups="base.group_system")

    def _compute_haoka_backup_hints(self):
        for settings in self:
            settings.haoka_backup_passphrase_hint = self.env._(
                "HAOKA_BACKUP_PASSPHRASE, else the file %(path)s (never in the database)", path=passphrase_file())
            settings.haoka_backup_dir_default = default_backup_dir()

    def _haoka_backup_cron(self):
        return self.env.ref("haoka_distribution.ir_cron_haoka_backup").sudo()

    def action_haoka_backup_now(self):
        run = self.env["haoka.backup.run"].action_backup_now()
        return {"type": "ir.actions.act_window", "res_model": "haoka.backup.run", "res_id": run.id,
                "view_mode": "form"}

    def action_haoka_rotate_key(self):
        rotation = self.env["haoka.key.rotation"].action_start()
        return {"type": "ir.actions.act_window", "res_model": "haoka.key.rotation", "res_id": rotation.id,
                "view_mode": "form"}

    @api.model
    def get_values(self):
        values = super().get_values()
        values["haoka_delivery_sms"] = company_sends_delivery_sms(self.env.company)
        if self.env.user.has_group("base.group_system"):
            values["haoka_backup_enabled"] = self._haoka_backup_cron().active
        return values

    def set_values(self):
        """The delivery SMS changes only when this setting was changed: saving the settings for anything else
        leaves the company's SMS choice (or its absence) as it was."""
        super().set_values()
        if self.env.user.has_group("base.group_system") and \
                self.haoka_backup_enabled != self._haoka_backup_cron().active:
            self._haoka_backup_cron().active = self.haoka_backup_enabled
        company = self.company_id
        if "stock_move_sms_validation" in company._fields and \
                self.haoka_delivery_sms != company_sends_delivery_sms(company):
            company.sudo().write({
                "stock_move_sms_validation": self.haoka_delivery_sms,
                "has_received_warning_stock_sms": True,
            })
