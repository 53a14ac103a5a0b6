# InSitu: `make demo` and `make test` are all a new machine needs (Debian 12, root or sudo).
.PHONY: setup demo test fuzz bench bench-data bench-libtorch210 fixtures fixtures-mobilenet clean

setup:
	@bash scripts/setup.sh

demo: setup
	./insitu demo

test: setup
	@bash scripts/test.sh

# Gene-stage bags (METHODS.md section 5): the ablation of the CNN + BiLSTM method at demo scale (800 simulated images whose
# bags and CV terms are real BDGP ones, 40x120, 3 seeds); writes runs/demo-bags/report.html.
.PHONY: demo-bags
demo-bags: setup
	./insitu synth --out runs/demo-bags/data --preset bdgp-tiny --images 800 --seed 1
	./insitu bags ablate runs/demo-bags/data/manifest.csv --preset demo --seeds 3 --out runs/demo-bags
# CV-term annotation (METHODS.md section 4): 1,000 simulated BDGP-like images (real BDGP bags and terms), then sc, tl,
# tl+mtl and tl-random over 3 seeds with the layer comparison; writes runs/demo-terms/report.html. Needs the MobileNetV2
# weights that setup fetches (`./insitu weights get mobilenet_v2`).
.PHONY: demo-terms
demo-terms: setup
	./insitu synth --out runs/demo-terms/data --preset bdgp-small --images 1000 --seed 1
	./insitu terms compare runs/demo-terms/data/manifest.csv --out runs/demo-terms --preset demo --seeds 3

# A longer randomised run of the fuzz tests (a random seed, printed for replay; INSITU_FUZZ_SEED, INSITU_FUZZ_CASES)
# with the counts of clean, crashed, silently accepted and hung cases.
fuzz: setup
	@bash scripts/fuzz.sh

bench: setup
	/usr/bin/python3 bench/engine.py

# Data pipeline: loader throughput next to training, and how hard the simulator is for a small CNN.
bench-data: setup
	dotnet bench/InSitu.Bench/bin/Release/net10.0/InSitu.Bench.dll loader
	dotnet bench/InSitu.Bench/bin/Release/net10.0/InSitu.Bench.dll synth-difficulty

# libtorch 2.10 (NuGet TorchSharp-cpu 0.107.0, ~280 MB download, restored into bench/libtorch210/packages) against
# InSitu on Debian's libtorch 1.13, interleaved rounds; writes bench/results/libtorch210.json. Never part of setup/test.
bench-libtorch210: setup
	bash bench/libtorch210.sh

# Regenerates the reference fixtures: PyTorch parity (python3-torch, installed by setup), scikit-learn metrics and
# torchvision's VGG16/ResNets (python3-sklearn, python3-torchvision: installed here when missing; tests read the
# committed files and never need them).
fixtures: setup
	/usr/bin/python3 tests/fixtures/make_fixtures.py
	dpkg-query -W -f='$${Status}' python3-sklearn 2>/dev/null | grep -q "install ok installed" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-sklearn)
	/usr/bin/python3 tests/fixtures/make_sklearn_fixtures.py
	/usr/bin/python3 tests/fixtures/make_classic_fixtures.py
	dpkg-query -W -f='$${Status}' python3-torchvision 2>/dev/null | grep -q "install ok installed" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torchvision)
	/usr/bin/python3 tests/fixtures/make_torchvision_fixtures.py
	/usr/bin/python3 tests/fixtures/make_bags_fixtures.py

# TF.js's own outputs for the MobileNetV2 known-answer test: needs node, npm and the network (npm registry, apt).
fixtures-mobilenet:
	dpkg-query -W -f='$${Status}' python3-opencv 2>/dev/null | grep -q "install ok installed" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-opencv)
	bash tests/fixtures/make_mobilenet_fixture.sh

clean:
	rm -rf native/build src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj bench/libtorch210/packages bench/libtorch210/cache
