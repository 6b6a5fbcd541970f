"""The addon's security groups (``security/haoka_security.xml``) by XML id: the one place Python code
names them (``fields.X(groups=...)``, ``user.has_group(...)``, test users)."""

#: 号卡业务员: cards, plans and orders; PUK/PIN and ID numbers masked
USER_GROUP = "haoka_distribution.group_haoka_user"
#: 号卡主管: configuration, real-name reviews, and the only group that may reveal secrets (each reveal logged)
MANAGER_GROUP = "haoka_distribution.group_haoka_manager"
#: 号卡财务: settlements, wallets, withdrawals and refunds
FINANCE_GROUP = "haoka_distribution.group_haoka_finance"
#: who sees commission lines, settlements and commission amounts (a ``groups=`` value)
COMMISSION_GROUPS = f"{MANAGER_GROUP},{FINANCE_GROUP}"
