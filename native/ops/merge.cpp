// Merge kernels: fixed blocks of kBlock elements; each pass decodes its inputs on the fly (no
// float32 copy of a tensor); top-k by a two-level radix select on |δ| bit patterns (16 + 16 bits).
#include "ops/merge.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

constexpr size_t kBlock = 1 << 16;
constexpr size_t kMaxModels = 64;

#define CTL_INLINE static inline __attribute__((always_inline))

CTL_INLINE float bits_f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
CTL_INLINE uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// F16 bits → float32 (exact: normals, subnormals, inf, NaN).
CTL_INLINE float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0x1f) return bits_f32(sign | 0x7f800000 | (mant << 13));
  if (exp == 0) return (sign ? -1.0f : 1.0f) * float(mant) * 5.9604644775390625e-8f;  // mant · 2^-24
  return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

// float32 → nearest F16 bits, ties to even (src/io/half.ts numberToF16Bits).
CTL_INLINE uint16_t f32_to_f16(float x) {
  uint32_t b = f32_bits(x), sign = (b >> 16) & 0x8000, exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  if (exp == 0xff) return uint16_t(mant ? (sign | 0x7e00 | (mant >> 13)) : (sign | 0x7c00));
  int e = int(exp) - 127 + 15;
  if (e >= 0x1f) return uint16_t(sign | 0x7c00);
  uint32_t full = e > 0 ? mant : (mant | 0x800000);
  int shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return uint16_t(sign);
  uint32_t kept = full >> shift, rest = full & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (kept & 1))) kept++;
  return uint16_t(sign | ((e > 0 ? uint32_t(e) << 10 : 0) + kept));
}

