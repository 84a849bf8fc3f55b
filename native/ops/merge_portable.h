// The portable helpers of the merge kernels (merge.cpp, merge_gram.cpp): whole-block decode and
// encode, the block count, the first error by block. Never included by an AVX-512 file (internal
// linkage: each file that includes it keeps its own copy).
#pragma once
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "ops/merge_isa.h"

namespace ctl {
namespace merge_detail {
namespace {

#define CTL_INLINE static inline __attribute__((always_inline))

// Decodes [b, e) of x into dst (a typed loop per dtype, so each vectorizes).
CTL_INLINE void decode(const MergeInput& x, size_t b, size_t e, float* dst) {
  const size_t m = e - b;
  if (x.dtype == kMergeBF16) {
    const uint16_t* s = static_cast<const uint16_t*>(x.data) + b;
    uint32_t* d = reinterpret_cast<uint32_t*>(dst);
    for (size_t i = 0; i < m; i++) d[i] = uint32_t(s[i]) << 16;
  } else if (x.dtype == kMergeF16) {
    const uint16_t* s = static_cast<const uint16_t*>(x.data) + b;
    for (size_t i = 0; i < m; i++) dst[i] = f16_to_f32(s[i]);
  } else {
    std::memcpy(dst, static_cast<const float*>(x.data) + b, m * 4);
  }
}

// Rounds float64 results to float32, checks them, encodes [b, e) of out.
CTL_INLINE void encode(const double* v, size_t b, size_t e, void* out, int dtype) {
  const size_t m = e - b;
  bool bad = false;
  for (size_t i = 0; i < m; i++) bad |= !std::isfinite(float(v[i]));
  if (bad) {
    for (size_t i = 0; i < m; i++)
      if (!std::isfinite(float(v[i]))) throw std::runtime_error("NaN or Inf at flat index " + std::to_string(b + i) + " after merging");
  }
  if (dtype == kMergeBF16) {
    uint16_t* o = static_cast<uint16_t*>(out) + b;
    for (size_t i = 0; i < m; i++) o[i] = f32_to_bf16(float(v[i]));
  } else if (dtype == kMergeF16) {
    uint16_t* o = static_cast<uint16_t*>(out) + b;
    for (size_t i = 0; i < m; i++) o[i] = f32_to_f16(float(v[i]));
  } else {
    float* o = static_cast<float*>(out) + b;
    for (size_t i = 0; i < m; i++) o[i] = float(v[i]);
  }
}

inline size_t blocks_of(size_t n) { return (n + kBlock - 1) / kBlock; }

// The error of the lowest failing block, whichever thread meets it first (the message does not
// depend on timing).
struct FirstError {
  std::mutex mu;
  size_t blk = SIZE_MAX;
  std::string msg;
  void note(size_t b, const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (b < blk) blk = b, msg = e.what();
  }
  bool after(size_t b) {
    std::lock_guard<std::mutex> lock(mu);
    return b > blk;
  }
  void rethrow() {
    if (blk != SIZE_MAX) throw std::runtime_error(msg);
  }
};

}  // namespace
}  // namespace merge_detail
}  // namespace ctl
