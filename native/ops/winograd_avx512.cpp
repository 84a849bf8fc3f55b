// The Winograd F(4×4, 3×3) transforms on AVX-512, 16 lanes (chosen at run time by winograd.cpp).
// This file is compiled with the AVX-512 flags: intrinsics and file-local code only, so nothing shared
// is emitted with AVX-512 instructions. Each transform runs the float operations of the portable one
// (winograd.cpp, winograd_internal.h) in the same order, so both give the same bits; the packed U, V
// and M layouts are the ones the other ISAs write.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
// GCC 12 reports its own unmasked intrinsics (undefined source operand) as (maybe-)uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdint>

#include "ops/avx512_util.h"
#include "ops/winograd_internal.h"

namespace ctl {
namespace wino {
namespace {

constexpr size_t V = 16;  // lanes: 16 tiles (input, output), 16 (channel, filter row) entries (filter)
static_assert(NR == V, "a B panel of tiles is one vector");

inline __m512 add(__m512 x, __m512 y) { return _mm512_add_ps(x, y); }
inline __m512 sub(__m512 x, __m512 y) { return _mm512_sub_ps(x, y); }
inline __m512 mul(float s, __m512 x) { return _mm512_mul_ps(_mm512_set1_ps(s), x); }
inline __m512 mul(__m512 x, float s) { return _mm512_mul_ps(x, _mm512_set1_ps(s)); }

// The first n lanes (all 16 when n ≥ 16).
using avx512::mask16;

// out[k·os] = Σ_i Bᵀ[k][i] d_i, 6 → 6 (bt_1d's operations, in its order).
[[gnu::always_inline]] inline void bt(__m512 d0, __m512 d1, __m512 d2, __m512 d3, __m512 d4, __m512 d5, __m512* out,
                                      size_t os) {
  out[0] = add(sub(mul(4.f, d0), mul(5.f, d2)), d4);
  out[os] = sub(add(d3, d4), mul(4.f, add(d1, d2)));
  out[2 * os] = add(mul(4.f, sub(d1, d2)), sub(d4, d3));
  out[3 * os] = add(mul(2.f, sub(d3, d1)), sub(d4, d2));
  out[4 * os] = add(mul(2.f, sub(d1, d3)), sub(d4, d2));
  out[5 * os] = add(sub(mul(4.f, d1), mul(5.f, d3)), d5);
}

// out[k·os] = Σ_i Aᵀ[k][i] m_i, 6 → 4 (at_1d's operations).
[[gnu::always_inline]] inline void at(__m512 m0, __m512 m1, __m512 m2, __m512 m3, __m512 m4, __m512 m5, __m512* out,
                                      size_t os) {
  __m512 p12 = add(m1, m2), d12 = sub(m1, m2), p34 = add(m3, m4), d34 = sub(m3, m4);
  out[0] = add(add(m0, p12), p34);
  out[os] = add(d12, mul(2.f, d34));
  out[2 * os] = add(p12, mul(4.f, p34));
  out[3 * os] = add(add(d12, mul(8.f, d34)), m5);
}

// out[k·os] = Σ_i G[k][i] g_i, 3 → 6 (g_1d's operations).
[[gnu::always_inline]] inline void gt(__m512 g0, __m512 g1, __m512 g2, __m512* out, size_t os) {
  __m512 even = add(g0, g2), e24 = add(mul(g0, 1.f / 24), mul(g2, 1.f / 6)), o12 = mul(g1, 1.f / 12);
  out[0] = mul(g0, 0.25f);
  out[os] = mul(add(even, g1), -1.f / 6);
  out[2 * os] = mul(sub(even, g1), -1.f / 6);
  out[3 * os] = add(e24, o12);
  out[4 * os] = sub(e24, o12);
  out[5 * os] = g2;
}

// Tap `tap` of the lanes in k at idx (floats from w0): the weight, or float32(Σ_j c_j·basis_j) in
// float64 in order j (combine_at's arithmetic); 0 in the lanes outside k.
inline __m512 weights(const Conv2dArgs& a, size_t w0, size_t tap, __m512i idx, __mmask16 k) {
  const WeightSum& ws = a.weight_sum;
  const __m512 zero = _mm512_setzero_ps();
  if (ws.m == 0) return _mm512_mask_i32gather_ps(zero, k, idx, a.weight + w0 + tap, 4);
  __m512d lo = _mm512_setzero_pd(), hi = lo;
  for (size_t j = 0; j < ws.m; j++) {  // multiply, then add: no FMA, as the reference rounds
    __m512 b = _mm512_mask_i32gather_ps(zero, k, idx, ws.basis[j] + w0 + tap, 4);
    __m512d cj = _mm512_set1_pd(ws.coeffs[j]);
    lo = _mm512_add_pd(lo, _mm512_mul_pd(cj, _mm512_cvtps_pd(_mm512_castps512_ps256(b))));
    hi = _mm512_add_pd(hi, _mm512_mul_pd(cj, _mm512_cvtps_pd(_mm512_extractf32x8_ps(b, 1))));
  }
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}

// [p0[0..4) | p1[0..4) | p2[0..4) | p3[0..4)]
inline __m512 chunks(const float* p0, const float* p1, const float* p2, const float* p3) {
  __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(p0));
  v = _mm512_insertf32x4(v, _mm_loadu_ps(p1), 1);
  v = _mm512_insertf32x4(v, _mm_loadu_ps(p2), 2);
  return _mm512_insertf32x4(v, _mm_loadu_ps(p3), 3);
}

// Row i of tiles t[4Q + k] (k < 4, 4Q + k < lanes) of output channel o from u[k]'s 128-bit chunk Q,
// plus the residual and then the ReLU when there is a residual; whole 4-wide rows only (the others:
// output_avx512's tail loop). `stream`: non-temporal stores where 16-byte aligned.
template <int Q>
inline void store_rows(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o, size_t i, const __m512* u,
                       bool stream) {
  const float* res = a.epi.residual;
  const __m128 zero = _mm_setzero_ps();
  for (size_t k = 0; k < 4 && 4 * Q + k < lanes; k++) {
    const Tile& tl = t[4 * Q + k];
    if (tl.ww != 4 || i >= tl.hh) continue;
    __m128 row = Q == 0 ? _mm512_castps512_ps128(u[k]) : _mm512_extractf32x4_ps(u[k], Q);
    size_t at = (tl.s * a.o + o) * a.oh * a.ow + tl.out_at + i * a.ow;
    if (res != nullptr) {
      row = _mm_add_ps(row, _mm_loadu_ps(res + at));
      if (a.epi.relu) row = _mm_mask_mov_ps(row, _mm_cmp_ps_mask(row, zero, _CMP_LT_OQ), zero);  // NaN stays NaN
    }
    if (stream && reinterpret_cast<uintptr_t>(a.y + at) % 16 == 0)
      _mm_stream_ps(a.y + at, row);
    else
      _mm_storeu_ps(a.y + at, row);
  }
}

// Row i of four whole tiles side by side from tile `first` (16 consecutive outputs of channel o), plus the
// residual and then the ReLU when there is a residual. `stream`: a non-temporal store where 64-byte aligned.
inline void store_run(const Conv2dArgs& a, const Tile& first, size_t o, size_t i, __m512 row, bool stream) {
  size_t at = (first.s * a.o + o) * a.oh * a.ow + first.out_at + i * a.ow;
  if (a.epi.residual != nullptr) {
    const __m512 zero = _mm512_setzero_ps();
    row = _mm512_add_ps(row, _mm512_loadu_ps(a.epi.residual + at));
    if (a.epi.relu) row = _mm512_mask_mov_ps(row, _mm512_cmp_ps_mask(row, zero, _CMP_LT_OQ), zero);  // NaN stays NaN
  }
  if (stream && reinterpret_cast<uintptr_t>(a.y + at) % 64 == 0)
    _mm512_stream_ps(a.y + at, row);
  else
    _mm512_storeu_ps(a.y + at, row);
}

}  // namespace

// filter_body on AVX-512. The packed U of a channel range is (c − c0)·MR + i contiguous per ξ, so the
// lanes are 16 consecutive (channel, row) entries of it (2⅔ channels a vector, no lane idle): each
// tap is one gather, each ξ one 16-float store; rows past O read as zero, as there.
void filter_avx512(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst, size_t xs) {
  size_t rows = a.o - p * MR < MR ? a.o - p * MR : MR, rs = a.c * 9, w0 = p * MR * rs, n = (c1 - c0) * MR;
  const WeightSum& ws = a.weight_sum;
  // entry e = f + l: row e % MR, channel c0 + e / MR
  static_assert(MR == 6 && V % MR == 4, "the lane pattern below is for MR = 6");
  __m512i row = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3);
  __m512i ch = _mm512_add_epi32(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2), _mm512_set1_epi32(int(c0)));
  const __m512i six = _mm512_set1_epi32(6), one = _mm512_set1_epi32(1);
  for (size_t f = 0; f < n; f += V) {
    size_t ahead = w0 + (c0 + f / MR + kFilterPrefetchChannels) * 9;  // the rows' weights a few channels ahead
    for (size_t l = 0; l < rows; l++)
      for (size_t b = 0; b < 2 * V; b += V) {
        if (ws.m == 0) _mm_prefetch(reinterpret_cast<const char*>(a.weight + ahead + l * rs + b), _MM_HINT_T0);
        for (size_t j = 0; j < ws.m; j++)
          _mm_prefetch(reinterpret_cast<const char*>(ws.basis[j] + ahead + l * rs + b), _MM_HINT_T0);
      }
    __mmask16 tail = mask16(n - f), k = tail & _mm512_cmplt_epu32_mask(row, _mm512_set1_epi32(int(rows)));
    __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(row, _mm512_set1_epi32(int(rs))), _mm512_mullo_epi32(ch, _mm512_set1_epi32(9)));
    __m512 g[9], t[18], r[XI];
    for (size_t tap = 0; tap < 9; tap++) g[tap] = weights(a, w0, tap, idx, k);
    for (size_t j = 0; j < 3; j++) gt(g[j], g[3 + j], g[6 + j], t + j, 3);
    for (size_t q = 0; q < 6; q++) gt(t[3 * q], t[3 * q + 1], t[3 * q + 2], r + 6 * q, 1);
    if (tail == 0xffff) {
      for (size_t x = 0; x < XI; x++) _mm512_storeu_ps(dst + x * xs + f, r[x]);
    } else {
      for (size_t x = 0; x < XI; x++) _mm512_mask_storeu_ps(dst + x * xs + f, tail, r[x]);
    }
    // the next 16 entries: 4 rows on (MR = 6), 2 channels on, one more where the row wraps
    row = _mm512_add_epi32(row, _mm512_set1_epi32(int(V % MR)));
    ch = _mm512_add_epi32(ch, _mm512_set1_epi32(int(V / MR)));
    __mmask16 wrap = _mm512_cmpge_epu32_mask(row, six);
    row = _mm512_mask_sub_epi32(row, wrap, row, six);
    ch = _mm512_mask_add_epi32(ch, wrap, ch, one);
  }
}

