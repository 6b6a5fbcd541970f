# Fed to `odoo shell` by scripts/demo.sh between installing base and the addon: the demo is a business in
# China, so Odoo's account module then installs the Chinese chart (l10n_cn) with CNY and Chinese VAT.
# (its name and address are the addon's demo data: Odoo's stock demo renames the main company)
company = env.ref("base.main_company")
company.write({
    "country_id": env.ref("base.cn").id,
    "currency_id": env.ref("base.CNY").id,  # before sale/product: their default pricelist is in CNY
})
company.partner_id.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
env["res.users"].with_context(active_test=False).search([]).write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
env.ref("base.user_admin").write({"name": "李明（管理员）"})
env.ref("base.partner_admin").write({"email": "liming@haoka.example.cn", "phone": "13816880001"})
env.cr.commit()
print("   company in %s, currency %s, users in zh_CN / Asia/Shanghai"
      % (company.country_id.code, company.currency_id.name))
