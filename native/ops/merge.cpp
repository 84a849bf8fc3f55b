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

constexpr size_t kBlock = 1 << 14;
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

CTL_INLINE uint32_t draw32(uint32_t k0, uint32_t k1, uint32_t i) { return mix32(mix32(i ^ k0) + k1); }

// draw < p·2^32 (a float64 compare, as in rng.ts) ⟺ draw < ceil(p·2^32) as integers.
inline uint64_t keep_below(double p) {
  double t = std::ceil(p * 4294967296.0);
  return t <= 0 ? 0 : t >= 4294967296.0 ? (uint64_t(1) << 32) : uint64_t(t);
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



// The state of one merge_gta call that the block passes share.
struct GtaState {
  const GtaSpec* s;
  MergeInput base;
  const std::vector<MergeInput>* xs;
  size_t M, nb;
  std::vector<char> active;
  std::vector<uint32_t> thr, bin;
  std::vector<uint64_t> need, kcount;
  std::vector<double> before, after, scale;  // before/after per (model, block)
  std::vector<uint64_t> ties, tie_start;
  double div_all = 1;
  void* out;
  int out_dtype;
};

// Per-thread block buffers: base and M deltas (float32), per-model kept deltas and the sums (float64).
struct GtaBuf {
  std::vector<float> b;
  std::vector<std::vector<float>> d;
  std::vector<std::vector<double>> dd;
  std::vector<double> mixed, div, vote;
  std::vector<uint32_t> r;
  GtaBuf(size_t M) : b(kBlock), d(M, std::vector<float>(kBlock)), dd(M, std::vector<double>(kBlock)), mixed(kBlock), div(kBlock), vote(kBlock), r(kBlock) {}
};

// r[0:m] = draws of elements b0 … b0 + m − 1 of model j (a plain integer loop: vectorizes).
CTL_INLINE void draws(const GtaSpec& s, size_t j, size_t b0, size_t m, uint32_t* r) {
  const uint32_t k0 = s.k0[j], k1 = s.k1[j], base = uint32_t(b0);
  for (size_t i = 0; i < m; i++) r[i] = draw32(k0, k1, base + uint32_t(i));
}

enum GtaPass { kHist1, kHist2, kTies, kDrawSums, kFinal };

// δ_j = f32(x_j) − f32(b) on [b0, e0) into buf.d[j] (every loop a plain vectorizable one).
CTL_INLINE void gta_deltas(const GtaState& g, size_t b0, size_t e0, GtaBuf& buf) {
  const size_t m = e0 - b0;
  decode(g.base, b0, e0, buf.b.data());
  for (size_t j = 0; j < g.M; j++) {
    float* d = buf.d[j].data();
    decode((*g.xs)[j], b0, e0, d);
    const float* bb = buf.b.data();
    for (size_t i = 0; i < m; i++) d[i] = d[i] - bb[i];
  }
}

// Sum of |v| over v[0:m] with 8 interleaved float64 accumulators (a fixed order: deterministic).
CTL_INLINE double abs_sum(const float* v, size_t m, bool only_above = false, uint32_t above = 0) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < m; i++) {
    double a = std::fabs(double(v[i]));
    acc[i & 7] += (!only_above || (f32_bits(v[i]) & 0x7fffffffu) > above) ? a : 0.0;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

CTL_INLINE void gta_block(GtaPass pass, GtaState& g, size_t b0, size_t e0, size_t blk, uint32_t* hist, GtaBuf& buf) {
  const GtaSpec& s = *g.s;
  const size_t M = g.M, nb = g.nb, m = e0 - b0;
  gta_deltas(g, b0, e0, buf);
  if (pass == kHist1 || pass == kHist2 || pass == kTies) {
    for (size_t j = 0; j < M; j++) {
      if (!g.active[j] || g.kcount[j] == 0) continue;
      const float* d = buf.d[j].data();
      uint32_t* h = hist + j * 65536;
      if (pass == kHist1) {
        for (size_t i = 0; i < m; i++) h[(f32_bits(d[i]) & 0x7fffffffu) >> 16]++;
        g.before[j * nb + blk] = abs_sum(d, m);
      } else if (pass == kHist2) {
        const uint32_t bin = g.bin[j];
        for (size_t i = 0; i < m; i++) {
          uint32_t a = f32_bits(d[i]) & 0x7fffffffu;
          if ((a >> 16) == bin) h[a & 0xffff]++;
        }
      } else {
        const uint32_t t = g.thr[j];
        uint64_t c = 0;
        for (size_t i = 0; i < m; i++) c += (f32_bits(d[i]) & 0x7fffffffu) == t;
        g.ties[j * nb + blk] = c;
        g.after[j * nb + blk] = abs_sum(d, m, true, t);
      }
    }
    return;
  }
  if (pass == kDrawSums) {
    for (size_t j = 0; j < M; j++) {
      if (!g.active[j]) continue;
      float* d = buf.d[j].data();
      g.before[j * nb + blk] = abs_sum(d, m);
      draws(s, j, b0, m, buf.r.data());
      const uint64_t p = keep_below(s.density[j]);
      const uint32_t* r = buf.r.data();
      for (size_t i = 0; i < m; i++) d[i] = uint64_t(r[i]) < p ? d[i] : 0.0f;
      g.after[j * nb + blk] = abs_sum(d, m);
    }
    return;
  }
  // final: kept and rescaled deltas, sign election, disjoint mean, θ_b + λ·mixed / D, encode
  double* mixed = buf.mixed.data();
  double* div = buf.div.data();
  double* vote = buf.vote.data();
  for (size_t i = 0; i < m; i++) mixed[i] = 0, div[i] = 0, vote[i] = 0;
  const bool paper = s.consensus == 2;
  // δ'_j (kept, rescaled) per model, and the vote Σ_j v_j, v = w·δ' (mergekit) or δ' (paper)
  for (size_t j = 0; j < M; j++) {
    const float* d = buf.d[j].data();
    double* dd = buf.dd[j].data();
    const double sc = g.scale[j], w = s.weight[j];
    if (!g.active[j]) {
      for (size_t i = 0; i < m; i++) dd[i] = double(d[i]) * sc;
    } else if (s.sparsify == 1) {
      const uint32_t t = g.thr[j];
      const bool none = g.kcount[j] == 0;
      uint64_t seen = g.tie_start[j * nb + blk];
      const uint64_t need = g.need[j];
      for (size_t i = 0; i < m; i++) {
        uint32_t a = f32_bits(d[i]) & 0x7fffffffu;
        bool keep = !none && (a > t || (a == t && seen++ < need));
        dd[i] = keep ? double(d[i]) * sc : 0.0;
      }
    } else {
      draws(s, j, b0, m, buf.r.data());
      const uint64_t p = keep_below(s.density[j]);
      const uint32_t* r = buf.r.data();
      for (size_t i = 0; i < m; i++) dd[i] = uint64_t(r[i]) < p ? double(d[i]) * sc : 0.0;
    }
    if (s.consensus) {
      for (size_t i = 0; i < m; i++) vote[i] += paper ? dd[i] : w * dd[i];
    } else {
      for (size_t i = 0; i < m; i++) mixed[i] += w * dd[i];
    }
  }
  // the disjoint mean: the weighted deltas whose sign matches the elected one
  if (s.consensus) {
    for (size_t j = 0; j < M; j++) {
      const double* dd = buf.dd[j].data();
      const double w = s.weight[j];
      for (size_t i = 0; i < m; i++) {
        const double wd = w * dd[i], v = paper ? dd[i] : wd;
        const double elected = vote[i] >= 0 ? 1.0 : -1.0;
        const bool match = (v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0) == elected;
        mixed[i] += match ? wd : 0.0;
        div[i] += match ? w : 0.0;
      }
    }
  }
  const float* bb = buf.b.data();
  for (size_t i = 0; i < m; i++) {
    double mx = mixed[i];
    const double dv = s.consensus ? (div[i] == 0 ? 1.0 : div[i]) : g.div_all;
    if (s.normalize) mx /= dv;
    mixed[i] = double(bb[i]) + s.lambda * mx;
  }
  encode(mixed, b0, e0, g.out, g.out_dtype);
}

__attribute__((target("avx2,fma"))) void gta_block_avx2(GtaPass p, GtaState& g, size_t b0, size_t e0, size_t blk, uint32_t* h, GtaBuf& buf) {
  gta_block(p, g, b0, e0, blk, h, buf);
}
void gta_block_generic(GtaPass p, GtaState& g, size_t b0, size_t e0, size_t blk, uint32_t* h, GtaBuf& buf) {
  gta_block(p, g, b0, e0, blk, h, buf);
}

// Runs one pass over every block; chunk ch (a contiguous run of blocks) uses hist + ch·M·65536.
void gta_pass(GtaPass pass, GtaState& g, size_t n, size_t chunks, std::vector<uint32_t>* hist) {
  const bool simd = use_avx2_fma();
  parallel_for(chunks, 1, [&](size_t cb, size_t ce) {
    GtaBuf buf(g.M);
    for (size_t ch = cb; ch < ce; ch++) {
      uint32_t* h = hist ? hist->data() + ch * g.M * 65536 : nullptr;
      for (size_t blk = g.nb * ch / chunks; blk < g.nb * (ch + 1) / chunks; blk++) {
        size_t b0 = blk * kBlock, e0 = std::min(n, b0 + kBlock);
        if (simd) gta_block_avx2(pass, g, b0, e0, blk, h, buf);
        else gta_block_generic(pass, g, b0, e0, blk, h, buf);
      }
    }
  });
}

// Finds, for each active model, the bin holding the k-th largest (level 1) or the exact threshold.
void select_level(GtaState& g, const std::vector<uint32_t>& hist, size_t chunks, bool level2, std::vector<uint64_t>& above, std::vector<uint64_t>& rank) {
  for (size_t j = 0; j < g.M; j++) {
    if (!g.active[j] || g.kcount[j] == 0) continue;
    const uint64_t want = level2 ? rank[j] : g.kcount[j];
    uint64_t cum = 0;
    for (int v = 65535; v >= 0; v--) {
      uint64_t c = 0;
      for (size_t ch = 0; ch < chunks; ch++) c += hist[(ch * g.M + j) * 65536 + size_t(v)];
      if (cum + c >= want) {
        if (!level2) g.bin[j] = uint32_t(v), rank[j] = want - cum, above[j] = cum;
        else g.thr[j] = (g.bin[j] << 16) | uint32_t(v), g.need[j] = g.kcount[j] - (above[j] + cum);
        break;
      }
      cum += c;
    }
  }
}

}  // namespace

