// Merge kernels: fixed blocks of kBlock elements; each pass decodes its inputs on the fly (no
// float32 copy of a tensor); top-k by a two-level radix select on |δ| bit patterns: a level-1
// histogram of the top 15 bits, then the low 16 bits of the elements in the chosen bin, kept
// (a few per block) so the exact threshold and each block's ties come without another pass.
// Passes run the AVX-512 block kernels (merge_avx512.cpp) or the portable ones below (an AVX2
// clone and a plain one); all give the same bytes.
#include "ops/merge.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "ops/merge_isa.h"
#include "ops/merge_portable.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

using namespace merge_detail;

constexpr size_t kMaxModels = 64;

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

// The state of one merge_gta call that the block passes share (ctx points into it).
struct GtaState {
  GtaCtx ctx;
  const GtaSpec* s;
  size_t M, nb, chunks;
  std::vector<uint8_t> active, select;
  std::vector<uint32_t> thr, bin, k0, k1;
  std::vector<uint64_t> need, kcount, pkeep;
  std::vector<double> before, after, scale;  // before/after per (model, block)
  std::vector<uint64_t> ties, tie_start;     // per (model, block)
  std::vector<uint32_t> hist;                // level 1: per (chunk, model) kBins counts
  std::vector<std::vector<uint16_t>> cand;   // per model: low 16 bits of the elements in bin[j], in index order
  std::vector<uint64_t> cand_off, cand_count;  // per (chunk, model) start in cand[j]; per (model, block) count
  std::vector<std::vector<uint16_t>> bits;   // bernoulli keep bits per model (when the sums pass ran)
  std::vector<uint16_t*> bits_ptr;
  std::vector<uint8_t> mode;                 // TieMode per (block, model)
};

// Per-thread block buffers of the portable passes: base and M deltas (float32), per-model kept
// deltas and the sums (float64).
struct GtaBuf {
  std::vector<float> b;
  std::vector<std::vector<float>> d;
  std::vector<std::vector<double>> dd;
  std::vector<double> mixed, div, vote;
  std::vector<uint32_t> r;
  GtaBuf(size_t M) : b(kBlock), d(M, std::vector<float>(kBlock)), dd(M, std::vector<double>(kBlock)), mixed(kBlock), div(kBlock), vote(kBlock), r(kBlock) {}
};

// r[0:m] = draws of elements b0 … b0 + m − 1 of model j (a plain integer loop: vectorizes).
CTL_INLINE void draws(const GtaCtx& g, size_t j, size_t b0, size_t m, uint32_t* r) {
  const uint32_t k0 = g.k0[j], k1 = g.k1[j], base = uint32_t(b0);
  for (size_t i = 0; i < m; i++) r[i] = draw32(k0, k1, base + uint32_t(i));
}

enum GtaPass { kHist1, kCands, kTies, kDrawSums, kFinal };

