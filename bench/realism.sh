#!/usr/bin/env bash
# Realism before and after the realistic simulator (commit 3811fd8), measured by this build's `insitu synth --realism`.
#   bash bench/realism.sh [REAL_FOLDER] [COUNT] [SEED]
# The simulator as it was before 3811fd8 is the old source itself: `git archive 3811fd8^` (src/ and the build rules) is
# unpacked in a temporary folder and bench/realism/SimExport is built against it there; the same SimExport is built
# against this tree. Each writes COUNT raw frames (JPEG, the real photos' size) and COUNT standard views with their
# main-embryo masks, the layout `synth --realism --simulated DIR` reads, so both are measured by the same, current code
# against the same real photos. The old build loads this tree's native shim (INSITU_NATIVE_LIB): the shim only decodes and
# encodes images for it, the simulator is C#. Writes bench/results/realism.json and bench/results/realism.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REAL=${1:-../shared/data/bdgp-raw-photos}
COUNT=${2:-16}
SEED=${3:-1}
BEFORE=${REALISM_BEFORE:-3811fd8^}
TABLES=${INSITU_BDGP_TABLES:-../shared/data/bdgp-annotations}
[ -d "$REAL" ] || { echo "real photo folder $REAL not found" >&2; exit 1; }
[ -f native/build/libinsitu_native.so ] || { echo "native/build/libinsitu_native.so missing: run make setup" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
read -r W H < <(python3 -c "import struct,sys
d=open(sys.argv[1],'rb').read(); i=2
while i < len(d):
    m=d[i+1]; n=struct.unpack('>H',d[i+2:i+4])[0]
    if m in (0xC0,0xC1,0xC2): h,w=struct.unpack('>HH',d[i+5:i+9]); print(w,h); break
    i+=2+n" "$(ls "$REAL"/photo*.jpg | head -1)")

echo "== simulator before: $BEFORE ($(git rev-parse --short "$BEFORE"))"
mkdir -p "$TMP/before"
git archive "$BEFORE" src Directory.Build.props .editorconfig | tar -x -C "$TMP/before"
mkdir -p "$TMP/before/bench/realism"
cp -r bench/realism/SimExport "$TMP/before/bench/realism/"
rm -rf "$TMP/before/bench/realism/SimExport/bin" "$TMP/before/bench/realism/SimExport/obj"
dotnet build "$TMP/before/bench/realism/SimExport" -c Release -nologo -v q -o "$TMP/before/out" > "$TMP/build_before.log" || { cat "$TMP/build_before.log" >&2; exit 1; }
INSITU_NATIVE_LIB=$ROOT/native/build/libinsitu_native.so \
    dotnet "$TMP/before/out/SimExport.dll" "$TABLES" "$TMP/sim_before" "$COUNT" "$SEED" "$W" "$H"

echo "== simulator after: this tree ($(git rev-parse --short HEAD))"
dotnet build bench/realism/SimExport -c Release -nologo -v q -o "$TMP/after/out" > "$TMP/build_after.log" || { cat "$TMP/build_after.log" >&2; exit 1; }
INSITU_NATIVE_LIB=$ROOT/native/build/libinsitu_native.so \
    dotnet "$TMP/after/out/SimExport.dll" "$TABLES" "$TMP/sim_after" "$COUNT" "$SEED" "$W" "$H"

for side in before after; do
    echo "== measuring $side"
    ./insitu synth --realism "$REAL" --simulated "$TMP/sim_$side" --seed "$SEED" --tables "$TABLES" --out "$TMP/report_$side"
done

mkdir -p bench/results
python3 - "$TMP" "$(git rev-parse "$BEFORE")" "$(git rev-parse HEAD)" "$REAL" "$COUNT" "$SEED" <<'PY'
import json, sys
tmp, before, after, real, count, seed = sys.argv[1:]
m = {s: json.load(open(f"{tmp}/report_{s}/metrics.json")) for s in ("before", "after")}
measures = [("background_colour_emd", lambda v: v["background_colour_emd"]["mean"]),
            ("embryo_colour_emd", lambda v: v["embryo_colour_emd"]["mean"]),
            ("texture_spectrum_distance", lambda v: v["texture_spectrum_distance"]),
            ("edge_profile_distance", lambda v: v["edge_profile_distance"]),
            ("patch_auc", lambda v: v["patch_auc"])]
rows, out = [], {"what": "insitu synth --realism measures (lower is closer to real) of the simulator before and after 3811fd8",
                 "before_commit": before, "after_commit": after, "real_folder": real, "simulated_per_view": int(count),
                 "seed": int(seed), "views": {}}
for view in ("raw", "standard"):
    out["views"][view] = {}
    for name, get in measures:
        b, a = get(m["before"][view]), get(m["after"][view])
        out["views"][view][name] = {"before": round(b, 4), "after": round(a, 4), "closer_after": a < b}
        rows.append(f"| {view} | {name.replace('_', ' ')} | {b:.3f} | {a:.3f} | {'yes' if a < b else '**no**'} |")
    for part in ("background_colour_emd", "embryo_colour_emd"):
        for ch in "RGB":
            out["views"][view][f"{part}_{ch}"] = {"before": round(m["before"][view][part][ch.lower()], 4),
                                                  "after": round(m["after"][view][part][ch.lower()], 4)}
json.dump(out, open("bench/results/realism.json", "w"), indent=1)
closer = sum(v["closer_after"] for view in out["views"].values() for v in view.values() if "closer_after" in v)
with open("bench/results/realism.md", "w") as f:
    f.write("# Realism of the simulator, before and after the realistic renderer\n\n")
    f.write(f"`bash bench/realism.sh`: {count} simulated raw frames and {count} standard views (seed {seed}) from the simulator "
            f"before (`{before[:7]}`, 3811fd8^) and after (`{after[:7]}`), each measured by this build's `insitu synth --realism "
            f"--simulated` against the masked real photos of `{real}`. Lower is closer to real on every measure "
            "(colour: earth mover's distance of R, G, B histograms, mean; texture: mean |log10 power| difference of the "
            "radially averaged spectrum; edges: mean gradient-magnitude difference across the outline; patch AUC: a "
            "logistic regression telling simulated from real patches, 0.5 = cannot).\n\n")
    f.write("| view | measure | before | after | closer after |\n| --- | --- | --- | --- | --- |\n")
    f.write("\n".join(rows) + "\n\n")
    f.write(f"Closer after on {closer} of {len(rows)} measures.\n")
print(open("bench/results/realism.md").read())
PY
