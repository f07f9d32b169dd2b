#!/usr/bin/env python3
"""Markdown tables from `bnnkit_bench --benchmark_format=json` (or --benchmark_out=FILE.json) output.

Usage: bench/perf_table.py run.json > table.md

One row per binary conv/dense entry (the median aggregate): our time, binary MAC/s, fraction of the measured
peak, the oneDNN int8/fp32 medians of the same run and the speedups. 1-thread entries are timed in process CPU
time and 2-thread entries ("/t2") in real time (see bench/bconv_bench.cc); the table shows the time each entry
was judged by.
"""
import json
import sys


def median_entries(doc):
    out = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].split("/min_time:")[0]
        out[name] = b
    return out


def entry_time_us(b, name):
    key = "real_time" if name.endswith("/t2") else "cpu_time"
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "us")]
    return b[key] * scale


def main():
    doc = json.load(open(sys.argv[1]))
    med = median_entries(doc)
    peak = med.get("peak/xor_vpopcntq_vpaddq")
    ctx = doc["context"]
    print(f"Run: {ctx.get('date', '?')}, {ctx.get('num_cpus', '?')} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}")
    if peak:
        print(f"\nMeasured binary peak (register-only XOR+VPOPCNTQ+VPADDQ, 1 core): "
              f"{peak['binmac_per_s'] / 1e12:.3f} T binMAC/s\n")
    print("| benchmark | variant | threads | time (us) | binMAC/s (T) | % of peak | oneDNN int8 (us) "
          "| oneDNN fp32 (us) | x int8 | x fp32 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, b in med.items():
        if not (name.startswith("bconv") or name.startswith("bdense")) or name.endswith("/t2"):
            continue
        t2 = False
        base = name[: -len("/t2")] if t2 else name
        parts = base.split("/")
        op = parts[0][1:]  # conv3x3, conv1x1, dense
        # oneDNN names: onednn_int8/<op>/<shape...>[/t2]; ours may carry /bits or /<variant> after the shape.
        shape = "/".join(parts[1:3])
        suffix = "/t2" if t2 else ""
        i8 = med.get(f"onednn_int8/{op}/{shape}{suffix}")
        f32 = med.get(f"onednn_fp32/{op}/{shape}{suffix}")
        i8_us = f"{entry_time_us(i8, suffix):.1f}" if i8 else "-"
        f32_us = f"{entry_time_us(f32, suffix):.1f}" if f32 else "-"
        pf = b.get("peak_fraction")
        print(f"| `{name}` | {b.get('label', '')} | {2 if t2 else 1} | {entry_time_us(b, name):.1f} | "
              f"{b['binmac_per_s'] / 1e12:.3f} | {pf * 100:.1f} % | {i8_us} | {f32_us} | "
              f"{b.get('speedup_vs_onednn_int8', 0):.2f} | {b.get('speedup_vs_onednn_fp32', 0):.2f} |"
              if pf is not None else
              f"| `{name}` | {b.get('label', '')} | {2 if t2 else 1} | {entry_time_us(b, name):.1f} | "
              f"{b['binmac_per_s'] / 1e12:.3f} | - | {i8_us} | {f32_us} | - | - |")
    t2 = [(n, b) for n, b in med.items() if (n.startswith("bconv") or n.startswith("bdense")) and n.endswith("/t2")]
    if t2:
        print("\n| benchmark | 1 thread, median (us, CPU time) | 2 threads, median (us, real time) "
              "| speedup, best iterations | speedup, CPU-time bound |")
        print("|---|---|---|---|---|")
        for n, b in t2:
            one = med.get(n[: -len("/t2")])
            sp = b.get("speedup_vs_1thread_best")
            cb = b.get("speedup_cpu_bound")
            one_us = f"{entry_time_us(one, n[:-3]):.1f}" if one else "-"
            print(f"| `{n}` | {one_us} | {entry_time_us(b, n):.1f} | {f'{sp:.2f}' if sp is not None else '-'} | "
                  f"{f'{cb:.2f}' if cb is not None else '-'} |")
    quant = [(n, b) for n, b in med.items() if n.startswith("bitpack") or n.startswith("thermometer")]
    if quant:
        print("\n| quantizer | time (us) | rate |")
        print("|---|---|---|")
        for n, b in quant:
            rate = b.get("floats_per_s") or b.get("pixels_per_s")
            unit = "floats/s" if "floats_per_s" in b else "pixels/s"
            scaled = f"{rate / 1e9:.2f} G" if rate >= 1e9 else f"{rate / 1e6:.1f} M"
            print(f"| `{n}` | {entry_time_us(b, n):.1f} | {scaled} {unit} |")


if __name__ == "__main__":
    main()
