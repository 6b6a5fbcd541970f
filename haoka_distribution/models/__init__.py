from . import (
    haoka_blacklist,
    haoka_carrier,
    haoka_courier,
    haoka_number_grade,
    product_template,
    res_config_settings,
    sale_order,
    sale_order_line,
    stock_lot,
    stock_move_line,
    stock_picking,
)
