"""Settings of the whole database stored as ``ir.config_parameter`` (the 一证五户 limit, a national rule).
The settings that differ per company are fields of ``res.company`` (``models/res_company.py``)."""


def int_param(env, key, default, minimum=0):
    """The integer setting ``key``, at least ``minimum``; ``default`` when unset or not a number."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return max(int(value), minimum) if value else default  # unset: False, which int() reads as 0
    except (TypeError, ValueError):
        return default
