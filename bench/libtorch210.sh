#!/usr/bin/env bash
# libtorch 2.10 (the native libraries of NuGet's TorchSharp-cpu 0.107.0, driven through TorchSharp's C# API by
# bench/libtorch210/) against Debian's libtorch 1.13 as InSitu runs it (bench/InSitu.Bench through InSitu's shim),
# on the same two models, batch 16 x 1 x 128 x 320, same thread count and glibc allocator settings, in interleaved
# rounds (each configuration runs both engines back to back, the order flipping every round). Writes
# bench/results/libtorch210.json (medians, min-max, per-round ratios 2.10/1.13, practicalities); each process's
# stderr goes to bench/results/libtorch210.log (ignored), every run's JSON line to libtorch210.runs.jsonl.
#   bash bench/libtorch210.sh        (after `make setup`; `make bench-libtorch210` does both)
# Knobs (environment): ROUNDS=5 TRAIN_ITERS=1 INFER_ITERS=2 WARMUP=1 MODELS="paper resnet18" THREADS=$(nproc)
#   BATCH=16 OUT=bench/results/libtorch210.json; ONLY="paper/train_fp32_nchw resnet18/..." runs just those pairs;
#   CONTROL=1 also times InSitu under the same private C/C++ runtime as 2.10 (paper model, two configurations).
#
# Why a private runtime: libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) and Debian 12's libstdc++ has 3.4.30.
# A newer libstdc++ alone does not help: Debian 13's needs glibc 2.38 (__isoc23_strtoul) and Debian 12 has 2.36.
# So the 2.10 process runs on Debian 13's libc6 + libstdc++6 + libgcc-s1, fetched with apt from Debian's archive
# into an ignored folder and started through that glibc's own loader. No binary is modified and nothing is
# installed system-wide. The loader copy sits in a folder that mirrors the dotnet root (host/ and shared/ linked),
# because the dotnet host finds its runtime next to /proc/self/exe, which is then the loader.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proj="$root/bench/libtorch210"
cache="$proj/cache"
rounds="${ROUNDS:-5}" train_iters="${TRAIN_ITERS:-1}" infer_iters="${INFER_ITERS:-2}" warmup="${WARMUP:-1}"
models="${MODELS:-paper resnet18}" threads="${THREADS:-$(nproc)}" control="${CONTROL:-1}" batch="${BATCH:-16}"
only="${ONLY:-}" out="$(realpath -m "${OUT:-$root/bench/results/libtorch210.json}")"
log="${out%.json}.log"
mkdir -p "$cache" "$(dirname "$out")"
: > "$log"
started=$(date +%s)

echo "== restore and build bench/libtorch210 (TorchSharp-cpu 0.107.0, into ignored folders)" >&2
dotnet build "$proj" -c Release -v quiet -nologo -clp:ErrorsOnly -p:RestorePackagesPath="$proj/packages" >&2
bench210="$proj/bin/Release/net10.0/linux-x64/LibTorch210.Bench.dll"
echo "== build bench/InSitu.Bench" >&2
dotnet build "$root/bench/InSitu.Bench" -c Release -v quiet -nologo -clp:ErrorsOnly >&2
insitu="$root/bench/InSitu.Bench/bin/Release/net10.0/InSitu.Bench.dll"

