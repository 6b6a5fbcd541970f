from . import (
    haoka_card_carrier_event,
    haoka_card_export,
    haoka_card_import,
    haoka_card_transfer,
    haoka_commission_simulation,
    haoka_kyc_reject_wizard,
    haoka_refund_wizard,
    haoka_settlement_wizard,
    haoka_ship_wizard,
    haoka_upstream_report_import,
)