// input_body on AVX-512, one B panel (16 tiles) a vector. Rows are staged as for AVX2 (stage_tiles);
// per patch row, columns 0–3 and 2–5 of each tile are 128-bit loads, four tiles to a vector (or, where
// four tiles sit side by side, two 512-bit loads per four tiles), turned into one vector per column
// by in-lane 4×4 transposes.
void input_avx512(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P, size_t c0, size_t c1, float* v) {
  Stage st = stage_tiles(a, t, cnt);
  size_t panels = (cnt + NR - 1) / NR, width = st.width, xs = v_stride(a, P);
  const __m512i unquad = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (size_t c = c0; c < c1; c++) {
    stage_channel(a, st, c, c1);  // the rows of channel c inside the image
    for (size_t q = 0; q < panels; q++) {
      const int* o = st.off + q * V;
      // quads: each four tiles 4j..4j+3 sit side by side in a row (ow a multiple of 16), so a patch
      // row of theirs is 18 consecutive floats; the lanes then hold tile 4j + k in lane 4k + j
      bool quads = true;
      for (size_t l = 0; l < V; l++) quads &= o[l] == o[l & ~size_t(3)] + int(4 * (l & 3));
      __m512 d[XI], tr[XI];
      for (size_t i = 0; i < 6; i++) {
        // chunk j of lo[k] (hi[k]): columns 0–3 (2–5) of tile 4j + k, or with quads of tile 4k + j
        __m512 lo[4], hi[4];
        if (quads) {
          for (size_t k = 0; k < 4; k++) {
            const float* row = st.buf + o[4 * k] + i * width;
            lo[k] = _mm512_loadu_ps(row);
            hi[k] = _mm512_loadu_ps(row + 2);
          }
        } else {
          const float* p[V];
          for (size_t l = 0; l < V; l++) p[l] = st.buf + o[l] + i * width;
          for (size_t k = 0; k < 4; k++) {
            lo[k] = chunks(p[k], p[k + 4], p[k + 8], p[k + 12]);
            hi[k] = chunks(p[k] + 2, p[k + 4] + 2, p[k + 8] + 2, p[k + 12] + 2);
          }
        }
        __m512 t0 = _mm512_unpacklo_ps(lo[0], lo[1]), t1 = _mm512_unpackhi_ps(lo[0], lo[1]);
        __m512 t2 = _mm512_unpacklo_ps(lo[2], lo[3]), t3 = _mm512_unpackhi_ps(lo[2], lo[3]);
        __m512 h1 = _mm512_unpackhi_ps(hi[0], hi[1]), h3 = _mm512_unpackhi_ps(hi[2], hi[3]);
        __m512* di = d + i * 6;
        di[0] = _mm512_shuffle_ps(t0, t2, 0x44);
        di[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
        di[2] = _mm512_shuffle_ps(t1, t3, 0x44);
        di[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
        di[4] = _mm512_shuffle_ps(h1, h3, 0x44);
        di[5] = _mm512_shuffle_ps(h1, h3, 0xEE);
      }
      for (size_t j = 0; j < 6; j++) bt(d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j], d[30 + j], tr + j, 6);
      float* dst = v + (q * a.c + c) * NR;
      for (size_t k = 0; k < 6; k++) {
        __m512 r[6];
        bt(tr[6 * k], tr[6 * k + 1], tr[6 * k + 2], tr[6 * k + 3], tr[6 * k + 4], tr[6 * k + 5], r, 1);
        for (size_t m = 0; m < 6; m++)  // (quads: back to tile order, lane 4j + k from lane 4k + j)
          _mm512_storeu_ps(dst + (6 * k + m) * xs, quads ? _mm512_permutexvar_ps(unquad, r[m]) : r[m]);
      }
    }
  }
}

// output_body on AVX-512 for up to 16 tiles (output_values' and store_tile's operations): tile rows
// are transposed out of the lanes and stored 512 bits at a time where four whole tiles sit side by
// side in a row (ow a multiple of 16), else 128 bits a tile; `stream`: with non-temporal stores (an
// output too large to stay in cache until it is read; the caller fences).
void output_avx512(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o, const float* src, size_t xs,
                   float* check, bool stream) {
  __m512 in[XI], tr[24], r[16];
  for (size_t x = 0; x < XI; x++) in[x] = _mm512_loadu_ps(src + x * xs);
  for (size_t j = 0; j < 6; j++) at(in[j], in[6 + j], in[12 + j], in[18 + j], in[24 + j], in[30 + j], tr + j, 6);
  for (size_t i = 0; i < 4; i++)
    at(tr[6 * i], tr[6 * i + 1], tr[6 * i + 2], tr[6 * i + 3], tr[6 * i + 4], tr[6 * i + 5], r + 4 * i, 1);
  const __m512 bias = _mm512_set1_ps(a.bias != nullptr ? a.bias[o] : 0.f), zero = _mm512_setzero_ps();
  __m512 chk = _mm512_loadu_ps(check);
  for (size_t e = 0; e < 16; e++) {
    r[e] = add(r[e], bias);
    chk = add(chk, mul(r[e], 0.f));  // NaN once any value is NaN or ±Inf
  }
  _mm512_storeu_ps(check, chk);
  const ConvEpilogue& ep = a.epi;
  if (ep.scale != nullptr) {  // float(r · scale + shift) in float64
    __m512d sc = _mm512_set1_pd(ep.scale[o]), sh = _mm512_set1_pd(ep.shift[o]);
    for (size_t e = 0; e < 16; e++) {
      __m512d lo = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(r[e])), sc), sh);
      __m512d hi = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(r[e], 1)), sc), sh);
      r[e] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
    }
  }
  const float* res = ep.residual;
  if (ep.relu && res == nullptr)  // r < 0 ? 0 : r (NaN stays NaN)
    for (size_t e = 0; e < 16; e++) r[e] = _mm512_mask_mov_ps(r[e], _mm512_cmp_ps_mask(r[e], zero, _CMP_LT_OQ), zero);
  size_t plane = a.oh * a.ow;
  // run[Q]: tiles 4Q..4Q+3 are whole and side by side in one image row, so each row of theirs is 16
  // consecutive outputs
  bool run[4];
  for (size_t q = 0; q < 4; q++) {
    run[q] = 4 * q + 4 <= lanes;
    for (size_t k = 0; k < 4 && run[q]; k++) {
      const Tile &t0 = t[4 * q], &tk = t[4 * q + k];
      run[q] = tk.ww == 4 && tk.s == t0.s && tk.out_at == t0.out_at + 4 * k;
    }
  }
  for (size_t i = 0; i < 4; i++) {
    // u[k] chunk Q: row i of tile 4Q + k
    __m512 t0 = _mm512_unpacklo_ps(r[4 * i], r[4 * i + 1]), t1 = _mm512_unpackhi_ps(r[4 * i], r[4 * i + 1]);
    __m512 t2 = _mm512_unpacklo_ps(r[4 * i + 2], r[4 * i + 3]), t3 = _mm512_unpackhi_ps(r[4 * i + 2], r[4 * i + 3]);
    __m512 u[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE), _mm512_shuffle_ps(t1, t3, 0x44),
                   _mm512_shuffle_ps(t1, t3, 0xEE)};
    if (run[0] || run[1] || run[2] || run[3]) {
      // w[Q] = [u[0] chunk Q, …, u[3] chunk Q]: row i of tiles 4Q..4Q+3, left to right
      __m512 lo01 = _mm512_shuffle_f32x4(u[0], u[1], 0x44), lo23 = _mm512_shuffle_f32x4(u[2], u[3], 0x44);
      __m512 hi01 = _mm512_shuffle_f32x4(u[0], u[1], 0xEE), hi23 = _mm512_shuffle_f32x4(u[2], u[3], 0xEE);
      __m512 w[4] = {_mm512_shuffle_f32x4(lo01, lo23, 0x88), _mm512_shuffle_f32x4(lo01, lo23, 0xDD),
                     _mm512_shuffle_f32x4(hi01, hi23, 0x88), _mm512_shuffle_f32x4(hi01, hi23, 0xDD)};
      for (size_t q = 0; q < 4; q++)
        if (run[q] && i < t[4 * q].hh) store_run(a, t[4 * q], o, i, w[q], stream);
    }
    if (!run[0]) store_rows<0>(a, t, lanes, o, i, u, stream);
    if (!run[1]) store_rows<1>(a, t, lanes, o, i, u, stream);
    if (!run[2]) store_rows<2>(a, t, lanes, o, i, u, stream);
    if (!run[3]) store_rows<3>(a, t, lanes, o, i, u, stream);
  }
  bool partial = false;
  for (size_t l = 0; l < lanes; l++) partial |= t[l].ww != 4;
  if (!partial) return;
  alignas(64) float rv[16 * V];  // rv[(i·4 + j)·16 + l]: output (i, j) of tile l
  for (size_t e = 0; e < 16; e++) _mm512_store_ps(rv + e * V, r[e]);
  for (size_t l = 0; l < lanes; l++) {  // tiles cut by the right border, element by element
    const Tile& tl = t[l];
    if (tl.ww == 4) continue;
    float* dst = a.y + (tl.s * a.o + o) * plane + tl.out_at;
    const float* rs = res != nullptr ? res + (tl.s * a.o + o) * plane + tl.out_at : nullptr;
    for (size_t i = 0; i < tl.hh; i++)
      for (size_t j = 0; j < tl.ww; j++) {
        float x = rv[(i * 4 + j) * V + l];
        if (rs != nullptr) x = x + rs[i * a.ow + j];
        dst[i * a.ow + j] = rs != nullptr && ep.relu && x < 0.f ? 0.f : x;
      }
  }
}

}  // namespace wino
}  // namespace ctl

#endif
