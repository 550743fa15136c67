.PHONY: run test setup lint
run:    ## install, migrate, demo data, serve on http://127.0.0.1:8000
	bash scripts/run.sh
test:   ## install and run the whole test suite
	bash scripts/test.sh
setup:
	bash scripts/setup.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
