from . import card_xlsx
