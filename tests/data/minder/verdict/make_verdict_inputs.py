#!/usr/bin/env python3
# Writes the inputs of minder_cli_verdict (issue 15: "cannot judge" is a verdict). Deterministic.
import json, math, random

random.seed(15)
T0 = 1_700_000_000

def lockstep(t, m):
    # A training step of 20 s: 14 s compute, 6 s communication; small per-machine noise.
    busy = (t % 20) < 14
    return (95 if busy else 30) + random.uniform(-2, 2)

# Two machines, 300 s: peer comparison cannot say which one differs.
with open('two_machines.csv', 'w') as f:
    f.write('timestamp,machine,gpu_util\n')
    for t in range(300):
        for m in range(2):
            f.write(f'{T0 + t},m{m},{lockstep(t, m):.1f}\n')

# Four machines, one second of data.
with open('one_second.csv', 'w') as f:
    f.write('timestamp,machine,gpu_util\n')
    for m in range(4):
        f.write(f'{T0},m{m},{lockstep(0, m):.1f}\n')

# Every channel unusable: cpu constant within every machine, gpu_util never sampled.
with open('no_usable_channel.csv', 'w') as f:
    f.write('timestamp,machine,cpu,gpu_util\n')
    for t in range(600):
        for m in range(4):
            f.write(f'{T0 + t},m{m},{0.5 if m else 0.7},\n')

# Prometheus query_range as dcgm-exporter + Prometheus defaults give it: a 15 s / 30 s step,
# 6 hosts x 2 GPUs, 30 min.
for step in (15, 30):
    result = []
    for h in range(6):
        for g in range(2):
            values = [[T0 + k * step, f'{lockstep(k * step, h):.0f}'] for k in range(1800 // step)]
            result.append({'metric': {'__name__': 'DCGM_FI_DEV_GPU_UTIL', 'Hostname': f'node-{h}', 'gpu': str(g),
                                      'UUID': f'GPU-{h:04d}{g:04d}-0000-0000-0000-000000000000', 'device': f'nvidia{g}',
                                      'modelName': 'NVIDIA H100 80GB HBM3', 'instance': f'10.0.0.{h}:9400',
                                      'job': 'dcgm-exporter'},
                           'values': values})
    with open(f'prom_step{step}.json', 'w') as f:
        json.dump({'status': 'success', 'data': {'resultType': 'matrix', 'result': result}}, f)

# Eight machines, 120 s: seven in lockstep, m5 at its own steady levels, so peer grouping leaves
# it ungrouped (not judged). No alert: the verdict must say it covers the judged machines only.
rng = random.Random(21)
with open('one_ungrouped.csv', 'w') as f:
    f.write('timestamp,machine,gpu_util,cpu\n')
    for t in range(120):
        for m in range(8):
            if m == 5:
                gpu, cpu = 20 + rng.random() * 2, 80 + rng.random() * 2
            else:
                wave = math.sin(t / 10.0)
                gpu, cpu = 60 + rng.random() * 2 + 10 * wave, 30 + rng.random() * 2 + 5 * wave
            f.write(f'{T0 + t},m{m},{gpu:.2f},{cpu:.2f}\n')
