#!/usr/bin/env bash
# The gene-stage bag ablation (issue 14) on simulated bags, the figures of the README's bag section: simulates IMAGES
# BDGP-like images whose gene x range bags and CV terms are the real BDGP ones, runs `insitu bags ablate` (full method, one
# component off at a time, CNN-only mean) over SEEDS seeds, and copies ablation.json/.md into bench/results/ with the
# settings and the process's CPU and wall time.
#   bash bench/bags_ablation.sh [IMAGES=2000] [SEEDS=3] [PRESET=demo] [CONFIG.json]    (after `make setup`)
# BAGS_RESUME=1 continues an interrupted run (runs/bench-bags-IMAGES/ is kept between runs); INSITU=CMD runs another
# build of the command line (e.g. a copy, so that rebuilding the checkout cannot disturb a long run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="${1:-2000}"; seeds="${2:-3}"; preset="${3:-demo}"; config="${4:-}"
insitu="${INSITU:-$root/insitu}"
out="$root/runs/bench-bags-$images"
[[ -f "$out/data/manifest.csv" && "${BAGS_RESUME:-0}" == 1 ]] ||
  $insitu synth --out "$out/data" --preset bdgp-tiny --images "$images" --seed 1 >/dev/null
args=(bags ablate "$out/data/manifest.csv" --preset "$preset" --seeds "$seeds" --out "$out")
[[ -n "$config" ]] && args+=(--config "$(realpath "$config")")
[[ "${BAGS_RESUME:-0}" == 1 ]] && args+=(--resume)
/usr/bin/python3 - "$out" "$root/bench/results" "$images" "$seeds" "$preset" "${config:-}" "$insitu" "${args[@]}" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
out, results, images, seeds, preset, config, command = sys.argv[1:8]
start = time.time()
with open(os.path.join(out, "ablate.log"), "w") as log:
    subprocess.run(command.split() + sys.argv[8:], stdout=log, stderr=subprocess.STDOUT, check=True)
wall = time.time() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
user, system = usage.ru_utime, usage.ru_stime
table = json.load(open(os.path.join(out, "ablation.json")))
table["run"] = {"images": int(images), "seeds": int(seeds), "preset": preset, "config": config or None,
                "wall_seconds": int(wall), "cpu_seconds": round(user + system, 1), "nproc": os.cpu_count(),
                "load_average_at_end": os.getloadavg()[0]}
name = f"bags_ablation_{images}"
json.dump(table, open(os.path.join(results, name + ".json"), "w"), indent=2)
shutil.copy(os.path.join(out, "ablation.md"), os.path.join(results, name + ".md"))
print(open(os.path.join(out, "ablation.md")).read())
print(json.dumps(table["run"]))
PY
