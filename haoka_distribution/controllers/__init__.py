from . import (
    card_export,
    portal,
    portal_bank,
    portal_commissions,
    portal_kyc,
    portal_order_new,
    portal_orders,
    portal_signup,
    portal_team,
    portal_wallet,
    upstream_webhook,
)