uint32_t merge_draw32(uint32_t k0, uint32_t k1, uint32_t i) { return draw32(k0, k1, i); }

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
  GtaState g;
  g.s = &s, g.base = base, g.xs = &xs, g.M = M, g.nb = nb, g.out = out, g.out_dtype = out_dtype;
  g.active.assign(M, 0);
  bool any = false;
  for (size_t j = 0; j < M; j++) {
    g.active[j] = s.sparsify != 0 && s.density[j] < 1;
    any |= bool(g.active[j]);
  }
  g.thr.assign(M, 0), g.bin.assign(M, 0), g.need.assign(M, 0), g.kcount.assign(M, 0), g.scale.assign(M, 1.0);
  g.before.assign(M * nb, 0), g.after.assign(M * nb, 0), g.ties.assign(M * nb, 0), g.tie_start.assign(M * nb, 0);
  if (any && s.sparsify == 1) {
    for (size_t j = 0; j < M; j++) g.kcount[j] = uint64_t(std::floor(s.density[j] * double(n)));
    std::vector<uint32_t> hist(chunks * M * 65536, 0);
    std::vector<uint64_t> above(M, 0), rank(M, 0);
    gta_pass(kHist1, g, n, chunks, &hist);  // level 1: the top 16 bits of |δ|
    select_level(g, hist, chunks, false, above, rank);
    std::fill(hist.begin(), hist.end(), 0);
    gta_pass(kHist2, g, n, chunks, &hist);  // level 2: the low 16 bits within that bin
    select_level(g, hist, chunks, true, above, rank);
    // ties at the threshold per block and the kept L1 mass; not needed when every tie is kept
    // (then "a ≥ T" decides) and nothing is rescaled
    bool ties_needed = s.rescale;
    for (size_t j = 0; j < M && !ties_needed; j++) {
      if (!g.active[j] || g.kcount[j] == 0) continue;
      uint64_t at_t = 0;
      for (size_t ch = 0; ch < chunks; ch++) at_t += hist[(ch * M + j) * 65536 + (g.thr[j] & 0xffff)];
      ties_needed = at_t != g.need[j];
    }
    if (ties_needed) gta_pass(kTies, g, n, chunks, nullptr);
  } else if (any && s.sparsify == 2 && s.rescale) {
    gta_pass(kDrawSums, g, n, chunks, nullptr);
  }
  // rescale factors (sums reduced in block order) and each block's first tie rank
  for (size_t j = 0; j < M; j++) {
    if (!g.active[j]) continue;
    double sb = 0, sa = 0;
    uint64_t tcum = 0;
    for (size_t blk = 0; blk < nb; blk++) {
      sb += g.before[j * nb + blk];
      sa += g.after[j * nb + blk];
      g.tie_start[j * nb + blk] = tcum;
      tcum += g.ties[j * nb + blk];
    }
    if (s.sparsify == 1 && g.kcount[j] > 0) sa += double(g.need[j]) * double(bits_f32(g.thr[j]));
    if (s.rescale && sb >= 1e-7 && sa >= 1e-7) g.scale[j] = sb / sa;
  }
  double wsum = 0;
  for (size_t j = 0; j < M; j++) wsum += s.weight[j];
  g.div_all = std::fabs(wsum) < 1e-8 ? 1 : wsum;
  gta_pass(kFinal, g, n, chunks, nullptr);
}

}  // namespace ctl
