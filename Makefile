# haoka_distribution: contributor commands. Odoo 18.0 must be at $(ODOO_PATH) (default /opt/odoo).
.PHONY: demo test lint i18n bench odoo-tests restore deploy-check screenshots

demo:  ## serve the addon with demo data on http://127.0.0.1:8069 (admin / admin)
	bash scripts/demo.sh

test:  ## ruff; fresh database; the whole suite (browser tests included) under Odoo's runner, then pytest-odoo
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

i18n:  ## re-export the .pot from haoka_test and merge it into zh_CN.po
	bash scripts/i18n.sh

bench:  ## fresh database haoka_bench, then the card import benchmarks (figures printed)
	bash scripts/bench.sh

odoo-tests:  ## Odoo's own sale, sale_stock, stock, stock_account, account, portal tests with the addon (about an hour)
	bash scripts/odoo_tests.sh $(ODOO_TEST_TAGS)

restore:  ## restore a backup archive into a new database, key included: make restore ARCHIVE=file.hkbk DB=name [DATA_DIR=dir]
	bash scripts/restore.sh "$(ARCHIVE)" "$(DB)" $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") $(if $(KEY_DIR),--key-dir "$(KEY_DIR)")

deploy-check:  ## odoo --workers=2 behind deploy/nginx.conf: a card import, a portal page, a webhook, the websocket (DB=an installed database)
	HAOKA_DEPLOY_REQUIRED=1 bash deploy/check.sh "$(DB)"

screenshots:  ## the README's screenshots (docs/screenshots/) in headless Chromium on the demo data (database haoka_screenshots)
	bash scripts/screenshots.sh
