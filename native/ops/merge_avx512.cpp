// The merge passes on AVX-512, 16 elements a step (this file is compiled with the AVX-512 flags;
// intrinsics and file-local code only, so nothing shared is emitted with AVX-512 instructions).
// Each kernel runs the float operations of the portable pass in merge.cpp in the same order
// (float64 lanes l accumulate elements l, l + 8, … as its 8 interleaved sums do; masked-out
// terms add +0.0 as its `cond ? x : 0.0` does), so both give the same bytes.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
// GCC 12 reports its own unmasked intrinsics (undefined source operand) as maybe-uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "ops/avx512_util.h"
#include "ops/merge_isa.h"

namespace ctl {
namespace merge_detail {
namespace {

constexpr size_t kMax = 64;

// The first e − i lanes (all 16 when at least 16 remain).

// 16 elements of x from i as float32 (lanes outside k read as 0). F16 through vcvtph2ps, with NaN
// lanes rebuilt as f16_to_f32 does (payload kept, not quieted).
inline __m512 load16(const MergeInput& x, size_t i, __mmask16 k) {
  if (x.dtype == kMergeF32) return _mm512_maskz_loadu_ps(k, static_cast<const float*>(x.data) + i);
  __m256i h = _mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(x.data) + i);
  __m512i w = _mm512_cvtepu16_epi32(h);
  if (x.dtype == kMergeBF16) return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  __m512 f = _mm512_cvtph_ps(h);
  const __m512i mant = _mm512_and_si512(w, _mm512_set1_epi32(0x3ff));
  __mmask16 nan = _mm512_cmpeq_epi32_mask(_mm512_and_si512(w, _mm512_set1_epi32(0x7c00)), _mm512_set1_epi32(0x7c00)) &
                  _mm512_test_epi32_mask(mant, mant);
  if (nan) {
    __m512i bits = _mm512_or_si512(_mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(w, _mm512_set1_epi32(0x8000)), 16), _mm512_set1_epi32(0x7f800000)),
                                   _mm512_slli_epi32(mant, 13));
    f = _mm512_mask_mov_ps(f, nan, _mm512_castsi512_ps(bits));
  }
  return f;
}

inline __m512i abs_bits(__m512 d) { return _mm512_and_si512(_mm512_castps_si512(d), _mm512_set1_epi32(0x7fffffff)); }
inline __m512d lo8(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d hi8(__m512 v) { return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))); }

// acc lane l += a[l], then += a[l + 8] (a ≥ 0 as float32 bits; masked-out lanes are +0.0)
inline __m512d add_abs(__m512d acc, __m512i a) {
  const __m512 f = _mm512_castsi512_ps(a);
  return _mm512_add_pd(_mm512_add_pd(acc, lo8(f)), hi8(f));
}

// The sum of the 8 lanes as abs_sum in merge.cpp reduces them: ((0+1) + (2+3)) + ((4+5) + (6+7)).
inline double reduce8(__m512d v) {
  alignas(64) double x[8];
  _mm512_store_pd(x, v);
  return ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
}

inline __m512i mix16(__m512i x) {
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(int(0x7feb352du)));
  x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
  x = _mm512_mullo_epi32(x, _mm512_set1_epi32(int(0x846ca68bu)));
  return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
}

// Keep bits of elements i … i + 15 of model j: draw32(k0, k1, i + l) < pkeep.
inline __mmask16 keep16(const GtaCtx& g, size_t j, size_t i) {
  const uint64_t p = g.pkeep[j];
  if (p >= (uint64_t(1) << 32)) return 0xffff;
  const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(int(uint32_t(i))), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  __m512i x = mix16(_mm512_xor_si512(idx, _mm512_set1_epi32(int(g.k0[j]))));
  x = mix16(_mm512_add_epi32(x, _mm512_set1_epi32(int(g.k1[j]))));
  return _mm512_cmplt_epu32_mask(x, _mm512_set1_epi32(int(uint32_t(p))));
}

// Rounds 16 float64 results to float32 and stores lanes k of out from i; false when one is not finite.
inline bool store16(__m512d lo, __m512d hi, size_t i, __mmask16 k, void* out, int dtype) {
  const __m512 f = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm512_cvtpd_ps(lo))), _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
  const __m512i b = _mm512_castps_si512(f), expo = _mm512_set1_epi32(0x7f800000);
  if (_mm512_mask_cmpeq_epi32_mask(k, _mm512_and_si512(b, expo), expo)) return false;
  if (dtype == kMergeBF16) {
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), lsb), 16);
    _mm256_mask_storeu_epi16(static_cast<uint16_t*>(out) + i, k, _mm512_cvtepi32_epi16(r));
  } else if (dtype == kMergeF32) {
    _mm512_mask_storeu_ps(static_cast<float*>(out) + i, k, f);
  } else {
    alignas(64) float v[16];
    _mm512_store_ps(v, f);
    uint16_t* o = static_cast<uint16_t*>(out) + i;
    for (unsigned l = 0; l < 16; l++)
      if ((k >> l) & 1) o[l] = f32_to_f16(v[l]);
  }
  return true;
}

}  // namespace

