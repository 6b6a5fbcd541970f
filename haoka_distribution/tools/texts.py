"""The language of the texts the addon stores (chatter notes, activity summaries).

A user who acts writes them in the user's language (the context's). A scheduled job, a module install or
OdooBot acts with no language and would freeze them in English: they are written in the language of the
people who read them instead — an activity's assignee, else the company's internal users.
"""

from odoo import SUPERUSER_ID


def company_lang(env, company=None):
    """The language most internal users of ``company`` (default: the current one) work in."""
    company = company or env.company
    groups = env["res.users"].sudo()._read_group(
        [("share", "=", False), ("company_ids", "in", company.id), ("id", "!=", SUPERUSER_ID)],
        ["lang"], ["__count"], order="__count desc, lang",
    )
    return next((lang for lang, _count in groups if lang), None) or company.partner_id.lang or "en_US"


def lacks_lang(records):
    """True when ``records`` act with no language (a job, an install): see :func:`in_readers_lang`."""
    return not records.env.context.get("lang")


def in_readers_lang(records, user=None):
    """``records`` with the language the stored texts are written in: ``user``'s (a recipient) when
    given, else the acting user's, else the company's users' (:func:`company_lang`)."""
    lang = (user and user.lang) or records.env.context.get("lang") or company_lang(records.env)
    return records.with_context(lang=lang)
