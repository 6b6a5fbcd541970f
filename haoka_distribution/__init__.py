from . import controllers, models, report, wizards


def _haoka_post_init(env):
    """Distributor wallets for the companies that already have a chart of accounts."""
    env["haoka.wallet.type"]._haoka_setup_all_companies()
