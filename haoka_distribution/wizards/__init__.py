from . import (
    haoka_card_carrier_event,
    haoka_card_export,
    haoka_card_import,
    haoka_card_transfer,
    haoka_card_void,
    haoka_commission_simulation,
    haoka_kyc_reject_wizard,
    haoka_refund_wizard,
    haoka_settlement_wizard,
    haoka_ship_wizard,
    haoka_upstream_report_import,
    haoka_withdrawal_payout,
    haoka_withdrawal_reason,
    haoka_withholding_ledger,
)

# isort: split
from . import (
    haoka_upstream_number_choose,  # issue 15: the upstream's number pool
    haoka_wallet_statement,
)
