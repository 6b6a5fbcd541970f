"""Images of the portal (no ORM): ID photos uploaded for real-name verification, accepted by their content,
never by their name or the type the browser claims; the referral QR code."""

import io

from PIL import Image

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def image_problem(data):
    """``None`` when ``data`` is a JPEG, PNG or WebP image of at most :data:`MAX_BYTES`, else a problem
    code: 'empty', 'too_large', 'not_image', 'too_many_pixels'."""
    if not data:
        return "empty"
    if len(data) > MAX_BYTES:
        return "too_large"
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                return "not_image"
            if image.width * image.height > MAX_PIXELS:
                return "too_many_pixels"
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "not_image"
    return None


def mimetype(data):
    """The mimetype of an image :func:`image_problem` accepted."""
    with Image.open(io.BytesIO(data)) as image:
        return FORMATS[image.format]


def qr_png(text, box_size=8):
    """``text`` as a QR code PNG (the ``qrcode`` package Odoo requires: reportlab's PNG renderer is an
    optional backend not always installed)."""
    import qrcode

    image = qrcode.make(text, box_size=box_size, border=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
