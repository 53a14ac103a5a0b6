# InSitu: `make demo` and `make test` are all a new machine needs (Debian 12, root or sudo).
.PHONY: setup demo test bench fixtures clean

setup:
	@bash scripts/setup.sh

demo: setup
	./insitu demo

test: setup
	@bash scripts/test.sh

bench: setup
	/usr/bin/python3 bench/engine.py

# Regenerates the PyTorch parity fixtures (needs Debian's python3-torch, installed by setup).
fixtures: setup
	/usr/bin/python3 tests/fixtures/make_fixtures.py

clean:
	rm -rf native/build src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj
