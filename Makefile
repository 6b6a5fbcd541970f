# haoka_distribution: contributor commands. Odoo 18.0 must be at $(ODOO_PATH) (default /opt/odoo).
.PHONY: demo test lint i18n bench odoo-tests

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