void gta_hist1_avx512(const GtaCtx& g, size_t b0, size_t e0, uint32_t* hist, double* before) {
  alignas(64) uint32_t bins[16];
  for (size_t j = 0; j < g.M; j++) {
    if (!g.select[j]) continue;
    uint32_t* h = hist + j * kBins;
    __m512d acc = _mm512_setzero_pd();
    for (size_t i = b0; i < e0; i += 16) {
      const __mmask16 k = avx512::mask16(e0 - i);
      const __m512i a = abs_bits(_mm512_sub_ps(load16(g.xs[j], i, k), load16(g.base, i, k)));
      acc = add_abs(acc, a);
      _mm512_store_si512(bins, _mm512_srli_epi32(a, 16));
      if (k == 0xffff) {
#pragma GCC unroll 16
        for (unsigned l = 0; l < 16; l++) h[bins[l]]++;
      } else {
        for (size_t l = 0; l < e0 - i; l++) h[bins[l]]++;
      }
    }
    before[j] = reduce8(acc);
  }
}

void gta_cands_avx512(const GtaCtx& g, size_t b0, size_t e0, uint16_t** cand, uint64_t* count) {
  for (size_t j = 0; j < g.M; j++) {
    if (!g.select[j]) continue;
    uint16_t* c = cand[j];
    const __m512i bin = _mm512_set1_epi32(int(g.bin[j]));
    for (size_t i = b0; i < e0; i += 16) {
      const __mmask16 k = avx512::mask16(e0 - i);
      const __m512i a = abs_bits(_mm512_sub_ps(load16(g.xs[j], i, k), load16(g.base, i, k)));
      const __mmask16 m = _mm512_mask_cmpeq_epi32_mask(k, _mm512_srli_epi32(a, 16), bin);
      if (!m) continue;
      const unsigned n = unsigned(__builtin_popcount(m));
      _mm256_mask_storeu_epi16(c, __mmask16((1u << n) - 1), _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(m, a)));
      c += n;
    }
    count[j] = uint64_t(c - cand[j]);
    cand[j] = c;
  }
}

void gta_ties_avx512(const GtaCtx& g, size_t b0, size_t e0, uint64_t* ties, double* after) {
  for (size_t j = 0; j < g.M; j++) {
    if (!g.select[j]) continue;
    const __m512i t = _mm512_set1_epi32(int(g.thr[j]));
    __m512d acc = _mm512_setzero_pd();
    uint64_t c = 0;
    for (size_t i = b0; i < e0; i += 16) {
      const __mmask16 k = avx512::mask16(e0 - i);
      const __m512i a = abs_bits(_mm512_sub_ps(load16(g.xs[j], i, k), load16(g.base, i, k)));
      c += unsigned(__builtin_popcount(_mm512_mask_cmpeq_epi32_mask(k, a, t)));
      acc = add_abs(acc, _mm512_maskz_mov_epi32(_mm512_mask_cmpgt_epu32_mask(k, a, t), a));
    }
    ties[j] = c;
    after[j] = reduce8(acc);
  }
}

void gta_drawsums_avx512(const GtaCtx& g, size_t b0, size_t e0, double* before, double* after, uint16_t* const* bits) {
  for (size_t j = 0; j < g.M; j++) {
    if (!g.active[j]) continue;
    __m512d sb = _mm512_setzero_pd(), sa = sb;
    for (size_t i = b0; i < e0; i += 16) {
      const __mmask16 k = avx512::mask16(e0 - i);
      const __m512i a = abs_bits(_mm512_sub_ps(load16(g.xs[j], i, k), load16(g.base, i, k)));
      const __mmask16 keep = keep16(g, j, i) & k;
      bits[j][i / 16] = keep;
      sb = add_abs(sb, a);
      sa = add_abs(sa, _mm512_maskz_mov_epi32(keep, a));
    }
    before[j] = reduce8(sb);
    after[j] = reduce8(sa);
  }
}

