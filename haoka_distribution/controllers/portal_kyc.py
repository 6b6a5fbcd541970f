"""实名认证: the distributor's real-name verification in the portal (legal name, ID number, ID photos front
and back), its review state and rejection reason; the photos are private attachments served only to the
distributor and to 号卡主管."""

import base64

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import UserError, ValidationError
from odoo.http import request, route

from ..tools import idcard, portal_images
from ..tools.groups import MANAGER_GROUP
from .portal import current_distributor

NAME_MAX = 64
SIDES = ("front", "back")


class HaokaPortalKyc(CustomerPortal):
    def _haoka_image_errors(self):
        env = request.env
        return {
            "empty": env._("Choose a photo."),
            "too_large": env._("The photo is larger than %(size)s MB.", size=portal_images.MAX_BYTES // (1024 * 1024)),
            "not_image": env._("The file is not a JPEG, PNG or WebP image."),
            "too_many_pixels": env._("The photo has too many pixels."),
        }

    def _haoka_kyc_values(self, distributor, errors=None, form=None):
        labels = dict(distributor._fields["haoka_kyc_state"]._description_selection(request.env))
        values = self._prepare_portal_layout_values()
        values.update({
            "distributor": distributor, "page_name": "haoka_kyc", "errors": errors or {}, "form": form or {},
            "state_label": labels.get(distributor.haoka_kyc_state),
            "editable": distributor.haoka_kyc_state in ("draft", "rejected"),
            "photos": [side for side in SIDES if distributor.sudo()["haoka_kyc_photo_" + side]],
        })
        return values

    @route(["/my/kyc"], type="http", auth="user", website=True, methods=["GET"])
    def portal_haoka_kyc(self, **kw):
        distributor = current_distributor()
        if not distributor:
            return request.redirect("/my")
        return request.render("haoka_distribution.portal_my_haoka_kyc", self._haoka_kyc_values(distributor))

    @route(["/my/kyc/submit"], type="http", auth="user", website=True, methods=["POST"])
    def portal_haoka_kyc_submit(self, name="", id_number="", **kw):
        distributor = current_distributor()
        if not distributor:
            return request.redirect("/my")
        if distributor.haoka_kyc_state not in ("draft", "rejected"):
            return request.redirect("/my/kyc")
        errors, photos = self._haoka_validate_kyc(name, id_number)
        if errors:
            return request.render("haoka_distribution.portal_my_haoka_kyc",
                                  self._haoka_kyc_values(distributor, errors, {"name": name}))
        partner = distributor.sudo()
        try:
            with request.env.cr.savepoint():
                self._haoka_save_kyc(partner, name, id_number, photos)
        except (UserError, ValidationError) as error:
            return request.render("haoka_distribution.portal_my_haoka_kyc",
                                  self._haoka_kyc_values(distributor, {"id_number": str(error)}, {"name": name}))
        return request.redirect("/my/kyc")

    @staticmethod
    def _haoka_save_kyc(partner, name, id_number, photos):
        """Write the real-name data and the photos (private: see ``haoka_kyc_photo_*``), submit for review."""
        vals = {"haoka_kyc_name": name.strip(), "haoka_kyc_id_number": idcard.normalize_id(id_number)}
        vals.update({"haoka_kyc_photo_" + side: base64.b64encode(data) for side, data in photos})
        partner.write(vals)
        partner.action_haoka_kyc_submit()

    def _haoka_validate_kyc(self, name, id_number):
        """The form's errors by field, and the photos (side, bytes) when all is well."""
        env = request.env
        errors = {}
        name = (name or "").strip()
        if not name or len(name) > NAME_MAX:
            errors["name"] = env._("Enter your legal name (at most %(max)s characters).", max=NAME_MAX)
        number = idcard.normalize_id(id_number or "")
        if not number or idcard.resident_id_problem(number):
            errors["id_number"] = env._("Enter a valid 18-character resident ID number.")
        photos, messages = [], self._haoka_image_errors()
        for side in SIDES:
            upload = request.httprequest.files.get("photo_" + side)
            data = upload.read(portal_images.MAX_BYTES + 1) if upload else b""
            problem = portal_images.image_problem(data)
            if problem:
                errors["photo_" + side] = messages[problem]
            else:
                photos.append((side, data))
        return errors, photos

    @route(["/my/kyc/photo/<int:partner_id>/<string:side>"], type="http", auth="user", website=True,
           readonly=True)
    def portal_haoka_kyc_photo(self, partner_id, side, **kw):
        """An ID photo, for its owner and 号卡主管 only (404 for anyone else: its existence is not told)."""
        partner = request.env["res.partner"].browse(partner_id)
        allowed = side in SIDES and partner and (
            partner == current_distributor() or request.env.user.has_group(MANAGER_GROUP))
        data = allowed and partner.sudo().exists()["haoka_kyc_photo_" + side]
        if not data:
            raise request.not_found()
        raw = base64.b64decode(data)
        return request.make_response(raw, [
            ("Content-Type", portal_images.mimetype(raw)), ("Cache-Control", "private, no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ])
