from . import haoka_card_import, haoka_card_transfer
