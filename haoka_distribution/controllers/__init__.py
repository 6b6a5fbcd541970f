from . import card_export, upstream_webhook
