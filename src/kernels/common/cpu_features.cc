#include "kernels/common/cpu_features.h"

#include <atomic>
#include <cstdlib>

namespace bnnkit::kernels {
namespace {

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq");
  if (avx512) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return Isa::kAvx2;
#endif
  return Isa::kPortable;
}

Isa env_cap() {
  const char* v = std::getenv("BNNKIT_ISA");
  if (v == nullptr) return Isa::kAvx512;
  return parse_isa(v).value_or(Isa::kAvx512);
}

std::atomic<int> g_max_isa{static_cast<int>(Isa::kAvx512)};

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable:
      return "portable";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

std::optional<Isa> parse_isa(std::string_view name) {
  if (name == "portable" || name == "reference") return Isa::kPortable;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512") return Isa::kAvx512;
  return std::nullopt;
}

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

bool cpu_supports(Isa isa) {
  return static_cast<int>(isa) <= static_cast<int>(detected_isa());
}

Isa active_isa() {
  static const Isa env = env_cap();
  int level = static_cast<int>(detected_isa());
  if (static_cast<int>(env) < level) level = static_cast<int>(env);
  const int cap = g_max_isa.load(std::memory_order_relaxed);
  if (cap < level) level = cap;
  return static_cast<Isa>(level);
}

bool cpu_has_avx512_bitalg() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool bitalg = cpu_supports(Isa::kAvx512) && __builtin_cpu_supports("avx512bitalg");
  return bitalg;
#else
  return false;
#endif
}

void set_max_isa(Isa isa) {
  g_max_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace bnnkit::kernels