echo "== private Debian 13 C/C++ runtime for the 2.10 process" >&2
runtime="$cache/runtime"
if [[ ! -f "$runtime/versions.txt" ]]; then
  apt_dir="$cache/trixie-apt"
  rm -rf "$apt_dir" "$runtime"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$runtime/root" "$runtime/dotnet-root"
  keys=/usr/share/keyrings/debian-archive-trixie-stable.gpg,/usr/share/keyrings/debian-archive-trixie-automatic.gpg
  echo "deb [signed-by=$keys] http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir" -o Dir::State::status=/dev/null -o Acquire::Languages=none -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq >&2
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" download -qq libc6 libstdc++6 libgcc-s1 >&2)
  for deb in "$apt_dir"/*.deb; do
    dpkg-deb -x "$deb" "$runtime/root"
    echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $(stat -c %s "$deb")" >> "$runtime/versions.tmp"
  done
  cp "$runtime/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$runtime/dotnet-root/dotnet"
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  ln -s "$dotnet_root/host" "$runtime/dotnet-root/host"
  ln -s "$dotnet_root/shared" "$runtime/dotnet-root/shared"
  rm -rf "$apt_dir"
  mv "$runtime/versions.tmp" "$runtime/versions.txt"
fi
private_libs="$runtime/root/usr/lib/x86_64-linux-gnu"
on_private_runtime=("$runtime/dotnet-root/dotnet" --library-path "$private_libs" "$(readlink -f "$(command -v dotnet)")")

# Same for every process: all cores, and glibc keeping blocks up to 1 GiB on the heap (InSitu also sets these
# itself with mallopt; libtorch 2.10 gets them only from here).
export MALLOC_MMAP_THRESHOLD_=$((1 << 30)) MALLOC_TRIM_THRESHOLD_=$((1 << 30))
export OMP_NUM_THREADS="$threads" INSITU_THREADS="$threads"

# This checkout's InSitu.Bench may predate --fold and --precision (it then ignores them): compare only what it runs.
insitu_fold=0 insitu_precision=0
if grep -q 'GetValueOrDefault("fold"' "$root/bench/InSitu.Bench/Program.cs"; then insitu_fold=1; fi
if grep -q 'GetValueOrDefault("precision"' "$root/bench/InSitu.Bench/Program.cs"; then insitu_precision=1; fi

# name | libtorch 2.10 options | InSitu.Bench options ("-" where InSitu cannot run it like for like)
configs=(
  "train_fp32_nchw|--phase train --precision fp32 --channels-last 0|--phase train --precision fp32 --channels-last 0"
  "train_fp32_channels_last|--phase train --precision fp32 --channels-last 1|-"
  "train_bf16_nchw|--phase train --precision bf16 --channels-last 0|$( ((insitu_precision)) &&
    echo '--phase train --precision bf16 --channels-last 0' || echo -)"
  "infer_fp32_nchw|--phase infer --precision fp32 --fold 0 --channels-last 0|$( ((insitu_fold)) &&
    echo '--phase infer --fold 0 --channels-last 0' || echo -)"
  "infer_fp32_channels_last_folded|--phase infer --precision fp32 --fold 1 --channels-last 1|--phase infer --fold 1 --channels-last 1"
  "infer_bf16_channels_last_folded|--phase infer --precision bf16 --fold 1 --channels-last 1|--phase infer_bf16 --fold 1 --channels-last 1"
)
control_configs=" train_fp32_nchw infer_fp32_channels_last_folded "

runs="${out%.json}.runs.jsonl"
: > "$runs"
# run ROUND MODEL CONFIG RUNTIME-LABEL COMMAND...: one process; its JSON line, or its exit status and last stderr line
run() {
  local round=$1 model=$2 config=$3 label=$4
  shift 4
  local errfile="$cache/stderr.txt" rc=0 line
  echo "-- round $round $model $config $label" >> "$log"
  line=$(timeout 1200 "$@" 2> "$errfile" | tail -n 1) || rc=$?
  cat "$errfile" >> "$log"
  /usr/bin/python3 - "$round" "$model" "$config" "$label" "$rc" "$line" "$errfile" >> "$runs" <<'PY'
import json, sys
round_, model, config, label, rc, line, errfile = sys.argv[1:]
rec = {"round": int(round_), "model": model, "config": config, "runtime": label, "exit_code": int(rc)}
try:
    rec["result"] = json.loads(line) if int(rc) == 0 else None
except ValueError:
    rec["result"] = None
if rec["result"] is None:
    err = open(errfile, errors="replace").read().strip().splitlines()
    rec["stderr_tail"] = err[-3:]
print(json.dumps(rec))
PY
  echo "   $label $model $config rc=$rc $(tail -n 1 "$runs" | cut -c1-160)" >&2
}

# What the private glibc makes of the allocator variables (its loader lists the tunables in force).
private_tunables=$("$runtime/dotnet-root/dotnet" --list-tunables | grep -E 'malloc\.(mmap|trim)_threshold' | tr '\n' ';')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= rounds; r++)); do
  for model in $models; do
    for entry in "${configs[@]}"; do
      IFS='|' read -r name opts210 optsinsitu <<< "$entry"
      if [[ -n $only && " $only " != *" $model/$name "* ]]; then continue; fi
      case $name in train*) iters=$train_iters ;; *) iters=$infer_iters ;; esac
      common=(--model "$model" --iters "$iters" --warmup "$warmup" --batch "$batch")
      # shellcheck disable=SC2206
      a=(run "$r" "$model" "$name" libtorch-2.10 "${on_private_runtime[@]}" "$bench210" "${common[@]}" $opts210 --threads "$threads")
      if [[ $optsinsitu == "-" ]]; then
        "${a[@]}"
      else
        # shellcheck disable=SC2206
        b=(run "$r" "$model" "$name" insitu-1.13 dotnet "$insitu" "${common[@]}" $optsinsitu)
        if ((r % 2)); then "${a[@]}"; "${b[@]}"; else "${b[@]}"; "${a[@]}"; fi
      fi
      if ((control)) && [[ $model == paper && $control_configs == *" $name "* ]]; then
        # shellcheck disable=SC2086
        run "$r" "$model" "$name" insitu-1.13-private-runtime "${on_private_runtime[@]}" "$insitu" "${common[@]}" $optsinsitu
      fi
    done
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

pkgs="$proj/packages"
/usr/bin/python3 - "$runs" "$out" <<PY
import json, statistics, sys, collections, os, platform, datetime
runs = [json.loads(l) for l in open(sys.argv[1])]
groups = collections.defaultdict(list)
for r in runs:
    groups[(r["model"], r["config"], r["runtime"])].append(r)
def summary(rs):
    ok = [r for r in rs if r["result"] is not None]
    ips = [r["result"]["ips"] for r in ok]
    s = {"runs": len(rs), "ok": len(ok), "ips_runs": [round(v, 3) for v in ips]}
    if ips:
        s.update(median_ips=round(statistics.median(ips), 3), min_ips=round(min(ips), 3), max_ips=round(max(ips), 3))
    failed = [{"round": r["round"], "exit_code": r["exit_code"], "stderr_tail": r.get("stderr_tail")} for r in rs if r["result"] is None]
    if failed: s["failures"] = failed
    nan = [r["round"] for r in ok if r["result"].get("nan_loss")]
    if nan: s["nan_loss_rounds"] = nan
    dev = [r["result"]["max_rel_logit_deviation"] for r in ok
           if r["config"].startswith("infer") and "max_rel_logit_deviation" in r["result"]]
    if dev: s["max_rel_logit_deviation"] = max(dev)
    for key in ("autocast_seen", "output_dtype", "weights_channels_last", "threads"):
        seen = sorted({str(r["result"][key]) for r in ok if r["result"].get(key) is not None})
        if seen: s[key] = seen[0] if len(seen) == 1 else seen
    return s
results = []
for model, config in dict.fromkeys((m, c) for m, c, _ in groups):
    row = {"model": model, "config": config}
    for label in ("libtorch-2.10", "insitu-1.13", "insitu-1.13-private-runtime"):
        if (model, config, label) in groups:
            row[label] = summary(groups[(model, config, label)])
    a, b = row.get("libtorch-2.10", {}), row.get("insitu-1.13", {})
    if "median_ips" in a and "median_ips" in b:
        row["ratio_2.10_over_1.13"] = round(a["median_ips"] / b["median_ips"], 3)
        by_round = collections.defaultdict(dict)
        for r in groups[(model, config, "libtorch-2.10")] + groups[(model, config, "insitu-1.13")]:
            if r["result"] is not None: by_round[r["round"]][r["runtime"]] = r["result"]["ips"]
        paired = [v["libtorch-2.10"] / v["insitu-1.13"] for v in by_round.values() if len(v) == 2]
        row["paired_round_ratios"] = [round(p, 3) for p in paired]
        row["paired_ratio_min_max"] = [round(min(paired), 3), round(max(paired), 3)]
    elif "insitu-1.13" not in row:
        row["insitu-1.13"] = "not run: " + ("InSitu trains in NCHW only (channels-last backward corrupts the heap in "
            "libtorch 1.13, bench/channels_last_training_crash.py)" if "channels_last" in config and config.startswith("train")
            else "this checkout's InSitu.Bench has no option for it (--fold / --precision)")
    results.append(row)
def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs
               if not os.path.islink(os.path.join(d, f)))
nupkgs = [os.path.join(d, f) for d, _, fs in os.walk("$pkgs") for f in fs if f.endswith(".nupkg")]
mib = lambda n: round(n / 2**20, 1)
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "script": "bench/libtorch210.sh",
    "machine": {"cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
                "cores": os.cpu_count(), "loadavg_start": "$load_start", "loadavg_end": "$load_end"},
    "noise": "shared machine: other agents' builds and tests ran alongside (load average above); one process per "
             "timing, engines interleaved and order flipped each round; read medians and paired ratios, not single runs",
    "workload": {"batch": $batch, "input": [1, 128, 320], "threads": $threads, "rounds": $rounds, "train_iters": $train_iters,
                 "infer_iters": $infer_iters, "warmup": $warmup, "only": "$only" or "all",
                 "train": "SGD lr 0.001 momentum 0.9 weight decay 5e-4, cross-entropy; bf16 = CPU autocast around forward+loss",
                 "infer": "eval, inference mode; folded = BN folded into conv weights; bf16 = CPU autocast",
                 "allocator": "MALLOC_MMAP_THRESHOLD_ = MALLOC_TRIM_THRESHOLD_ = 1 GiB for every process",
                 "allocator_in_private_glibc": "$private_tunables"},
    "engines": {
        "libtorch-2.10": "TorchSharp-cpu 0.107.0 (libtorch 2.10.0 CPU, bundled oneDNN and libgomp) via TorchSharp's C# API, "
                         "bench/libtorch210/; autocast via libtorch's at::autocast entry points (TorchSharp 0.107 has no "
                         "autocast API); channels-last by permuted strides (TorchSharp has no memory_format argument)",
        "insitu-1.13": "Debian libtorch1.13 $(dpkg-query -W -f='${Version}' libtorch1.13 2>/dev/null) through InSitu's shim, "
                       "bench/InSitu.Bench",
        "insitu-1.13-private-runtime": "control: the same InSitu.Bench started on the private Debian 13 glibc/libstdc++ "
                                       "runtime the 2.10 process uses, to show what the runtime alone changes",
        "insitu_bench_options": {"fold": bool($insitu_fold), "precision": bool($insitu_precision)},
    },
    "practicalities": {
        "nuget_download_mib": mib(sum(os.path.getsize(p) for p in nupkgs)),
        "nuget_packages": sorted(os.path.relpath(os.path.dirname(p), "$pkgs") for p in nupkgs),
        "unpacked_packages_mib": mib(du("$pkgs")),
        "build_output_mib": mib(du("$proj/bin")),
        "load_fix": "libLibTorchSharp.so needs GLIBCXX_3.4.32; Debian 12 has 3.4.30, and Debian 13's libstdc++6 needs "
                    "glibc 2.38 (__isoc23_strtoul). The 2.10 process runs on Debian 13's libc6, libstdc++6 and "
                    "libgcc-s1 (apt download into bench/libtorch210/cache, started through their ld.so with "
                    "--library-path): no ELF patching, nothing installed system-wide",
        "private_runtime_debs": open("$runtime/versions.txt").read().split("\n")[:-1],
        "seconds_total": $(( $(date +%s) - started )),
    },
}
json.dump({"meta": meta, "results": results}, open(sys.argv[2], "w"), indent=2)
print(json.dumps(results, indent=1))
PY
echo "wrote $out" >&2
