#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes val-nemo*.yaml: NVIDIA's published DGX-H100 and DGX-B200/GB200/GB300 pre-training throughputs (NeMo and
# Megatron-Bridge performance summaries), each row expressed by its published facts (model,
# GPUs, batch, layout, precision) plus the recipe facts named in the row's notes; everything
# else is the tool's general defaults. Validation.NemoHopperRuns checks them.
# Usage: python3 make_nemo_presets.py OUTDIR
import sys

# Model shapes from the public configs (Hugging Face config.json / NeMo recipes).
MODELS = {
    "gpt3-5b": dict(layers=24, hidden=4096, heads=32, ffn=16384, vocab=50257, act="gelu", bias=True),
    "gpt3-20b": dict(layers=44, hidden=6144, heads=48, ffn=24576, vocab=50257, act="gelu", bias=True),
    "gpt3-175b": dict(layers=96, hidden=12288, heads=96, ffn=49152, vocab=50257, act="gelu", bias=True),
    "llama2-7b": dict(layers=32, hidden=4096, heads=32, ffn=11008, vocab=32000, act="swiglu"),
    "llama2-13b": dict(layers=40, hidden=5120, heads=40, ffn=13824, vocab=32000, act="swiglu"),
    "llama2-70b": dict(layers=80, hidden=8192, heads=64, kv=8, ffn=28672, vocab=32000, act="swiglu"),
    # Nemotron: squared-ReLU MLP (two matrices, timed as GELU), no biases, 256k vocabulary.
    "nemotron-8b": dict(layers=32, hidden=4096, heads=32, ffn=16384, vocab=256000, act="gelu"),
    "nemotron-22b": dict(layers=40, hidden=6144, heads=48, ffn=24576, vocab=256000, act="gelu"),
    "nemotron-340b": dict(layers=96, hidden=18432, heads=96, kv=8, ffn=73728, vocab=256000, act="gelu"),
    "llama3-8b": dict(layers=32, hidden=4096, heads=32, kv=8, ffn=14336, vocab=128256, act="swiglu"),
    "llama3-70b": dict(layers=80, hidden=8192, heads=64, kv=8, ffn=28672, vocab=128256, act="swiglu"),
    "llama3-405b": dict(layers=126, hidden=16384, heads=128, kv=8, ffn=53248, vocab=128256, act="swiglu"),
}

SRC_2407 = ("NVIDIA/NeMo docs/source/performance/performance_summary.md, container NeMo 24.07, "
            "DGX-H100, FP8; model TFLOP/s count attention in full (NeMo 2.0 formulas)")
SRC_2403 = ("NVIDIA/NeMo docs/source/performance/performance_long_sequence.md, LLAMA2-7B FP8 with CP, "
            "container NeMo 24.03, DGX-H100; full-attention TFLOP/s")
SRC_2511 = ("NVIDIA-NeMo/Megatron-Bridge docs/performance-summary.md, container 25.11, DGX-H100, "
            "FP8 current scaling; model TFLOP/s count causal attention at half (flop_utils.py)")

# id, model, gpus, gbs, mbs, seq, tp, pp, cp, vp, published TFLOP/s/GPU, convention, source,
# extra parallel/system fields (recipe facts), assumptions.
A_TPO = ("tp_overlap", "true", "NeMo's performance recipes run TP comm overlap (userbuffers) for TP > 1")
A_GRAD24 = ("grad_reduce_bytes", "2", "NeMo's performance configs sync gradients in BF16 "
            "(distributed_fused_adam grad_sync_dtype: bf16 in the launcher's GPT-3 configs)")
