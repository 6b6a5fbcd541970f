from . import haoka_secret_mixin  # first: the models below inherit it

# isort: split
from . import (
    haoka_blacklist,
    haoka_carrier,
    haoka_commission_line,
    haoka_commission_rule,
    haoka_commission_settlement,
    haoka_courier,
    haoka_demo,
    haoka_number_grade,
    haoka_order_chain,
    haoka_selected_cards,
    haoka_withholding_bracket,
    product_template,
    res_company_withdrawal,
    res_config_settings,
    res_config_settings_withdrawal,
    res_partner,
    sale_order,
    sale_order_compliance,
    sale_order_fulfilment,
    sale_order_line,
    sale_order_line_refund,
    sale_order_refund,
    stock_bulk,
    stock_lot,
    stock_lot_carrier_event,
    stock_lot_expiry,
    stock_lot_grade,
    stock_move,
    stock_move_line,
    stock_picking,
)

# isort: split
from . import (
    account_chart_template,
    account_move_wallet,
    account_payment,
    haoka_wallet,
    haoka_wallet_transaction,
    haoka_wallet_type,
    payment_transaction,
    res_company_wallet,
    res_partner_wallet,
    sale_order_wallet,
)
