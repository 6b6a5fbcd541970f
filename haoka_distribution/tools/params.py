"""Settings stored as ``ir.config_parameter`` (no model of their own)."""


def int_param(env, key, default, minimum=0):
    """The integer setting ``key``, at least ``minimum``; ``default`` when unset or not a number."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return max(int(value), minimum)
    except (TypeError, ValueError):
        return default