// δ_j = f32(x_j) − f32(b) on [b0, e0) into buf.d[j] (every loop a plain vectorizable one).
CTL_INLINE void gta_deltas(const GtaCtx& g, size_t b0, size_t e0, GtaBuf& buf) {
  const size_t m = e0 - b0;
  decode(g.base, b0, e0, buf.b.data());
  for (size_t j = 0; j < g.M; j++) {
    float* d = buf.d[j].data();
    decode(g.xs[j], b0, e0, d);
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

// One block of a pass, the portable way. hist: this chunk's level-1 counts; cp: where this
// chunk's candidates go, per model.
CTL_INLINE void gta_block(GtaPass pass, GtaState& st, size_t b0, size_t e0, size_t blk, uint32_t* hist, uint16_t** cp, GtaBuf& buf) {
  const GtaCtx& g = st.ctx;
  const size_t M = g.M, nb = st.nb, m = e0 - b0;
  gta_deltas(g, b0, e0, buf);
  if (pass == kHist1 || pass == kCands || pass == kTies) {
    for (size_t j = 0; j < M; j++) {
      if (!g.select[j]) continue;
      const float* d = buf.d[j].data();
      if (pass == kHist1) {
        uint32_t* h = hist + j * kBins;
        for (size_t i = 0; i < m; i++) h[(f32_bits(d[i]) & 0x7fffffffu) >> 16]++;
        st.before[j * nb + blk] = abs_sum(d, m);
      } else if (pass == kCands) {
        const uint32_t bin = g.bin[j];
        uint16_t* c = cp[j];
        for (size_t i = 0; i < m; i++) {
          uint32_t a = f32_bits(d[i]) & 0x7fffffffu;
          if ((a >> 16) == bin) *c++ = uint16_t(a & 0xffff);
        }
        st.cand_count[j * nb + blk] = uint64_t(c - cp[j]);
        cp[j] = c;
      } else {
        const uint32_t t = g.thr[j];
        uint64_t c = 0;
        for (size_t i = 0; i < m; i++) c += (f32_bits(d[i]) & 0x7fffffffu) == t;
        st.ties[j * nb + blk] = c;
        st.after[j * nb + blk] = abs_sum(d, m, true, t);
      }
    }
    return;
  }
  if (pass == kDrawSums) {
    for (size_t j = 0; j < M; j++) {
      if (!g.active[j]) continue;
      float* d = buf.d[j].data();
      st.before[j * nb + blk] = abs_sum(d, m);
      draws(g, j, b0, m, buf.r.data());
      const uint64_t p = g.pkeep[j];
      const uint32_t* r = buf.r.data();
      uint16_t* bits = st.bits_ptr[j] + b0 / 16;
      for (size_t w = 0; w < (m + 15) / 16; w++) bits[w] = 0;
      for (size_t i = 0; i < m; i++) bits[i / 16] |= uint16_t(uint64_t(r[i]) < p) << (i % 16);
      for (size_t i = 0; i < m; i++) d[i] = uint64_t(r[i]) < p ? d[i] : 0.0f;
      st.after[j * nb + blk] = abs_sum(d, m);
    }
    return;
  }
  // final: kept and rescaled deltas, sign election, disjoint mean, θ_b + λ·mixed / D, encode
  const GtaSpec& s = *st.s;
  double* mixed = buf.mixed.data();
  double* div = buf.div.data();
  double* vote = buf.vote.data();
  for (size_t i = 0; i < m; i++) mixed[i] = 0, div[i] = 0, vote[i] = 0;
  const bool paper = s.consensus == 2;
  // δ'_j (kept, rescaled) per model, and the vote Σ_j v_j, v = w·δ' (mergekit) or δ' (paper)
  for (size_t j = 0; j < M; j++) {
    const float* d = buf.d[j].data();
    double* dd = buf.dd[j].data();
    const double sc = g.scale[j], w = g.weight[j];
    if (!g.active[j]) {
      for (size_t i = 0; i < m; i++) dd[i] = double(d[i]) * sc;
    } else if (s.sparsify == 1) {
      const uint32_t t = g.thr[j];
      const bool none = !g.select[j];
      uint64_t seen = st.tie_start[j * nb + blk];
      const uint64_t need = st.need[j];
      for (size_t i = 0; i < m; i++) {
        uint32_t a = f32_bits(d[i]) & 0x7fffffffu;
        bool keep = !none && (a > t || (a == t && seen++ < need));
        dd[i] = keep ? double(d[i]) * sc : 0.0;
      }
    } else if (st.bits_ptr[j]) {
      const uint16_t* bits = st.bits_ptr[j] + b0 / 16;
      for (size_t i = 0; i < m; i++) dd[i] = (bits[i / 16] >> (i % 16)) & 1 ? double(d[i]) * sc : 0.0;
    } else {
      draws(g, j, b0, m, buf.r.data());
      const uint64_t p = g.pkeep[j];
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
      const double w = g.weight[j];
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

__attribute__((target("avx2,fma"))) void gta_block_avx2(GtaPass p, GtaState& st, size_t b0, size_t e0, size_t blk, uint32_t* h, uint16_t** cp, GtaBuf& buf) {
  gta_block(p, st, b0, e0, blk, h, cp, buf);
}
void gta_block_generic(GtaPass p, GtaState& st, size_t b0, size_t e0, size_t blk, uint32_t* h, uint16_t** cp, GtaBuf& buf) {
  gta_block(p, st, b0, e0, blk, h, cp, buf);
}

// One block through the AVX-512 kernels; false: it must go the portable way.
bool gta_block_wide(GtaPass pass, GtaState& st, size_t b0, size_t e0, size_t blk, uint32_t* h, uint16_t** cp) {
#if defined(__x86_64__) || defined(__i386__)
  const GtaCtx& g = st.ctx;
  const size_t M = g.M, nb = st.nb;
  double sb[kMaxModels], sa[kMaxModels];
  uint64_t cnt[kMaxModels];
  switch (pass) {
    case kHist1:
      gta_hist1_avx512(g, b0, e0, h, sb);
      for (size_t j = 0; j < M; j++)
        if (g.select[j]) st.before[j * nb + blk] = sb[j];
      return true;
    case kCands:
      gta_cands_avx512(g, b0, e0, cp, cnt);
      for (size_t j = 0; j < M; j++)
        if (g.select[j]) st.cand_count[j * nb + blk] = cnt[j];
      return true;
    case kTies:
      gta_ties_avx512(g, b0, e0, cnt, sa);
      for (size_t j = 0; j < M; j++)
        if (g.select[j]) st.ties[j * nb + blk] = cnt[j], st.after[j * nb + blk] = sa[j];
      return true;
    case kDrawSums:
      gta_drawsums_avx512(g, b0, e0, sb, sa, st.bits_ptr.data());
      for (size_t j = 0; j < M; j++)
        if (g.active[j]) st.before[j * nb + blk] = sb[j], st.after[j * nb + blk] = sa[j];
      return true;
    case kFinal: {
      const uint8_t* mode = st.mode.empty() ? nullptr : st.mode.data() + blk * M;
      if (mode)
        for (size_t j = 0; j < M; j++)
          if (mode[j] == kTiesSome) return false;
      return gta_final_avx512(g, b0, e0, mode, st.bits_ptr.data());
    }
  }
#endif
  (void)pass, (void)st, (void)b0, (void)e0, (void)blk, (void)h, (void)cp;
  return false;
}

// Runs one pass over every block; chunk ch (a contiguous run of blocks) counts into its own
// level-1 histogram and writes its candidates from cand_off.
void gta_pass(GtaPass pass, GtaState& st, size_t n) {
  const bool wide = use_avx512(), simd = use_avx2_fma();
  const size_t M = st.M, nb = st.nb, chunks = st.chunks;
  FirstError err;
  parallel_for(chunks, 1, [&](size_t cb, size_t ce) {
    std::unique_ptr<GtaBuf> buf;
    std::vector<uint16_t*> cp(M, nullptr);
    for (size_t ch = cb; ch < ce; ch++) {
      uint32_t* h = pass == kHist1 ? st.hist.data() + ch * M * kBins : nullptr;
      if (pass == kCands)
        for (size_t j = 0; j < M; j++)
          if (st.select[j]) cp[j] = st.cand[j].data() + st.cand_off[ch * M + j];
      for (size_t blk = nb * ch / chunks; blk < nb * (ch + 1) / chunks; blk++) {
        size_t b0 = blk * kBlock, e0 = std::min(n, b0 + kBlock);
        try {
          if (wide && gta_block_wide(pass, st, b0, e0, blk, h, cp.data())) continue;
          if (!buf) buf.reset(new GtaBuf(M));
          if (simd) gta_block_avx2(pass, st, b0, e0, blk, h, cp.data(), *buf);
          else gta_block_generic(pass, st, b0, e0, blk, h, cp.data(), *buf);
        } catch (const std::runtime_error& e) {
          err.note(blk, e);
          break;
        }
      }
    }
  });
  err.rethrow();
}

// Level 1: for each selecting model, the bin holding the k-th largest |δ|, the rank inside it and
// how many lie above; then room for that bin's candidates, per chunk.
void select_bins(GtaState& st, std::vector<uint64_t>& above, std::vector<uint64_t>& rank) {
  const size_t M = st.M, chunks = st.chunks;
  st.cand.assign(M, {});
  st.cand_off.assign(chunks * M, 0);
  for (size_t j = 0; j < M; j++) {
    if (!st.select[j]) continue;
    uint64_t cum = 0;
    for (int v = int(kBins) - 1; v >= 0; v--) {
      uint64_t c = 0;
      for (size_t ch = 0; ch < chunks; ch++) c += st.hist[(ch * M + j) * kBins + size_t(v)];
      if (cum + c >= st.kcount[j]) {
        st.bin[j] = uint32_t(v), rank[j] = st.kcount[j] - cum, above[j] = cum;
        break;
      }
      cum += c;
    }
    uint64_t off = 0;
    for (size_t ch = 0; ch < chunks; ch++) {
      st.cand_off[ch * M + j] = off;
      off += st.hist[(ch * M + j) * kBins + st.bin[j]];
    }
    st.cand[j].resize(off);
  }
}

// Level 2 on the candidates: the exact threshold, how many of its ties are kept, and each block's
// number of ties (they lie in the candidates, block after block).
void select_threshold(GtaState& st, const std::vector<uint64_t>& above, const std::vector<uint64_t>& rank) {
  const size_t M = st.M, nb = st.nb;
  std::vector<uint32_t> h2(65536);
  for (size_t j = 0; j < M; j++) {
    if (!st.select[j]) continue;
    std::fill(h2.begin(), h2.end(), 0);
    for (uint16_t c : st.cand[j]) h2[c]++;
    uint64_t cum = 0;
    for (int v = 65535; v >= 0; v--) {
      if (cum + h2[size_t(v)] >= rank[j]) {
        st.thr[j] = (st.bin[j] << 16) | uint32_t(v), st.need[j] = st.kcount[j] - (above[j] + cum);
        break;
      }
      cum += h2[size_t(v)];
    }
    const uint16_t low = uint16_t(st.thr[j] & 0xffff);
    const uint16_t* c = st.cand[j].data();
    for (size_t blk = 0; blk < nb; blk++) {
      uint64_t t = 0;
      for (uint64_t i = 0; i < st.cand_count[j * nb + blk]; i++) t += c[i] == low;
      st.ties[j * nb + blk] = t;
      c += st.cand_count[j * nb + blk];
    }
    std::vector<uint16_t>().swap(st.cand[j]);
  }
}

}  // namespace

uint32_t merge_draw32(uint32_t k0, uint32_t k1, uint32_t i) { return draw32(k0, k1, i); }

void merge_linear(size_t n, const std::vector<MergeInput>& xs, const double* c, void* out, int out_dtype) {
  const bool wide = use_avx512(), simd = use_avx2_fma();
  FirstError err;
  parallel_for(blocks_of(n), 1, [&](size_t bb, size_t be) {
    std::vector<float> tmp;
    std::vector<double> acc;
    for (size_t blk = bb; blk < be && !err.after(blk); blk++) {
      size_t b = blk * kBlock, e = std::min(n, b + kBlock);
#if defined(__x86_64__) || defined(__i386__)
      if (wide && linear_avx512(b, e, xs.data(), xs.size(), c, out, out_dtype)) continue;
#else
      (void)wide;
#endif
      tmp.resize(kBlock), acc.resize(kBlock);  // the portable way (or the error of a non-finite result)
      try {
        if (simd) linear_block_avx2(b, e, xs, c, tmp.data(), acc.data(), out, out_dtype);
        else linear_block_generic(b, e, xs, c, tmp.data(), acc.data(), out, out_dtype);
      } catch (const std::runtime_error& e) {
        err.note(blk, e);
      }
    }
  });
  err.rethrow();
}

void merge_gta(size_t n, MergeInput base, const std::vector<MergeInput>& xs, const GtaSpec& s, void* out, int out_dtype) {
  const size_t M = xs.size(), nb = blocks_of(n);
  if (M == 0 || M > kMaxModels) throw std::invalid_argument("mergeGta: expected 1 to 64 models besides the base");
  if (n > 0xffffffffull) throw std::invalid_argument("mergeGta: tensors over 2^32 elements are not supported");
  GtaState st;
  st.s = &s, st.M = M, st.nb = nb, st.chunks = std::max<size_t>(1, std::min(nb, usable_threads()));
  st.active.assign(M, 0), st.select.assign(M, 0);
  bool any = false;
  for (size_t j = 0; j < M; j++) {
    st.active[j] = s.sparsify != 0 && s.density[j] < 1;
    any |= bool(st.active[j]);
  }
  st.thr.assign(M, 0), st.bin.assign(M, 0), st.need.assign(M, 0), st.kcount.assign(M, 0), st.scale.assign(M, 1.0), st.pkeep.assign(M, 0);
  st.before.assign(M * nb, 0), st.after.assign(M * nb, 0), st.ties.assign(M * nb, 0), st.tie_start.assign(M * nb, 0);
  st.k0 = s.k0, st.k1 = s.k1, st.bits_ptr.assign(M, nullptr);
  for (size_t j = 0; j < M; j++) st.pkeep[j] = keep_below(s.density[j]);
  GtaCtx& g = st.ctx;
  g.M = M, g.base = base, g.xs = xs.data(), g.sparsify = s.sparsify, g.consensus = s.consensus, g.normalize = s.normalize;
  g.lambda = s.lambda, g.weight = s.weight.data(), g.scale = st.scale.data(), g.active = st.active.data(), g.select = st.select.data();
  g.thr = st.thr.data(), g.bin = st.bin.data(), g.k0 = st.k0.data(), g.k1 = st.k1.data(), g.pkeep = st.pkeep.data(), g.out = out, g.out_dtype = out_dtype;
  if (any && s.sparsify == 1) {
    for (size_t j = 0; j < M; j++) {
      st.kcount[j] = st.active[j] ? uint64_t(std::floor(s.density[j] * double(n))) : 0;
      st.select[j] = st.kcount[j] > 0;
    }
    st.hist.assign(st.chunks * M * kBins, 0);
    st.cand_count.assign(M * nb, 0);
    std::vector<uint64_t> above(M, 0), rank(M, 0);
    gta_pass(kHist1, st, n);  // level 1: the top 15 bits of |δ|
    select_bins(st, above, rank);
    std::vector<uint32_t>().swap(st.hist);
    gta_pass(kCands, st, n);  // level 2: the low 16 bits within that bin
    select_threshold(st, above, rank);
    if (s.rescale) gta_pass(kTies, st, n);  // the kept L1 mass, in block order
  } else if (any && s.sparsify == 2 && s.rescale) {
    st.bits.assign(M, {});
    for (size_t j = 0; j < M; j++)
      if (st.active[j]) st.bits[j].resize((n + 15) / 16), st.bits_ptr[j] = st.bits[j].data();
    gta_pass(kDrawSums, st, n);
  }
  // rescale factors (sums reduced in block order), each block's first tie rank and tie mode
  if (s.sparsify == 1) st.mode.assign(nb * M, kTiesNone);
  for (size_t j = 0; j < M; j++) {
    if (!st.active[j]) continue;
    double sb = 0, sa = 0;
    uint64_t tcum = 0;
    for (size_t blk = 0; blk < nb; blk++) {
      sb += st.before[j * nb + blk];
      sa += st.after[j * nb + blk];
      st.tie_start[j * nb + blk] = tcum;
      const uint64_t t = st.ties[j * nb + blk];
      if (s.sparsify == 1) st.mode[blk * M + j] = tcum >= st.need[j] ? kTiesNone : tcum + t <= st.need[j] ? kTiesAll : kTiesSome;
      tcum += t;
    }
    if (s.sparsify == 1 && st.kcount[j] > 0) sa += double(st.need[j]) * double(bits_f32(st.thr[j]));
    if (s.rescale && sb >= 1e-7 && sa >= 1e-7) st.scale[j] = sb / sa;
  }
  double wsum = 0;
  for (size_t j = 0; j < M; j++) wsum += s.weight[j];
  g.div_all = std::fabs(wsum) < 1e-8 ? 1 : wsum;
  gta_pass(kFinal, st, n);
}

}  // namespace ctl