bool gta_final_avx512(const GtaCtx& g, size_t b0, size_t e0, const uint8_t* ties, const uint16_t* const* bits) {
  const size_t M = g.M;
  const bool cons = g.consensus != 0, paper = g.consensus == 2;
  __m512d ddl[kMax], ddh[kMax];
  const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0), lambda = _mm512_set1_pd(g.lambda), div_all = _mm512_set1_pd(g.div_all);
  for (size_t i = b0; i < e0; i += 16) {
    const __mmask16 k = avx512::mask16(e0 - i);
    const __m512 bf = load16(g.base, i, k);
    __m512d vl = zero, vh = zero, ml = zero, mh = zero, dl = zero, dh = zero;
    // δ'_j (kept, rescaled) and the vote Σ_j v_j, v = w·δ' (mergekit) or δ' (paper)
    for (size_t j = 0; j < M; j++) {
      const __m512 d = _mm512_sub_ps(load16(g.xs[j], i, k), bf);
      __mmask16 keep = 0xffff;
      if (g.active[j] && g.sparsify == 1) {
        if (!g.select[j]) keep = 0;
        else {
          const __m512i a = abs_bits(d), t = _mm512_set1_epi32(int(g.thr[j]));
          keep = ties[j] == kTiesAll ? _mm512_cmpge_epu32_mask(a, t) : _mm512_cmpgt_epu32_mask(a, t);
        }
      } else if (g.active[j]) {
        keep = bits[j] ? bits[j][i / 16] : keep16(g, j, i);
      }
      const __m512d sc = _mm512_set1_pd(g.scale[j]), w = _mm512_set1_pd(g.weight[j]);
      ddl[j] = _mm512_maskz_mul_pd(__mmask8(keep), lo8(d), sc);
      ddh[j] = _mm512_maskz_mul_pd(__mmask8(keep >> 8), hi8(d), sc);
      if (cons) {
        vl = _mm512_add_pd(vl, paper ? ddl[j] : _mm512_mul_pd(w, ddl[j]));
        vh = _mm512_add_pd(vh, paper ? ddh[j] : _mm512_mul_pd(w, ddh[j]));
      } else {
        ml = _mm512_add_pd(ml, _mm512_mul_pd(w, ddl[j]));
        mh = _mm512_add_pd(mh, _mm512_mul_pd(w, ddh[j]));
      }
    }
    // the disjoint mean: the weighted deltas whose sign matches the elected one (vote ≥ 0 → +)
    if (cons) {
      const __mmask8 pl = _mm512_cmp_pd_mask(vl, zero, _CMP_GE_OQ), ph = _mm512_cmp_pd_mask(vh, zero, _CMP_GE_OQ);
      for (size_t j = 0; j < M; j++) {
        const __m512d w = _mm512_set1_pd(g.weight[j]);
        const __m512d wl = _mm512_mul_pd(w, ddl[j]), wh = _mm512_mul_pd(w, ddh[j]);
        const __m512d sl = paper ? ddl[j] : wl, sh = paper ? ddh[j] : wh;
        const __mmask8 xl = (_mm512_cmp_pd_mask(sl, zero, _CMP_GT_OQ) & pl) | (_mm512_cmp_pd_mask(sl, zero, _CMP_LT_OQ) & __mmask8(~pl));
        const __mmask8 xh = (_mm512_cmp_pd_mask(sh, zero, _CMP_GT_OQ) & ph) | (_mm512_cmp_pd_mask(sh, zero, _CMP_LT_OQ) & __mmask8(~ph));
        ml = _mm512_add_pd(ml, _mm512_maskz_mov_pd(xl, wl));
        mh = _mm512_add_pd(mh, _mm512_maskz_mov_pd(xh, wh));
        dl = _mm512_add_pd(dl, _mm512_maskz_mov_pd(xl, w));
        dh = _mm512_add_pd(dh, _mm512_maskz_mov_pd(xh, w));
      }
    }
    if (g.normalize) {
      const __m512d vdl = cons ? _mm512_mask_mov_pd(dl, _mm512_cmp_pd_mask(dl, zero, _CMP_EQ_OQ), one) : div_all;
      const __m512d vdh = cons ? _mm512_mask_mov_pd(dh, _mm512_cmp_pd_mask(dh, zero, _CMP_EQ_OQ), one) : div_all;
      ml = _mm512_div_pd(ml, vdl);
      mh = _mm512_div_pd(mh, vdh);
    }
    const __m512d rl = _mm512_add_pd(lo8(bf), _mm512_mul_pd(lambda, ml)), rh = _mm512_add_pd(hi8(bf), _mm512_mul_pd(lambda, mh));
    if (!store16(rl, rh, i, k, g.out, g.out_dtype)) return false;
  }
  return true;
}

