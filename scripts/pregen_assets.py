# Run through `odoo shell`: build the web asset bundles once and commit them, so browser tests
# do not rebuild them inside each (rolled back) test transaction.
import time

start = time.time()
env["ir.qweb"]._pregenerate_assets_bundles()
env.cr.commit()
print("web assets generated in %.1f s" % (time.time() - start))
