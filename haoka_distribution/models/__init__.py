from . import haoka_secret_mixin  # first: the models below inherit it

# isort: split
from . import (
    haoka_blacklist,
    haoka_carrier,
    haoka_commission_line,
    haoka_commission_rule,
    haoka_commission_settlement,
    haoka_courier,
    haoka_number_grade,
    haoka_order_chain,
    haoka_selected_cards,
    product_template,
    res_config_settings,
    res_partner,
    sale_order,
    sale_order_line,
    stock_lot,
    stock_move,
    stock_move_line,
    stock_picking,
)
