// Selection and lookup over an op family's variant list (best first, "reference" last, which accepts every
// problem). Every family's variants.cc uses these, so "which variant runs" means the same thing everywhere:
// the first one whose ISA is within the cap, that this CPU executes, and that accepts the problem. V has a
// `const char* name` and an `Isa isa`.
#pragma once

#include <span>
#include <string_view>

#include "kernels/common/cpu_features.h"

namespace bnnkit::kernels {

template <class V>
bool variant_usable(const V& v, Isa max_isa) {
  return static_cast<int>(v.isa) <= static_cast<int>(max_isa) && cpu_supports(v.isa);
}

// The first usable variant for which accepts(v) holds; the last (the reference) if none.
template <class V, class Accepts>
const V& select_variant(std::span<const V> list, Isa max_isa, Accepts&& accepts) {
  for (const V& v : list) {
    if (variant_usable(v, max_isa) && accepts(v)) return v;
  }
  return list.back();
}

template <class V>
const V& select_variant(std::span<const V> list, Isa max_isa) {
  return select_variant(list, max_isa, [](const V&) { return true; });
}

// The variant called `name`, or nullptr.
template <class V>
const V* find_variant(std::span<const V> list, std::string_view name) {
  for (const V& v : list) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

}  // namespace bnnkit::kernels
