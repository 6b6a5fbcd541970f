# Fed to `odoo shell` by scripts/demo.sh once Odoo's Demo payment provider (payment_demo) is installed: distributors
# top up their wallet online with it. Odoo 18's Chinese translation of payment_demo translates the values of its
# "Payment Status" options (done → 完成), so that every demo payment made in Chinese ends in error: put them back.
fixed = env["haoka.demo"]._haoka_restore_payment_demo_values()
env.cr.commit()
provider = env.ref("payment.payment_provider_demo")
print("   online top-up: Odoo's Demo provider (%s, published: %s)%s"
      % (provider.state, provider.is_published, ", Chinese option values restored" if fixed else ""))
