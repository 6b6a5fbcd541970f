from . import haoka_card_import
