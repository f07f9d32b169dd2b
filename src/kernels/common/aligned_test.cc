#include "kernels/common/aligned.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "kernels/common/bits.h"

namespace bnnkit::kernels {
namespace {

template <class T>
bool on_cache_line(const T* p) {
  return reinterpret_cast<uintptr_t>(p) % kCacheLine == 0;
}

TEST(AlignedVector, DataStartsOnACacheLineWhateverTheSizeAndGrowth) {
  for (size_t n : {1, 3, 7, 8, 9, 63, 64, 65, 1000, 4097}) {
    AlignedVector<Word> w(n, Word{5});
    EXPECT_TRUE(on_cache_line(w.data())) << n;
    AlignedVector<uint8_t> b(n);
    EXPECT_TRUE(on_cache_line(b.data())) << n;
    // Reallocation keeps the alignment and the contents.
    w.resize(3 * n + 1, Word{7});
    EXPECT_TRUE(on_cache_line(w.data())) << n;
    EXPECT_EQ(w[n - 1], Word{5});
    EXPECT_EQ(w[3 * n], Word{7});
    w.assign(n + 5, Word{9});  // as the runtime fills a node's packed weights
    EXPECT_TRUE(on_cache_line(w.data())) << n;
    EXPECT_EQ(w.back(), Word{9});
  }
}

TEST(AlignedVector, CopiesAndMovesAreAlignedToo) {
  AlignedVector<float> a(33, 1.5f);
  AlignedVector<float> copy = a;
  EXPECT_TRUE(on_cache_line(copy.data()));
  EXPECT_EQ(copy, a);
  AlignedVector<float> moved = std::move(copy);
  EXPECT_TRUE(on_cache_line(moved.data()));
  EXPECT_EQ(moved.size(), 33u);
}

}  // namespace
}  // namespace bnnkit::kernels
