from . import card_export
