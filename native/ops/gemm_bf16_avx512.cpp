// The BF16 GEMM's packing (float32 → BF16, round to nearest even, by vcvtne2ps2bf16 / vcvtneps2bf16)
// and its 12×32 register tile (vdpbf16ps). Compiled with -mavx512bf16 and the AVX-512 flags: file-local
// code and intrinsics only, so no inline function of a shared header is emitted with these instructions.
#if defined(__x86_64__) || defined(__i386__)  // (x86 only: elsewhere this file is empty)
#include <immintrin.h>

// GCC 12 reports its own unmasked intrinsics (undefined source operand) as maybe-uninitialized
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "ops/avx512_util.h"
#include "ops/gemm_bf16_isa.h"

namespace ctl {
namespace {

using avx512::mask16;

// lane j = bf16(lo[j]) | bf16(hi[j]) << 16: two rows of 16 floats as 16 k pairs
inline __m512i pair_rows(__m512 lo, __m512 hi) {
  __m512i l = _mm512_cvtepu16_epi32(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(lo)));
  __m512i h = _mm512_cvtepu16_epi32(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(hi)));
  return _mm512_or_si512(l, _mm512_slli_epi32(h, 16));
}

// r[t] = column t of the 16×16 uint32 block with rows r[0..15] (unpacks within 128-bit lanes, then
// the lanes gathered across the four groups of four rows)
inline void transpose16(__m512i r[16]) {
  __m512i a[16], b[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {  // b[4j + c]: rows 4j..4j+3 of column c in each 128-bit lane
    b[4 * j] = _mm512_unpacklo_epi64(a[4 * j], a[4 * j + 2]);
    b[4 * j + 1] = _mm512_unpackhi_epi64(a[4 * j], a[4 * j + 2]);
    b[4 * j + 2] = _mm512_unpacklo_epi64(a[4 * j + 1], a[4 * j + 3]);
    b[4 * j + 3] = _mm512_unpackhi_epi64(a[4 * j + 1], a[4 * j + 3]);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    __m512i e0 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x44), e1 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xEE);
    __m512i f0 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x44), f1 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xEE);
    r[c] = _mm512_shuffle_i32x4(e0, f0, 0x88);
    r[4 + c] = _mm512_shuffle_i32x4(e0, f0, 0xDD);
    r[8 + c] = _mm512_shuffle_i32x4(e1, f1, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(e1, f1, 0xDD);
  }
}

// 16 k pairs (from pair p) of row s, masked to kc floats
inline __m512i row_pairs(const float* s, size_t p, size_t kc) {
  size_t left = kc - 2 * p;
  __m512 lo = _mm512_maskz_loadu_ps(mask16(left), s + 2 * p);
  __m512 hi = _mm512_maskz_loadu_ps(mask16(left > 16 ? left - 16 : 0), s + 2 * p + 16);
  return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

}  // namespace

// dst[p·width + r] = bf16 pair (src[r, 2p], src[r, 2p+1]), zero past rows and kc
void bf16_pack_k_rows(const float* src, size_t ld, size_t rows, size_t width, size_t kc, uint32_t* dst) {
  const size_t kc2 = (kc + 1) / 2;
  if (width == 12) {  // an A panel: 12 rows × 16 pairs transposed in registers, rows ≥ `rows` zero
    const __mmask16 twelve = 0x0fff;
    for (size_t p = 0; p < kc2; p += 16) {
      __m512i r[16];
#pragma GCC unroll 16
      for (size_t i = 0; i < 16; i++) r[i] = i < rows ? row_pairs(src + i * ld, p, kc) : _mm512_setzero_si512();
      transpose16(r);
      size_t n = kc2 - p < 16 ? kc2 - p : 16;
      for (size_t t = 0; t < n; t++) _mm512_mask_storeu_epi32(dst + (p + t) * 12, twelve, r[t]);
    }
    return;
  }
  alignas(64) uint32_t pairs[16];
  for (size_t r = 0; r < width; r++) {
    if (r >= rows) {
      for (size_t p = 0; p < kc2; p++) dst[p * width + r] = 0;
      continue;
    }
    for (size_t p = 0; p < kc2; p += 16) {  // masked loads give the odd tail's zero
      _mm512_store_si512(pairs, row_pairs(src + r * ld, p, kc));
      size_t n = kc2 - p < 16 ? kc2 - p : 16;
      for (size_t t = 0; t < n; t++) dst[(p + t) * width + r] = pairs[t];
    }
  }
}

// dst[p·32 + j] = bf16 pair (src[2p, j], src[2p+1, j]), zero past cols and kc
void bf16_pack_k_cols(const float* src, size_t ld, size_t cols, size_t kc, uint32_t* dst) {
  const size_t kc2 = (kc + 1) / 2;
  const __mmask16 m0 = mask16(cols), m1 = mask16(cols > 16 ? cols - 16 : 0);
  for (size_t p = 0; p < kc2; p++) {
    const float* r0 = src + 2 * p * ld;
    const bool odd = 2 * p + 1 == kc;  // no second row: its half of the pair is zero
    const float* r1 = r0 + ld;
    __m512 z = _mm512_setzero_ps();
    __m512 a0 = _mm512_maskz_loadu_ps(m0, r0), a1 = _mm512_maskz_loadu_ps(m1, r0 + 16);
    __m512 b0 = odd ? z : _mm512_maskz_loadu_ps(m0, r1), b1 = odd ? z : _mm512_maskz_loadu_ps(m1, r1 + 16);
    _mm512_store_si512(dst + p * 32, pair_rows(a0, b0));
    _mm512_store_si512(dst + p * 32 + 16, pair_rows(a1, b1));
  }
}

// C[12,32] (+)= Σ_p Σ_{h<2} A[i, 2p+h]·B[2p+h, j] with BF16 inputs, float32 sums (24 zmm accumulators)
void bf16_tile_avx512(size_t kc2, const uint32_t* ap, const uint32_t* bp, float* c, size_t ldc, bool acc) {
  __m512 t[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) {
    t[i][0] = _mm512_setzero_ps();
    t[i][1] = _mm512_setzero_ps();
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (size_t p = 0; p < kc2; p++) {
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * 32), _MM_HINT_T0);
    __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_load_si512(bp));
    __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_load_si512(bp + 16));
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(ap[i])));
      t[i][0] = _mm512_dpbf16_ps(t[i][0], a, b0);
      t[i][1] = _mm512_dpbf16_ps(t[i][1], a, b1);
    }
    ap += 12;
    bp += 32;
  }
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) {
    float* ci = c + i * ldc;
    __m512 v0 = acc ? _mm512_add_ps(t[i][0], _mm512_loadu_ps(ci)) : t[i][0];
    __m512 v1 = acc ? _mm512_add_ps(t[i][1], _mm512_loadu_ps(ci + 16)) : t[i][1];
    _mm512_storeu_ps(ci, v0);
    _mm512_storeu_ps(ci + 16, v1);
  }
}

}  // namespace ctl

#endif