bool linear_avx512(size_t b, size_t e, const MergeInput* xs, size_t M, const double* c, void* out, int out_dtype) {
  for (size_t i = b; i < e; i += 16) {
    const __mmask16 k = avx512::mask16(e - i);
    __m512d lo = _mm512_setzero_pd(), hi = lo;
    for (size_t j = 0; j < M; j++) {
      const __m512 x = load16(xs[j], i, k);
      const __m512d cj = _mm512_set1_pd(c[j]);
      lo = _mm512_add_pd(lo, _mm512_mul_pd(cj, lo8(x)));
      hi = _mm512_add_pd(hi, _mm512_mul_pd(cj, hi8(x)));
    }
    if (!store16(lo, hi, i, k, out, out_dtype)) return false;
  }
  return true;
}

namespace {

// gram_avx512 with M and the base known at compile time (the sums stay in registers).
template <size_t M, bool kBase>
void gram_fixed(size_t b, size_t e, MergeInput base, const MergeInput* xs, double* sums) {
  constexpr size_t P = M * (M + 1) / 2;
  __m512d acc[P];
  for (size_t p = 0; p < P; p++) acc[p] = _mm512_setzero_pd();
  for (size_t i = b; i < e; i += 16) {
    const __mmask16 k = avx512::mask16(e - i);
    __m512d dl[M], dh[M];
    __m512d bl = _mm512_setzero_pd(), bh = bl;
    if (kBase) {
      const __m512 bf = load16(base, i, k);
      bl = lo8(bf), bh = hi8(bf);
    }
    for (size_t j = 0; j < M; j++) {
      const __m512 x = load16(xs[j], i, k);
      dl[j] = kBase ? _mm512_sub_pd(lo8(x), bl) : lo8(x);
      dh[j] = kBase ? _mm512_sub_pd(hi8(x), bh) : hi8(x);
    }
    size_t p = 0;
    for (size_t a = 0; a < M; a++) {
      for (size_t c = a; c < M; c++, p++) {
        acc[p] = _mm512_add_pd(acc[p], _mm512_mul_pd(dl[a], dl[c]));
        acc[p] = _mm512_add_pd(acc[p], _mm512_mul_pd(dh[a], dh[c]));
      }
    }
  }
  for (size_t p = 0; p < P; p++) sums[p] = reduce8(acc[p]);
}

template <size_t M>
void gram_m(size_t b, size_t e, MergeInput base, const MergeInput* xs, double* sums) {
  if (base.data) gram_fixed<M, true>(b, e, base, xs, sums);
  else gram_fixed<M, false>(b, e, base, xs, sums);
}

}  // namespace

bool gram_avx512(size_t b, size_t e, MergeInput base, const MergeInput* xs, size_t M, double* sums) {
  static_assert(kGramWide == 8, "gram_avx512 instantiates M = 1 … 8");
  switch (M) {
    case 1: gram_m<1>(b, e, base, xs, sums); return true;
    case 2: gram_m<2>(b, e, base, xs, sums); return true;
    case 3: gram_m<3>(b, e, base, xs, sums); return true;
    case 4: gram_m<4>(b, e, base, xs, sums); return true;
    case 5: gram_m<5>(b, e, base, xs, sums); return true;
    case 6: gram_m<6>(b, e, base, xs, sums); return true;
    case 7: gram_m<7>(b, e, base, xs, sums); return true;
    case 8: gram_m<8>(b, e, base, xs, sums); return true;
    default: return false;
  }
}

bool stock_write_avx512(size_t b, size_t e, MergeInput base, const MergeInput* xs, size_t N, double t, void* out, int out_dtype) {
  const __m512d tv = _mm512_set1_pd(t), nn = _mm512_set1_pd(double(N)), u = _mm512_set1_pd(1 - t);
  for (size_t i = b; i < e; i += 16) {
    const __mmask16 k = avx512::mask16(e - i);
    __m512d lo = _mm512_setzero_pd(), hi = lo;
    for (size_t a = 0; a < N; a++) {
      const __m512 x = load16(xs[a], i, k);
      lo = _mm512_add_pd(lo, lo8(x));
      hi = _mm512_add_pd(hi, hi8(x));
    }
    const __m512 bf = load16(base, i, k);
    lo = _mm512_add_pd(_mm512_div_pd(_mm512_mul_pd(tv, lo), nn), _mm512_mul_pd(u, lo8(bf)));
    hi = _mm512_add_pd(_mm512_div_pd(_mm512_mul_pd(tv, hi), nn), _mm512_mul_pd(u, hi8(bf)));
    if (!store16(lo, hi, i, k, out, out_dtype)) return false;
  }
  return true;
}

}  // namespace merge_detail
}  // namespace ctl

#endif
