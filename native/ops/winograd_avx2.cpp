// The Winograd F(4×4, 3×3) transforms on AVX2 + FMA (target attributes, chosen at run time by
// winograd.cpp): filter, input and output, the same values as the portable transforms there.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "ops/simd_math.h"
#include "ops/winograd_internal.h"

namespace ctl {
namespace wino {

// out[k] = Σ_i G[k][i] in[i], 3 → 6, on 8 lanes (the same operations as g_1d).
__attribute__((target("avx2,fma"))) inline void g_1d_avx2(__m256 g0, __m256 g1, __m256 g2, __m256* out, size_t os) {
  __m256 even = _mm256_add_ps(g0, g2);
  __m256 e24 = _mm256_add_ps(_mm256_mul_ps(g0, _mm256_set1_ps(1.f / 24)), _mm256_mul_ps(g2, _mm256_set1_ps(1.f / 6)));
  __m256 o12 = _mm256_mul_ps(g1, _mm256_set1_ps(1.f / 12)), sixth = _mm256_set1_ps(-1.f / 6);
  out[0] = _mm256_mul_ps(g0, _mm256_set1_ps(0.25f));
  out[os] = _mm256_mul_ps(_mm256_add_ps(even, g1), sixth);
  out[2 * os] = _mm256_mul_ps(_mm256_sub_ps(even, g1), sixth);
  out[3 * os] = _mm256_add_ps(e24, o12);
  out[4 * os] = _mm256_sub_ps(e24, o12);
  out[5 * os] = g2;
}

// Weights [i, i + 8) (weight_at on 8 lanes).
__attribute__((target("avx2,fma"))) inline __m256 weights8_avx2(const Conv2dArgs& a, size_t i) {
  const WeightSum& ws = a.weight_sum;
  return ws.m == 0 ? _mm256_loadu_ps(a.weight + i) : combine8_avx2(ws.m, ws.basis, ws.coeffs, i);
}

// filter_body on AVX2: lanes are the panel's rows as there, but each row's taps 0–7 are one vector
// load and an in-register 8×8 transpose turns them into per-tap vectors (scalar stores read back as
// vectors would stall on store forwarding); tap 8 is inserted lane by lane.
__attribute__((target("avx2,fma"))) void filter_avx2(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst,
                                                      size_t xs) {
  static_assert(MR <= L, "a panel's rows fit in the lanes");
  size_t rows = std::min(MR, a.o - p * MR), rs = a.c * 9, w0 = p * MR * rs;
  const __m256 zero = _mm256_setzero_ps();
  alignas(32) float tap8[L] = {};
  const WeightSum& ws = a.weight_sum;
  for (size_t c = c0; c < c1; c++, dst += MR) {
    __m256 v[L];
    for (size_t l = 0; l < L; l++) {
      if (l < rows) {  // the weights a few channels ahead: MR rows (× the basis tensors) are read at once
        size_t ahead = w0 + l * rs + (c + kFilterPrefetchChannels) * 9;
        if (ws.m == 0) _mm_prefetch(reinterpret_cast<const char*>(a.weight + ahead), _MM_HINT_T0);
        for (size_t j = 0; j < ws.m; j++) _mm_prefetch(reinterpret_cast<const char*>(ws.basis[j] + ahead), _MM_HINT_T0);
      }
      v[l] = l < rows ? weights8_avx2(a, w0 + l * rs + c * 9) : zero;
      if (l < rows) tap8[l] = weight_at(a, w0 + l * rs + c * 9 + 8);
    }
    __m256 g[9];  // g[k]: tap k of the MR rows (rows past `rows` zero), g[8] the ninth tap
    transpose8_avx2(v, g);
    g[8] = _mm256_setr_ps(tap8[0], tap8[1], tap8[2], tap8[3], tap8[4], tap8[5], tap8[6], tap8[7]);
    __m256 t[18], r[XI];
    for (size_t j = 0; j < 3; j++) g_1d_avx2(g[j], g[3 + j], g[6 + j], t + j, 3);
    for (size_t k = 0; k < 6; k++) g_1d_avx2(t[3 * k], t[3 * k + 1], t[3 * k + 2], r + 6 * k, 1);
    if (c + 1 < c1) {  // L lanes: the L − MR extra land on channel c + 1's slots, written next
      for (size_t x = 0; x < XI; x++) _mm256_storeu_ps(dst + x * xs, r[x]);
    } else {
      for (size_t x = 0; x < XI; x++) {
        _mm_storeu_ps(dst + x * xs, _mm256_castps256_ps128(r[x]));
        _mm_storel_pi(reinterpret_cast<__m64*>(dst + x * xs + 4), _mm256_extractf128_ps(r[x], 1));
      }
    }
  }
}
// [a[4], a[5], ·, · | b[4], b[5], ·, ·]: columns 4 and 5 of two patch rows
__attribute__((target("avx2,fma"))) inline __m256 cols45(const float* a, const float* b) {
  __m128 lo = _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(a + 4)));
  __m128 hi = _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(b + 4)));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

