from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.card_xlsx import build_cards_xlsx
from ..tools.groups import MANAGER_GROUP


class HaokaCardExport(models.TransientModel):
    """号卡导出 of selected cards: the selection only. The workbook (PUK/PIN for 号卡主管) is built when its
    creator downloads it and sent without being stored (an attachment would keep the secrets in clear in the
    filestore, readable by anyone allowed to read its owner); the download consumes the selection."""

    _name = "haoka.card.export"
    _description = "SIM Card Export"

    lot_ids_text = fields.Text(string="Selected Card Ids", required=True)

    def _haoka_cards(self):
        self.ensure_one()
        ids = [int(lot_id) for lot_id in self.lot_ids_text.split(",") if lot_id]
        return self.env["stock.lot"].browse(ids)._haoka_sim_cards_only()

    def _haoka_download_url(self):
        self.ensure_one()
        return "/haoka_distribution/cards/export/%s" % self.id

    def _haoka_workbook(self):
        """``(xlsx bytes, file name)`` of the selection, read with the downloading user's rights: the
        creator of the export only."""
        self.ensure_one()
        if self.create_uid != self.env.user:
            raise UserError(self.env._("This export belongs to another user."))
        cards = self._haoka_cards()
        cards.check_access("read")
        with_secrets = self.env.user.has_group(MANAGER_GROUP)
        content = build_cards_xlsx(self.env, cards.ids, with_secrets)
        name = "号卡导出-%s.xlsx" % fields.Date.context_today(self).isoformat()
        return content, name
