from . import (
    test_browser,
    test_card,
    test_card_export,
    test_card_import,
    test_card_transfer,
    test_carrier_plan,
    test_expiry,
    test_grade,
    test_i18n,
    test_sale_cards,
    test_secrets,
    test_sim_tools,
)
