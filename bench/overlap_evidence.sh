#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU evidence for the overlap operators (issue 20 item 3), in one run: paired repetitions,
# T_g re-measured beside every method, the emulated link re-derived from each repetition's T_g,
# medians with order-statistic 95% intervals, how often fused beats decomposition (Wilson).
#   TP 2 (MPI ranks bound to cores when mpirun exists, else threads): ag/rs x m 1024, 2048 x
#   comm share 0.25, 0.4 -- the cells of the floor (fused E median >= 0.85 with its interval
#   above decomposition's);
#   TP 4 and 8 (ranks as threads): ag/rs at m 1024, share 0.4.
# Usage: bench/overlap_evidence.sh BUILD_DIR [OUT_DIR]   (one JSON per cell + evidence.md)
# Env: REPS (default 15), MS, SHARES, TPS_THREADS (default "4 8"), OPS.
set -euo pipefail
BIN="$1/trainscope"
OUT="${2:-overlap-evidence}"
REPS="${REPS:-15}"
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cell() {  # tp op m share
  local tp=$1 op=$2 m=$3 share=$4 out="$OUT/tp$1_$2_m$3_s$4.json"
  if [[ $tp == 2 ]] && command -v mpirun > /dev/null; then
    mpirun -np 2 --bind-to core "$BIN" --json overlap bench --op "$op" --m "$m" \
      --comm-share "$share" --link-us 5 --reps "$REPS" > "$out"
  else
    "$BIN" --json overlap bench --ranks-as-threads --tp "$tp" --op "$op" --m "$m" \
      --comm-share "$share" --link-us 5 --reps "$REPS" > "$out"
  fi
}
uptime > "$OUT/load.txt"
for op in ${OPS:-ag rs}; do
  for m in ${MS:-1024 2048}; do
    for share in ${SHARES:-0.25 0.4}; do cell 2 "$op" "$m" "$share"; done
  done
  for tp in ${TPS_THREADS:-4 8}; do cell "$tp" "$op" 1024 0.4; done
done
uptime >> "$OUT/load.txt"
python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "tp*.json")))]
iv = lambda i: "{:.2f} [{:.2f}, {:.2f}]".format(i["median"], i["low"], i["high"])
lines = ["| tp | op | m | target share | measured share [range] | E fused | E decomp | E_f - E_m | "
         "T_m/T_f | fused faster | E bound | decomp ideal | floor |", "|" + "---|" * 13]
for r in sorted(rows, key=lambda r: (r["tp"], r["op"], r["m"], r["target_comm_share"])):
    p = r["paired"]
    w = p["fused_beats_decomp"]
    floor = ""
    if r["tp"] == 2 and r["m"] >= 1024 and 0.25 <= r["target_comm_share"] <= 0.4:
        ok = p["efficiency_fused"]["median"] >= 0.85 and p["efficiency_fused"]["low"] > p["efficiency_decomp"]["high"]
        floor = "met" if ok else "missed"
    lines.append("| {} | {} | {} | {} | {:.2f} [{:.2f}-{:.2f}] | {} | {} | {} | {} | {}/{} ({:.0%} [{:.0%}, {:.0%}]) | {:.2f} | {:.2f} | {} |".format(
        r["tp"], r["op"], r["m"], r["target_comm_share"], p["comm_share"]["median"], p["comm_share_min"],
        p["comm_share_max"], iv(p["efficiency_fused"]), iv(p["efficiency_decomp"]), iv(p["efficiency_gain"]),
        iv(p["speedup_vs_decomp"]), w["hits"], w["trials"], w["share"], w["low"], w["high"],
        p["efficiency_bound"], p["efficiency_decomp_ideal"], floor))
lines.append("")
lines.append("load: " + open(os.path.join(out, "load.txt")).read().replace("\n", " / "))
open(os.path.join(out, "evidence.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
