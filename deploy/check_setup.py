# ruff: noqa: F821 - `env` is the odoo shell's
# Piped into `odoo shell` by deploy/check.sh: the admin password of this run, a portal user, a SIM plan.
import os

password = os.environ["HAOKA_DEPLOY_PASSWORD"]
env.ref("base.user_admin").password = password
portal = env["res.users"].with_context(no_reset_password=True).search([("login", "=", "deploy_portal")])
if not portal:
    portal = env["res.users"].with_context(no_reset_password=True).create({
        "name": "Deploy Check Portal", "login": "deploy_portal",
        "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
    })
portal.password = password
if not env["product.template"].search([("name", "=", "Deploy Check Plan")]):
    env["product.template"].create({"name": "Deploy Check Plan", "is_sim_card": True,
                                    "haoka_carrier_id": env.ref("haoka_distribution.carrier_cmcc").id})
env.cr.commit()
