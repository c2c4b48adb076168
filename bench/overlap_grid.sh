#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Grid of overlap efficiency E over m and emulated-link bandwidth (brief section 10), 2 MPI
# ranks, default shapes AG (n, k) = (6144, 1536), RS (1536, 6144). The link bandwidth of each
# cell is chosen by --comm-share (communication share of the non-overlapped time).
# Usage: bench/overlap_grid.sh BUILD_DIR [OUT_DIR]   (writes one JSON per cell + grid.md)
set -euo pipefail
BIN="$1/trainscope"
OUT="${2:-overlap-grid}"
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
for op in ${OPS:-ag rs}; do
  for share in ${SHARES:-0.1 0.4 0.7}; do
    for m in ${MS:-128 256 512 1024}; do
      mpirun -np 2 --bind-to core "$BIN" --json overlap bench --op "$op" --m "$m" \
        --comm-share "$share" --link-us 5 --reps "${REPS:-7}" > "$OUT/${op}_m${m}_s${share}.json"
    done
  done
done
python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "*.json")))]
lines = ["| op | m | target share | measured share | link GB/s | T_g ms | T_c ms | T_m ms | T_f ms | E decomp | E fused | "
         "T_c/T_f | T_m/T_f | fusion overhead | sim T_f ms | sim E fused |",
         "|" + "---|" * 16]
for r in sorted(rows, key=lambda r: (r["op"], r.get("target_comm_share", r["comm_share"]), r["m"])):
    p = r.get("prediction", {})
    lines.append("| {op} | {m} | {ts} | {cs:.2f} | {bw:.4f} | {tg:.1f} | {tc:.1f} | {tm:.1f} | {tf:.1f} | {ed:.2f} | {ef:.2f} | "
                 "{s1:.2f} | {s2:.2f} | {fo:+.1%} | {pf:.1f} | {pe:.2f} |".format(
        op=r["op"], m=r["m"], ts=r.get("target_comm_share", "?"), cs=r["comm_share"], bw=r["link"]["bandwidth_bytes_per_s"] / 1e9,
        tg=r["t_gemm_s"] * 1e3, tc=r["t_nonoverlap_s"] * 1e3, tm=r["t_decomp_s"] * 1e3,
        tf=r["t_fused_s"] * 1e3, ed=r["efficiency_decomp"], ef=r["efficiency_fused"],
        s1=r["speedup_vs_nonoverlap"], s2=r["speedup_vs_decomp"], fo=r["fusion_overhead"],
        pf=p.get("t_fused_s", float("nan")) * 1e3, pe=p.get("efficiency_fused", float("nan"))))
open(os.path.join(out, "grid.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
