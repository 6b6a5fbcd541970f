from . import haoka_secret_mixin  # first: the models below inherit it

# isort: split
from . import (
    haoka_backup_run,
    haoka_blacklist,
    haoka_card_import_job,
    haoka_carrier,
    haoka_commission_line,
    haoka_commission_rule,
    haoka_commission_settlement,
    haoka_courier,
    haoka_demo,
    haoka_demo_wallet,
    haoka_key_rotation,
    haoka_number_grade,
    haoka_number_search_log,
    haoka_order_chain,
    haoka_selected_cards,
    haoka_upstream,
    haoka_upstream_event,
    haoka_upstream_reconciliation,
    haoka_upstream_reconciliation_line,
    haoka_upstream_status_map,
    haoka_withholding_bracket,
    product_template,
    product_template_upstream,
    res_company,
    res_company_withdrawal,
    res_config_settings,
    res_config_settings_withdrawal,
    res_partner,
    res_partner_portal,
    res_users,
    sale_order,
    sale_order_compliance,
    sale_order_fulfilment,
    sale_order_line,
    sale_order_line_refund,
    sale_order_line_upstream,
    sale_order_refund,
    sale_order_upstream,
    stock_bulk,
    stock_lot,
    stock_lot_carrier_event,
    stock_lot_expiry,
    stock_lot_grade,
    stock_lot_upstream,
    stock_move,
    stock_move_line,
    stock_picking,
    stock_quant,
)

# isort: split
from . import (
    account_chart_template,
    account_move_wallet,
    account_payment,
    haoka_wallet,
    haoka_wallet_transaction,
    haoka_wallet_type,
    haoka_withdrawal,
    haoka_withdrawal_payment,
    haoka_withdrawal_rules,
    ir_http_upstream,
    payment_transaction,
    res_company_wallet,
    res_config_settings_wallet,
    res_partner_bank,
    res_partner_wallet,
    sale_order_wallet,
)

# isort: split
from . import (
    account_move_line,  # the finance views: the plan of a commission bill's line
    haoka_upstream_pool,  # issue 15: the upstream's number pool
    mail_thread_bulk,  # issue 15: tracking messages of many records at once
)
