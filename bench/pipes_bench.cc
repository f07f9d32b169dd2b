// Which vector pipes the ops of the kernels' inner loops and output stages share, measured: register-only
// loops of 24 independent chains (zmm0-23, one op per register per block, so latency never limits), one op
// kind or an even mix of two. Counter `ops_per_s`: vector ops retired per second.
//
//   pipes/<op>          one op kind: its issue rate (pipes x clock)
//   pipes/<op1>+<op2>   12 + 12: the sum of the two single rates if they use disjoint pipes, the single rate
//   if
//                       they compete for the same ones, in between if they share some
//
// docs/performance.md ("The 1x1 layers with 64-128 input channels") uses these to explain why the float
// output stage slows the popcount stream and the integer adds do not. x86-64 with AVX-512 VPOPCNTDQ only.
#include <benchmark/benchmark.h>

#include <string>

#include "kernels/common/cpu_features.h"

namespace bnnkit {
namespace {

constexpr int kBlocks = 1000;  // asm blocks per benchmark iteration
constexpr int kOpsPerBlock = 24;

#if defined(__x86_64__)
// One op on register r, its result in r (zmm30 and zmm31 are constant operands).
#define BNNKIT_VPOPCNTD(r) "vpopcntd %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_VCVTDQ2PS(r) "vcvtdq2ps %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_VFNMADD(r) "vfnmadd213ps %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define BNNKIT_VMULPS(r) "vmulps %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_VADDPS(r) "vaddps %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_VPADDD(r) "vpaddd %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_VPXORD(r) "vpxord %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define BNNKIT_FIRST12(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)
#define BNNKIT_LAST12(OP) OP(12) OP(13) OP(14) OP(15) OP(16) OP(17) OP(18) OP(19) OP(20) OP(21) OP(22) OP(23)
// The registers hold small integers / normal floats that stay finite: zmm31 = 0 (as floats and integers),
// zmm30 = 0, so every op maps 0 to 0 and no denormal or NaN slow path is taken.
#define BNNKIT_PIPE_LOOP(NAME, OP1, OP2)                                                                      \
  __attribute__((target("avx512f,avx512vpopcntdq"))) void NAME(int blocks) {                                  \
    asm volatile(                                                                                           \
        "vpxord %%zmm31, %%zmm31, %%zmm31\n\t"                                                              \
        "vpxord %%zmm30, %%zmm30, %%zmm30\n\t" BNNKIT_FIRST12(BNNKIT_ZERO) BNNKIT_LAST12(BNNKIT_ZERO) "1:\n\t" \
            BNNKIT_FIRST12(OP1) BNNKIT_LAST12(OP2) "dec %[n]\n\t"                                           \
                                                   "jnz 1b\n\t"                                             \
        : [n] "+r"(blocks)                                                                                  \
        :                                                                                                   \
        : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",      \
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",  \
          "xmm22", "xmm23", "xmm30", "xmm31"); \
  }
#define BNNKIT_ZERO(r) "vpxord %%zmm" #r ", %%zmm" #r ", %%zmm" #r "\n\t"

BNNKIT_PIPE_LOOP(loop_popcnt, BNNKIT_VPOPCNTD, BNNKIT_VPOPCNTD)
BNNKIT_PIPE_LOOP(loop_cvt, BNNKIT_VCVTDQ2PS, BNNKIT_VCVTDQ2PS)
BNNKIT_PIPE_LOOP(loop_fnmadd, BNNKIT_VFNMADD, BNNKIT_VFNMADD)
BNNKIT_PIPE_LOOP(loop_mul, BNNKIT_VMULPS, BNNKIT_VMULPS)
BNNKIT_PIPE_LOOP(loop_addps, BNNKIT_VADDPS, BNNKIT_VADDPS)
BNNKIT_PIPE_LOOP(loop_paddd, BNNKIT_VPADDD, BNNKIT_VPADDD)
BNNKIT_PIPE_LOOP(loop_popcnt_cvt, BNNKIT_VPOPCNTD, BNNKIT_VCVTDQ2PS)
BNNKIT_PIPE_LOOP(loop_popcnt_fnmadd, BNNKIT_VPOPCNTD, BNNKIT_VFNMADD)
BNNKIT_PIPE_LOOP(loop_popcnt_mul, BNNKIT_VPOPCNTD, BNNKIT_VMULPS)
BNNKIT_PIPE_LOOP(loop_popcnt_addps, BNNKIT_VPOPCNTD, BNNKIT_VADDPS)
BNNKIT_PIPE_LOOP(loop_popcnt_paddd, BNNKIT_VPOPCNTD, BNNKIT_VPADDD)
BNNKIT_PIPE_LOOP(loop_popcnt_pxord, BNNKIT_VPOPCNTD, BNNKIT_VPXORD)
BNNKIT_PIPE_LOOP(loop_cvt_addps, BNNKIT_VCVTDQ2PS, BNNKIT_VADDPS)
BNNKIT_PIPE_LOOP(loop_mul_addps, BNNKIT_VMULPS, BNNKIT_VADDPS)
#undef BNNKIT_PIPE_LOOP
#undef BNNKIT_ZERO
#undef BNNKIT_FIRST12
#undef BNNKIT_LAST12
#endif

void BM_pipes(benchmark::State& state, void (*loop)(int)) {
  if (loop == nullptr || !kernels::cpu_supports(kernels::Isa::kAvx512)) {
    state.SkipWithError("needs x86-64 with AVX-512 VPOPCNTDQ");
    return;
  }
  for (auto _ : state) loop(kBlocks);
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(kOpsPerBlock) * kBlocks,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

struct Mix {
  const char* name;
  void (*loop)(int);
};

#if defined(__x86_64__)
constexpr Mix kMixes[] = {
    {"vpopcntd", loop_popcnt},
    {"vcvtdq2ps", loop_cvt},
    {"vfnmadd", loop_fnmadd},
    {"vmulps", loop_mul},
    {"vaddps", loop_addps},
    {"vpaddd", loop_paddd},
    {"vpopcntd+vcvtdq2ps", loop_popcnt_cvt},
    {"vpopcntd+vfnmadd", loop_popcnt_fnmadd},
    {"vpopcntd+vmulps", loop_popcnt_mul},
    {"vpopcntd+vaddps", loop_popcnt_addps},
    {"vpopcntd+vpaddd", loop_popcnt_paddd},
    {"vpopcntd+vpxord", loop_popcnt_pxord},
    {"vcvtdq2ps+vaddps", loop_cvt_addps},
    {"vmulps+vaddps", loop_mul_addps},
};
#else
constexpr Mix kMixes[] = {{"vpopcntd", nullptr}};
#endif

const bool kRegistered = [] {
  for (const Mix& m : kMixes) {
    benchmark::RegisterBenchmark((std::string("pipes/") + m.name).c_str(), BM_pipes, m.loop)
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.05)
        ->Repetitions(3)
        ->ReportAggregatesOnly(true);
  }
  return true;
}();

}  // namespace
}  // namespace bnnkit