// input_body on AVX2. Per channel, the rows the tiles need are first copied into zero-padded planes
// (one per sample, stage_tiles), so every 6×6 patch is read whole with no bounds checks: per patch row, a 128-bit
// load (columns 0–3) and a 64-bit load (4–5) per tile, turned into one vector per column over the
// 8 tiles by in-lane 4×4 transposes.
__attribute__((target("avx2,fma"))) void input_avx2(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P,
                                                     size_t c0, size_t c1, float* v) {
  alignas(32) float d[XI * L], tr[XI * L], r[XI * L];
  Stage st = stage_tiles(a, t, cnt);
  size_t groups = (cnt + NR - 1) / NR * (NR / L), width = st.width;
  for (size_t c = c0; c < c1; c++) {
    stage_channel(a, st, c, c1);  // the rows of channel c inside the image
    for (size_t g = 0; g < groups; g++) {
      const int* o = st.off + g * L;
      for (size_t i = 0; i < 6; i++) {
        const float* p[L];
        for (size_t l = 0; l < L; l++) p[l] = st.buf + o[l] + i * width;
        __m256 q0 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p[0])), _mm_loadu_ps(p[4]), 1);
        __m256 q1 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p[1])), _mm_loadu_ps(p[5]), 1);
        __m256 q2 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p[2])), _mm_loadu_ps(p[6]), 1);
        __m256 q3 = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p[3])), _mm_loadu_ps(p[7]), 1);
        __m256 t0 = _mm256_unpacklo_ps(q0, q1), t1 = _mm256_unpackhi_ps(q0, q1);
        __m256 t2 = _mm256_unpacklo_ps(q2, q3), t3 = _mm256_unpackhi_ps(q2, q3);
        float* di = d + i * 6 * L;
        _mm256_store_ps(di, _mm256_shuffle_ps(t0, t2, 0x44));
        _mm256_store_ps(di + L, _mm256_shuffle_ps(t0, t2, 0xEE));
        _mm256_store_ps(di + 2 * L, _mm256_shuffle_ps(t1, t3, 0x44));
        _mm256_store_ps(di + 3 * L, _mm256_shuffle_ps(t1, t3, 0xEE));
        __m256 e0 = _mm256_unpacklo_ps(cols45(p[0], p[4]), cols45(p[1], p[5]));
        __m256 e2 = _mm256_unpacklo_ps(cols45(p[2], p[6]), cols45(p[3], p[7]));
        _mm256_store_ps(di + 4 * L, _mm256_shuffle_ps(e0, e2, 0x44));
        _mm256_store_ps(di + 5 * L, _mm256_shuffle_ps(e0, e2, 0xEE));
      }
      for (size_t j = 0; j < 6; j++) bt_1d(d + j * L, 6 * L, tr + j * L, 6 * L);
      for (size_t k = 0; k < 6; k++) bt_1d(tr + k * 6 * L, L, r + k * 6 * L, L);
      size_t g0 = g * L;
      float* dst = v + ((g0 / NR) * a.c + c) * NR + g0 % NR;
      size_t xs = v_stride(a, P);
      for (size_t x = 0; x < XI; x++) _mm256_storeu_ps(dst + x * xs, _mm256_load_ps(r + x * L));
    }
  }
}
// output_body on AVX2: whole tile rows are transposed out of the lanes and stored 128 bits at a time;
// `stream`: with non-temporal stores (an output too large to stay in cache until it is read; the
// caller fences).
__attribute__((target("avx2,fma"))) void output_avx2(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o,
                                                      const float* src, size_t xs, float* check, bool stream) {
  alignas(32) float r[16 * L];
  output_values(a, o, src, xs, check, r);
  const float* res = a.epi.residual;
  const __m128 zero = _mm_setzero_ps();
  size_t plane = a.oh * a.ow;
  for (size_t i = 0; i < 4; i++) {
    __m256 v0 = _mm256_load_ps(r + (i * 4) * L), v1 = _mm256_load_ps(r + (i * 4 + 1) * L);
    __m256 v2 = _mm256_load_ps(r + (i * 4 + 2) * L), v3 = _mm256_load_ps(r + (i * 4 + 3) * L);
    __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1);
    __m256 t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3);
    __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE), _mm256_shuffle_ps(t1, t3, 0x44),
                   _mm256_shuffle_ps(t1, t3, 0xEE)};
    for (size_t l = 0; l < lanes; l++) {
      const Tile& tl = t[l];
      if (tl.ww != 4 || i >= tl.hh) continue;  // partial tiles: below
      __m128 row = l < 4 ? _mm256_castps256_ps128(u[l]) : _mm256_extractf128_ps(u[l - 4], 1);
      size_t at = (tl.s * a.o + o) * plane + tl.out_at + i * a.ow;
      if (res != nullptr) {
        row = _mm_add_ps(row, _mm_loadu_ps(res + at));
        if (a.epi.relu) row = _mm_blendv_ps(row, zero, _mm_cmplt_ps(row, zero));  // NaN stays NaN
      }
      if (stream && reinterpret_cast<uintptr_t>(a.y + at) % 16 == 0)
        _mm_stream_ps(a.y + at, row);
      else
        _mm_storeu_ps(a.y + at, row);
    }
  }
  for (size_t l = 0; l < lanes; l++)
    if (t[l].ww != 4) store_tile(a, t[l], o, r, l);
}

}  // namespace wino
}  // namespace ctl

#endif
