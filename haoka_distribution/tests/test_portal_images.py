"""ID photos are accepted by their content (no database), and the referral QR code is a PNG."""

import io

from PIL import Image

from odoo.addons.haoka_distribution.tools import portal_images
from odoo.tests.common import BaseCase, tagged


def image_bytes(fmt, size=(20, 10)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, fmt)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestPortalImages(BaseCase):
    def test_images_by_content(self):
        self.assertIsNone(portal_images.image_problem(image_bytes("PNG")))
        self.assertIsNone(portal_images.image_problem(image_bytes("JPEG")))
        self.assertEqual(portal_images.mimetype(image_bytes("JPEG")), "image/jpeg")
        self.assertEqual(portal_images.image_problem(b""), "empty")
        self.assertEqual(portal_images.image_problem(b"%PDF-1.4 not an image"), "not_image")
        self.assertEqual(portal_images.image_problem(image_bytes("GIF")), "not_image")  # not an ID photo format
        self.assertEqual(portal_images.image_problem(image_bytes("PNG")[:40]), "not_image")  # truncated
        self.assertEqual(portal_images.image_problem(b"\x89PNG" + b"0" * portal_images.MAX_BYTES), "too_large")

    def test_qr_png(self):
        png = portal_images.qr_png("https://example.com/r/ABCD2345")
        with Image.open(io.BytesIO(png)) as image:
            self.assertEqual(image.format, "PNG")
            self.assertGreater(image.width, 100)