// float32 → nearest BF16 bits, ties to even; NaN stays quiet NaN (src/io/half.ts numberToBf16Bits).
CTL_INLINE uint16_t f32_to_bf16(float x) {
  uint32_t b = f32_bits(x);
  if ((b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff)) return uint16_t((b >> 16) | 0x40);
  return uint16_t((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

CTL_INLINE float load(const MergeInput& x, size_t i) {
  switch (x.dtype) {
    case kMergeBF16: return bits_f32(uint32_t(static_cast<const uint16_t*>(x.data)[i]) << 16);
    case kMergeF16: return f16_to_f32(static_cast<const uint16_t*>(x.data)[i]);
    default: return static_cast<const float*>(x.data)[i];
  }
}

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

CTL_INLINE uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// acc[0:m] = Σ_j c_j x_j[b:b+m] in float64
CTL_INLINE void linear_block(size_t b, size_t e, const std::vector<MergeInput>& xs, const double* c, float* tmp, double* acc, void* out, int od) {
  const size_t m = e - b;
  for (size_t i = 0; i < m; i++) acc[i] = 0;
  for (size_t j = 0; j < xs.size(); j++) {
    decode(xs[j], b, e, tmp);
    const double cj = c[j];
    for (size_t i = 0; i < m; i++) acc[i] += cj * double(tmp[i]);
  }
  encode(acc, b, e, out, od);
}

__attribute__((target("avx2,fma"))) void linear_block_avx2(size_t b, size_t e, const std::vector<MergeInput>& xs, const double* c, float* tmp, double* acc, void* out, int od) {
  linear_block(b, e, xs, c, tmp, acc, out, od);
}
void linear_block_generic(size_t b, size_t e, const std::vector<MergeInput>& xs, const double* c, float* tmp, double* acc, void* out, int od) {
  linear_block(b, e, xs, c, tmp, acc, out, od);
}

size_t blocks_of(size_t n) { return (n + kBlock - 1) / kBlock; }

// Runs fn(block, chunk) over every block, chunks being contiguous runs of blocks (one per thread).
template <class F>
void for_blocks(size_t n, size_t chunks, F&& fn) {
  const size_t nb = blocks_of(n);
  parallel_for(chunks, 1, [&](size_t cb, size_t ce) {
    for (size_t ch = cb; ch < ce; ch++)
      for (size_t blk = nb * ch / chunks; blk < nb * (ch + 1) / chunks; blk++) fn(blk, ch);
  });
}

}  // namespace

uint32_t merge_draw32(uint32_t k0, uint32_t k1, uint32_t i) { return mix32(mix32(i ^ k0) + k1); }

void merge_linear(size_t n, const std::vector<MergeInput>& xs, const double* c, void* out, int out_dtype) {
  const bool simd = use_avx2_fma();
  parallel_for(blocks_of(n), 1, [&](size_t bb, size_t be) {
    std::vector<float> tmp(kBlock);
    std::vector<double> acc(kBlock);
    for (size_t blk = bb; blk < be; blk++) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      if (simd) linear_block_avx2(b, e, xs, c, tmp.data(), acc.data(), out, out_dtype);
      else linear_block_generic(b, e, xs, c, tmp.data(), acc.data(), out, out_dtype);
    }
  });
}

void merge_gta(size_t n, MergeInput base, const std::vector<MergeInput>& xs, const GtaSpec& s, void* out, int out_dtype) {
  const size_t M = xs.size(), nb = blocks_of(n);
  if (M == 0 || M > kMaxModels) throw std::invalid_argument("mergeGta: expected 1 to 64 models besides the base");
  if (n > 0xffffffffull) throw std::invalid_argument("mergeGta: tensors over 2^32 elements are not supported");
  const size_t chunks = std::max<size_t>(1, std::min(nb, usable_threads()));
  // |δ_j(i)| as float32 bits (monotonic in the magnitude), δ decoded on the fly
  auto delta = [&](size_t j, size_t i, float b) { return load(xs[j], i) - b; };
  std::vector<char> active(M, 0);
  for (size_t j = 0; j < M; j++) active[j] = s.sparsify != 0 && s.density[j] < 1;
  // per model: threshold bits T and ties kept `need` (magnitude); per block sums for the rescale
  std::vector<uint32_t> thr(M, 0);
  std::vector<uint64_t> need(M, 0), kcount(M, 0);
  std::vector<double> before(M * nb, 0), after(M * nb, 0);
  std::vector<uint64_t> ties(M * nb, 0);
  std::vector<double> scale(M, 1.0);
  bool any = false;
  for (size_t j = 0; j < M; j++) any |= bool(active[j]);
  if (any && s.sparsify == 1) {
    for (size_t j = 0; j < M; j++) kcount[j] = uint64_t(std::floor(s.density[j] * double(n)));
    // level 1: histogram of the top 16 bits of |δ|
    std::vector<uint32_t> h1(chunks * M * 65536, 0);
    for_blocks(n, chunks, [&](size_t blk, size_t ch) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      for (size_t j = 0; j < M; j++) {
        if (!active[j]) continue;
        uint32_t* h = &h1[(ch * M + j) * 65536];
        double sum = 0;
        for (size_t i = b; i < e; i++) {
          float d = delta(j, i, load(base, i));
          sum += std::fabs(double(d));
          h[(f32_bits(d) & 0x7fffffffu) >> 16]++;
        }
        before[j * nb + blk] = sum;
      }
    });
    std::vector<uint32_t> bin(M, 0);
    std::vector<uint64_t> above(M, 0), rank(M, 0);
    for (size_t j = 0; j < M; j++) {
      if (!active[j] || kcount[j] == 0) continue;
      uint64_t cum = 0;
      for (int v = 65535; v >= 0; v--) {
        uint64_t c = 0;
        for (size_t ch = 0; ch < chunks; ch++) c += h1[(ch * M + j) * 65536 + v];
        if (cum + c >= kcount[j]) { bin[j] = uint32_t(v); rank[j] = kcount[j] - cum; above[j] = cum; break; }
        cum += c;
      }
    }
    // level 2: the low 16 bits within the bin holding the k-th largest
    std::fill(h1.begin(), h1.end(), 0);
    for_blocks(n, chunks, [&](size_t blk, size_t ch) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      for (size_t j = 0; j < M; j++) {
        if (!active[j] || kcount[j] == 0) continue;
        uint32_t* h = &h1[(ch * M + j) * 65536];
        for (size_t i = b; i < e; i++) {
          uint32_t a = f32_bits(delta(j, i, load(base, i))) & 0x7fffffffu;
          if ((a >> 16) == bin[j]) h[a & 0xffff]++;
        }
      }
    });
    for (size_t j = 0; j < M; j++) {
      if (!active[j] || kcount[j] == 0) continue;
      uint64_t cum = 0;
      for (int v = 65535; v >= 0; v--) {
        uint64_t c = 0;
        for (size_t ch = 0; ch < chunks; ch++) c += h1[(ch * M + j) * 65536 + v];
        if (cum + c >= rank[j]) { thr[j] = (bin[j] << 16) | uint32_t(v); need[j] = kcount[j] - (above[j] + cum); break; }
        cum += c;
      }
    }
    // ties per block (those at T kept in index order) and the kept L1 mass
    for_blocks(n, chunks, [&](size_t blk, size_t) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      for (size_t j = 0; j < M; j++) {
        if (!active[j] || kcount[j] == 0) continue;
        uint64_t t = 0;
        double sum = 0;
        for (size_t i = b; i < e; i++) {
          float d = delta(j, i, load(base, i));
          uint32_t a = f32_bits(d) & 0x7fffffffu;
          t += a == thr[j];
          if (a > thr[j]) sum += std::fabs(double(d));
        }
        ties[j * nb + blk] = t;
        after[j * nb + blk] = sum;
      }
    });
  } else if (any && s.sparsify == 2 && s.rescale) {
    for_blocks(n, chunks, [&](size_t blk, size_t) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      for (size_t j = 0; j < M; j++) {
        if (!active[j]) continue;
        const double p = s.density[j] * 4294967296.0;
        double sb = 0, sa = 0;
        for (size_t i = b; i < e; i++) {
          double a = std::fabs(double(delta(j, i, load(base, i))));
          sb += a;
          if (double(merge_draw32(s.k0[j], s.k1[j], uint32_t(i))) < p) sa += a;
        }
        before[j * nb + blk] = sb;
        after[j * nb + blk] = sa;
      }
    });
  }
  // rescale factors (sums reduced in block order) and each block's first tie rank
  std::vector<uint64_t> tie_start(M * nb, 0);
  for (size_t j = 0; j < M; j++) {
    if (!active[j]) continue;
    double sb = 0, sa = 0;
    uint64_t tcum = 0;
    for (size_t blk = 0; blk < nb; blk++) {
      sb += before[j * nb + blk];
      sa += after[j * nb + blk];
      tie_start[j * nb + blk] = tcum;
      tcum += ties[j * nb + blk];
    }
    if (s.sparsify == 1 && kcount[j] > 0) sa += double(need[j]) * double(bits_f32(thr[j]));
    if (s.rescale && sb >= 1e-7 && sa >= 1e-7) scale[j] = sb / sa;
  }
  double wsum = 0;
  for (size_t j = 0; j < M; j++) wsum += s.weight[j];
  const double div_all = std::fabs(wsum) < 1e-8 ? 1 : wsum;
  // final pass: sparsified deltas, sign election, disjoint mean, encode
  parallel_for(nb, 1, [&](size_t bb, size_t be) {
    std::vector<double> acc(kBlock);
    double dd[kMaxModels];
    for (size_t blk = bb; blk < be; blk++) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
      uint64_t tie_seen[kMaxModels];
      for (size_t j = 0; j < M; j++) tie_seen[j] = tie_start[j * nb + blk];
      for (size_t i = b; i < e; i++) {
        const float bf = load(base, i);
        for (size_t j = 0; j < M; j++) {
          float d = delta(j, i, bf);
          bool keep = true;
          if (active[j]) {
            if (s.sparsify == 1) {
              uint32_t a = f32_bits(d) & 0x7fffffffu;
              keep = kcount[j] > 0 && (a > thr[j] || (a == thr[j] && tie_seen[j]++ < need[j]));
            } else {
              keep = double(merge_draw32(s.k0[j], s.k1[j], uint32_t(i))) < s.density[j] * 4294967296.0;
            }
          }
          dd[j] = keep ? double(d) * scale[j] : 0.0;
        }
        double mixed = 0, div = 0;
        if (s.consensus) {
          const bool paper = s.consensus == 2;
          double sum = 0;
          for (size_t j = 0; j < M; j++) sum += paper ? dd[j] : s.weight[j] * dd[j];
          const double elected = sum >= 0 ? 1 : -1;
          for (size_t j = 0; j < M; j++) {
            const double wd = s.weight[j] * dd[j];
            const double v = paper ? dd[j] : wd;
            if ((v > 0 ? 1 : v < 0 ? -1 : 0) == elected) mixed += wd, div += s.weight[j];
          }
          if (div == 0) div = 1;
        } else {
          for (size_t j = 0; j < M; j++) mixed += s.weight[j] * dd[j];
          div = div_all;
        }
        if (s.normalize) mixed /= div;
        acc[i - b] = double(bf) + s.lambda * mixed;
      }
      encode(acc.data(), b, e, out, out_dtype);
    }
  });
}

}  // namespace ctl