A_REC = ("recompute", "fewest that fit", "not published: the fewest block-recomputed layers that fit (general rule)")
ROWS = [
    ("gpt3-5b", "gpt3-5b", 64, 2048, 4, 2048, 1, 1, 1, 1, 736, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC]),
    ("gpt3-20b", "gpt3-20b", 64, 256, 2, 2048, 2, 1, 1, 1, 750, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("gpt3-175b-128", "gpt3-175b", 128, 256, 1, 2048, 4, 8, 1, 6, 782, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("gpt3-175b-512", "gpt3-175b", 512, 2048, 2, 2048, 4, 8, 1, 6, 842, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("llama2-7b", "llama2-7b", 8, 128, 1, 4096, 1, 1, 1, 1, 776, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC]),
    ("llama2-13b", "llama2-13b", 16, 128, 1, 4096, 1, 4, 1, 10, 754, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC]),
    ("llama2-70b", "llama2-70b", 64, 128, 1, 4096, 4, 4, 1, 20, 759, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("nemotron-8b", "nemotron-8b", 64, 256, 4, 4096, 2, 1, 1, 1, 653, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("nemotron-22b", "nemotron-22b", 64, 256, 2, 4096, 2, 4, 1, 10, 554, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("nemotron-340b", "nemotron-340b", 128, 32, 1, 4096, 8, 8, 1, 12, 678, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
    ("llama3-8b", "llama3-8b", 8, 128, 1, 8192, 1, 1, 2, 1, 697, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC]),
    ("llama3-70b", "llama3-70b", 64, 128, 1, 8192, 4, 4, 2, 5, 738, "full", SRC_2407, dict(grad_reduce_bytes=2), [A_GRAD24, A_REC, A_TPO]),
]
FITTED = [r[0] for r in ROWS]  # system fp8_gemm_eff_max (0.58) was fitted on these rows

A_FA3 = ("flash_version", "3", "the 2025 containers run cuDNN fused attention of FlashAttention-3 "
         "class on Hopper (the 2024 rows: FlashAttention-2 class, the default)")
A_GRAD = ("grad_reduce_bytes", "2", "the recipes set grad_reduce_in_fp32 = False")
MB_ROWS = [
    ("mbridge2511-llama3-8b", "llama3-8b", 8, 128, 1, 8192, 1, 1, 1, 1, 744, "causal", SRC_2511,
     dict(dp_mode="fsdp", recompute_layers=5, grad_reduce_bytes=2),
     [("recompute_layers", "5", "the recipe's recompute_num_layers (llama3_workload_base_configs.py)"),
      A_GRAD, A_FA3]),
    ("mbridge2511-llama3-70b", "llama3-70b", 64, 128, 1, 8192, 4, 8, 1, 5, 719, "causal", SRC_2511,
     dict(grad_reduce_bytes=2),
     [A_REC, ("tp_overlap", "true", "userbuffers_fp8_h100_h8192_tp4_mbs1_seqlen8192 in the recipe"),
      A_GRAD, A_FA3]),
    ("mbridge2511-llama31-405b", "llama3-405b", 1024, 512, 1, 8192, 8, 8, 2, 8, 737, "causal", SRC_2511,
     dict(grad_reduce_bytes=2),
     [A_REC, ("tp_overlap", "true", "the recipe's TP comm overlap (userbuffers, TP 8 CP 2)"),
      A_GRAD, A_FA3]),
]
# The same 25.11 table on Blackwell (DGX-B200, DGX-GB200, DGX-GB300), dense rows, FP8 current
# scaling (the FP8-MX figures in parentheses are not used). Nothing here was fitted: GPU peaks
# and memory are the datasheets' (LookupGpu), efficiencies the Hopper defaults. System facts:
# DGX B200 has 8 GPUs per NVLink domain and a 400 Gb/s ConnectX-7 per GPU; GB200 / GB300 NVL72
# racks have a 72-GPU NVLink domain and a ConnectX-7 (400 Gb/s) / ConnectX-8 (800 Gb/s) per GPU.
SRC_2511_BW = ("NVIDIA-NeMo/Megatron-Bridge docs/performance-summary.md, container 25.11, {sys}, "
               "FP8 current scaling; model TFLOP/s count causal attention at half (flop_utils.py)")
SYSTEMS = {"B200": ("DGX-B200", 8, 400), "GB200": ("DGX-GB200", 72, 400), "GB300": ("DGX-GB300", 72, 800)}
A_SYS = {g: ("cluster", f"{g}, {n} GPUs per NVLink domain, {nic} Gb/s per GPU",
             "the system's datasheet (the table names the system, not its network)")
         for g, (_, n, nic) in SYSTEMS.items()}
A_TPO_BW = ("tp_overlap", "true", "NeMo's performance recipes run TP comm overlap for TP > 1")
for gpu, rid, model, gpus, gbs, mbs, tp, pp, cp, vp, fsdp, pub in [
        ("B200", "llama3-8b", "llama3-8b", 8, 128, 2, 1, 1, 1, 1, False, 1576),
        ("B200", "llama31-405b", "llama3-405b", 128, 64, 1, 4, 8, 2, 8, False, 1667),
        ("GB200", "llama3-8b", "llama3-8b", 8, 128, 2, 1, 1, 1, 1, False, 1622),
        ("GB200", "llama3-70b", "llama3-70b", 64, 256, 2, 1, 1, 1, 1, True, 1937),
        ("GB200", "llama31-405b", "llama3-405b", 256, 1536, 1, 4, 16, 1, 4, False, 2053),
        ("GB300", "llama3-8b", "llama3-8b", 8, 128, 2, 1, 1, 1, 1, False, 1933),
        ("GB300", "llama3-70b", "llama3-70b", 64, 256, 2, 1, 1, 1, 1, True, 2030),
        ("GB300", "llama31-405b", "llama3-405b", 256, 1536, 1, 2, 8, 2, 4, False, 2522)]:
    extra = dict(grad_reduce_bytes=2, gpu=gpu)
    if fsdp:
        extra["dp_mode"] = "fsdp"
    MB_ROWS.append((f"mbridge2511-{gpu.lower()}-{rid}", model, gpus, gbs, mbs, 8192, tp, pp, cp, vp,
                    pub, "causal", SRC_2511_BW.format(sys=SYSTEMS[gpu][0]), extra,
                    [A_REC, A_GRAD, A_FA3, A_SYS[gpu]] + ([A_TPO_BW] if tp > 1 else [])))

# Long sequences: (K tokens, GPUs, TP, PP, DP, CP, TFLOP/s with CP).
LONG = [(8, 8, 1, 2, 4, 1, 730), (16, 16, 2, 1, 8, 1, 660), (32, 32, 2, 1, 8, 2, 610),
        (64, 64, 4, 1, 8, 2, 574), (128, 128, 4, 1, 8, 4, 555), (256, 256, 4, 1, 8, 8, 549),
        (512, 512, 8, 1, 4, 16, 549), (1024, 1024, 8, 1, 4, 32, 536)]
A_GBS = ("global_batch", "128", "not published: 128 sequences, as the LLAMA2-7B row of the 24.07 table")
for k, gpus, tp, pp, dp, cp, tfl in LONG:
    MB_ROWS.append((f"nemo2403-llama2-7b-{k}k", "llama2-7b", gpus, 128, 1, k * 1024, tp, pp, cp,
                    1, tfl, "full", SRC_2403, {}, [A_REC, A_GBS] + ([A_TPO] if tp > 1 else [])))


def write(outdir, rid, model, gpus, gbs, mbs, seq, tp, pp, cp, vp, pub, conv, src, extra, assumed):
    m = MODELS[model]
    name = rid if rid.startswith(("mbridge", "nemo2403")) else f"nemo2407-{rid}"
    extra = dict(extra)
    system = {"fp8_gemm": "true"}
    if "grad_reduce_bytes" in extra:
        system["grad_reduce_bytes"] = extra.pop("grad_reduce_bytes")
    fv = 3 if any(a[0] == "flash_version" for a in assumed) else 2
    dp_mode = extra.pop("dp_mode", "zero1")
    gpu = extra.pop("gpu", "H100")
    _, per_domain, nic = SYSTEMS.get(gpu, ("DGX-H100", 8, 400))
    rec_layers = extra.pop("recompute_layers", None)
    lines = [
        f"# Generated by make_nemo_presets.py: {src}.",
        f"# Published {pub} model TFLOP/s per GPU ({conv} attention convention).",
        f"name: val-{name}",
        f'description: "{model} on {gpus} {gpu}, FP8, GBS {gbs}, MBS {mbs}, seq {seq}, TP{tp} PP{pp} '
        f'CP{cp} VP{vp}: published {pub} TFLOP/s ({conv} attention)"',
        "blocks:", "  - name: llm", "    kind: dense",
        f"    layers: {m['layers']}", f"    hidden: {m['hidden']}", f"    heads: {m['heads']}",
        f"    kv_heads: {m.get('kv', 0)}", f"    ffn_hidden: {m['ffn']}", f"    ffn_act: {m['act']}",
        f"    vocab: {m['vocab']}", f"    seq_len: {seq}", f"    bias: {str(m.get('bias', False)).lower()}",
        "    dropout: false", "    flash_attention: true", f"    flash_version: {fv}",
        "    parallel:", f"      tp: {tp}", f"      sp: {str(tp > 1).lower()}",
        f"      tp_overlap: {str(tp > 1).lower()}", f"      pp: {pp}", f"      vpp: {vp}",
        f"      cp: {cp}", f"      dp_mode: {dp_mode}", f"      micro_batch: {mbs}", "      recompute: none",
    ]
    lines += [f"      recompute_layers: {rec_layers}"] if rec_layers else ["      recompute_to_fit: true"]
    lines += ["cluster:", f"  gpu: {gpu}", f"  gpus: {gpus}", f"  gpus_per_node: {per_domain}"]
    if gpu != "H100":
        lines += [f"  nics_per_node: {per_domain}", f"  nic_gbps: {nic}"]
    lines += ["system:"]
    lines += [f"  {k}: {v}" for k, v in system.items()]
    lines += ["training:", f"  global_batch: {gbs}", "assumptions:"]
    lines += [f'  - {{field: {f}, value: "{v}", note: "{n}"}}' for f, v, n in assumed]
    with open(f"{outdir}/val-{name}.yaml", "w") as f:
        f.write("\n".join(lines) + "\n")


def main(outdir):
    for row in ROWS + MB_ROWS:
        write(outdir, *row)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
