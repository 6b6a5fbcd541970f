from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HaokaCardExportController(http.Controller):
    @http.route("/haoka_distribution/cards/export/<int:export_id>", type="http", auth="user", methods=["GET"])
    def download_card_export(self, export_id):
        """The workbook of a card export, built now and sent once: it is stored nowhere."""
        export = request.env["haoka.card.export"].browse(export_id)
        try:
            if not export.exists():
                raise NotFound()
            content, filename = export._haoka_workbook()
        except (AccessError, UserError):
            raise NotFound() from None
        export.unlink()
        return request.make_response(content, headers=[
            ("Content-Type", XLSX_MIMETYPE),
            ("Content-Disposition", content_disposition(filename)),
            ("Cache-Control", "no-store"),
        ])
