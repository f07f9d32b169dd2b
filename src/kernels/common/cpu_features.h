// Instruction-set levels the kernels are built for, detected once at run time.
//
//   kPortable  any x86-64 (or other) CPU; plain C++ (the compiler may use scalar POPCNT only if the
//              whole build targets it, which ours does not)
//   kAvx2      AVX2 + POPCNT (x86-64-v3)
//   kAvx512    AVX-512 F, BW, VL and VPOPCNTDQ (Ice Lake, Zen 4 and later)
//
// The environment variable BNNKIT_ISA (portable | avx2 | avx512) caps the level, and set_max_isa() does the
// same from code; neither can raise it above what the CPU supports.
#pragma once

#include <optional>
#include <string_view>

namespace bnnkit::kernels {

enum class Isa : int { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view isa_name(Isa isa);
std::optional<Isa> parse_isa(std::string_view name);

// The best level this CPU can execute.
Isa detected_isa();
// True iff this CPU can execute kernels built for `isa`.
bool cpu_supports(Isa isa);
// The level kernels may use: detected_isa() capped by BNNKIT_ISA and set_max_isa().
Isa active_isa();
void set_max_isa(Isa isa);
// AVX-512 BITALG (VPOPCNTB/W) on top of kAvx512 (Ice Lake, Zen 4 and later; not Knights Mill): an optional
// extension the kAvx512 kernels test for themselves.
bool cpu_has_avx512_bitalg();

}  // namespace bnnkit::kernels
