from . import (
    haoka_carrier,
    haoka_number_grade,
    product_template,
    res_config_settings,
    stock_lot,
    stock_move_line,
)
