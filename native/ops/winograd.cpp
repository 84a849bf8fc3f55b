// Winograd F(4×4, 3×3) (Lavin & Gray 2016): per 4×4 output tile and channel pair,
// Y = Aᵀ[ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ]A with d_c the 6×6 input patch; 36 multiplies per 16
// outputs instead of 144. The Σ_c over all tiles is one GEMM per transform point ξ (36 of them),
// run on the GEMM micro-kernel over operands the transforms write already packed.
#include "ops/winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "ops/aligned_buffer.h"
#include "ops/combine.h"
#include "ops/gemm_kernel.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

constexpr size_t L = 8;    // SIMD lanes: 8 tiles (input, output transforms) or 8 input channels (filter)
constexpr size_t XI = 36;  // transform points per tile (6×6)
static_assert(NR == 2 * L, "a B panel holds two lane groups of tiles");
// Deep-layer schedule: a block of tiles whose transformed inputs (36·C floats each) fit in about
// this many bytes is transformed at once and shared by all tasks.
constexpr size_t kBlockBytes = size_t(6) << 20;
// Transformed filters up to this size are shared (early-layer schedule); larger ones are transformed
// per output panel inside the task that uses them (deep-layer schedule).
constexpr size_t kSharedFilterBytes = size_t(4) << 20;
// Deep-layer schedule: input channels per filter-transform chunk (36·MR floats each).
constexpr size_t kFilterChunk = 64;
// Early-layer schedule: a task's own transformed inputs stay within about this many bytes (L2; 640 KiB
// with at most one sample's tiles per task measured 4–6% faster than 320 KiB on ResNet-18 layer1).
constexpr size_t kTaskInputBytes = size_t(640) << 10;
// Early-layer schedule: outputs at least this large are written with non-temporal stores (they leave
// the caches before the next layer reads them; measured 2–3% faster on 8 MiB outputs, slower on 1–4 MiB).
constexpr size_t kStreamOutputBytes = size_t(8) << 20;
// AVX2 input transform: rows are prefetched this many channels ahead of the one being staged.
constexpr size_t kPrefetchChannels = 2;
// AVX2 filter transform: weights are prefetched this many channels ahead.
constexpr size_t kFilterPrefetchChannels = 16;
// Narrower layers gain little over the implicit GEMM (the transforms dominate).
constexpr size_t kMinChannels = 16;

std::atomic<bool> enabled{true};
thread_local AlignedBuffer u_shared, v_buffer;       // per calling thread
thread_local AlignedBuffer u_task, v_task, m_task;  // per pool thread

// A stride between the 36 transform points of V, U or M: `floats` plus one cache line (NR floats), so
// the 36 scattered stores or loads of a tile group do not all fall into one L1 set (the unpadded
// strides are multiples of 4 KiB for the usual channel counts).
inline size_t padded(size_t floats) { return floats + NR; }

// Floats from one transform point ξ of V to the next, for P tile panels.
inline size_t v_stride(const Conv2dArgs& a, size_t P) { return padded(P * a.c * NR); }

// Where one tile sits: sample, 6×6 input patch origin (may be in the padding), output offset in
// the channel plane, the output rows and columns inside the image, whether the patch is inside.
struct Tile {
  size_t s;
  long y0, x0;
  size_t out_at, hh, ww;
  bool inside;
};


// out[k] = Σ_i Bᵀ[k][i] in[i], 6 → 6, per lane; rows of `in` s floats apart, of `out` os apart.
[[gnu::always_inline]] inline void bt_1d(const float* in, size_t s, float* out, size_t os) {
  for (size_t l = 0; l < L; l++) {
    float d0 = in[l], d1 = in[s + l], d2 = in[2 * s + l], d3 = in[3 * s + l], d4 = in[4 * s + l], d5 = in[5 * s + l];
    out[l] = 4.f * d0 - 5.f * d2 + d4;
    out[os + l] = (d3 + d4) - 4.f * (d1 + d2);
    out[2 * os + l] = 4.f * (d1 - d2) + (d4 - d3);
    out[3 * os + l] = 2.f * (d3 - d1) + (d4 - d2);
    out[4 * os + l] = 2.f * (d1 - d3) + (d4 - d2);
    out[5 * os + l] = 4.f * d1 - 5.f * d3 + d5;
  }
}

// out[k] = Σ_i G[k][i] in[i], 3 → 6, per lane.
[[gnu::always_inline]] inline void g_1d(const float* in, size_t s, float* out, size_t os) {
  for (size_t l = 0; l < L; l++) {
    float g0 = in[l], g1 = in[s + l], g2 = in[2 * s + l];
    float even = g0 + g2, e24 = g0 * (1.f / 24) + g2 * (1.f / 6), o12 = g1 * (1.f / 12);
    out[l] = g0 * 0.25f;
    out[os + l] = (even + g1) * (-1.f / 6);
    out[2 * os + l] = (even - g1) * (-1.f / 6);
    out[3 * os + l] = e24 + o12;
    out[4 * os + l] = e24 - o12;
    out[5 * os + l] = g2;
  }
}

// out[k] = Σ_i Aᵀ[k][i] in[i], 6 → 4, per lane.
[[gnu::always_inline]] inline void at_1d(const float* in, size_t s, float* out, size_t os) {
  for (size_t l = 0; l < L; l++) {
    float m0 = in[l], m1 = in[s + l], m2 = in[2 * s + l], m3 = in[3 * s + l], m4 = in[4 * s + l], m5 = in[5 * s + l];
    float p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4;
    out[l] = m0 + p12 + p34;
    out[os + l] = d12 + 2.f * d34;
    out[2 * os + l] = p12 + 4.f * p34;
    out[3 * os + l] = d12 + 8.f * d34 + m5;
  }
}

// Weight i (flat index into [o, c, 3, 3]), formed from the weight sum when there is one.
inline float weight_at(const Conv2dArgs& a, size_t i) {
  const WeightSum& ws = a.weight_sum;
  return ws.m == 0 ? a.weight[i] : combine_at(ws.m, ws.basis, ws.coeffs, i);
}

// Packed U of output panel p for channels [c0, c1): dst[ξ·xs + (c − c0)·MR + i] = (G g Gᵀ)[ξ] of
// o = p·MR + i (zero rows past O); each ξ is then an A panel for the micro-kernel. Lanes are the
// panel's MR rows (MR ≤ L).
[[gnu::always_inline]] inline void filter_body(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst,
                                               size_t xs) {
  static_assert(MR <= L, "a panel's rows fit in the lanes");
  alignas(32) float g[9 * L] = {}, t[18 * L], r[XI * L];
  size_t rows = std::min(MR, a.o - p * MR), w0 = p * MR * a.c * 9;
  for (size_t c = c0; c < c1; c++, dst += MR) {
    for (size_t l = 0; l < rows; l++)
      for (size_t k = 0; k < 9; k++) g[k * L + l] = weight_at(a, w0 + (l * a.c + c) * 9 + k);
    for (size_t j = 0; j < 3; j++) g_1d(g + j * L, 3 * L, t + j * L, 3 * L);
    for (size_t k = 0; k < 6; k++) g_1d(t + k * 3 * L, L, r + k * 6 * L, L);
    if (c + 1 < c1) {  // L lanes: the L − MR extra land on channel c + 1's slots, written next
      for (size_t x = 0; x < XI; x++)
        for (size_t l = 0; l < L; l++) dst[x * xs + l] = r[x * L + l];
    } else {
      for (size_t x = 0; x < XI; x++)
        for (size_t l = 0; l < MR; l++) dst[x * xs + l] = r[x * L + l];
    }
  }
}

// Packed V for channels [c0, c1) of cnt tiles t[0..cnt): v[ξ·v_stride + q·C·NR + c·NR + j] = (Bᵀ d B)[ξ]
// of tile t[q·NR + j] (zero past cnt), so each (ξ, panel q) is a B panel; P panels in the buffer.
[[gnu::always_inline]] inline void input_body(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P, size_t c0,
                                              size_t c1, float* v) {
  alignas(32) float d[XI * L], tr[XI * L], r[XI * L];
  const long h = long(a.h), w = long(a.w);
  size_t padded = (cnt + NR - 1) / NR * NR;
  for (size_t c = c0; c < c1; c++) {
    for (size_t g0 = 0; g0 < padded; g0 += L) {
      size_t lanes = g0 < cnt ? std::min(L, cnt - g0) : 0;
      for (size_t l = 0; l < L; l++) {
        if (l < lanes && t[g0 + l].inside) {
          const Tile& tl = t[g0 + l];
          const float* src = a.x + (tl.s * a.c + c) * a.h * a.w + tl.y0 * w + tl.x0;
          for (size_t i = 0; i < 6; i++)
            for (size_t j = 0; j < 6; j++) d[(i * 6 + j) * L + l] = src[i * w + j];
          continue;
        }
        for (size_t k = 0; k < XI; k++) d[k * L + l] = 0.f;
        if (l >= lanes) continue;
        const Tile& tl = t[g0 + l];  // a patch over the border: copy the part inside
        const float* plane = a.x + (tl.s * a.c + c) * a.h * a.w;
        long ilo = std::max(0L, -tl.y0), ihi = std::min(6L, h - tl.y0), jlo = std::max(0L, -tl.x0), jhi = std::min(6L, w - tl.x0);
        for (long i = ilo; i < ihi; i++)
          for (long j = jlo; j < jhi; j++) d[(i * 6 + j) * L + l] = plane[(tl.y0 + i) * w + tl.x0 + j];
      }
      for (size_t j = 0; j < 6; j++) bt_1d(d + j * L, 6 * L, tr + j * L, 6 * L);
      for (size_t k = 0; k < 6; k++) bt_1d(tr + k * 6 * L, L, r + k * 6 * L, L);
      float* dst = v + ((g0 / NR) * a.c + c) * NR + g0 % NR;
      for (size_t x = 0; x < XI; x++)
        for (size_t l = 0; l < L; l++) dst[x * v_stride(a, P) + l] = r[x * L + l];
    }
  }
}

// Output channel o of 8 tiles: r[(i·4 + j)·L + l] = epilogue before the residual (Aᵀ m A + bias,
// BatchNorm, and the ReLU when there is no residual) with m[ξ] = src[ξ·xs + l]. Adds NaN to
// check[l] when a value is NaN or ±Inf.
[[gnu::always_inline]] inline void output_values(const Conv2dArgs& a, size_t o, const float* src, size_t xs, float* check,
                                                 float* r) {
  alignas(32) float in[XI * L], tr[24 * L];
  for (size_t x = 0; x < XI; x++)
    for (size_t l = 0; l < L; l++) in[x * L + l] = src[x * xs + l];
  for (size_t j = 0; j < 6; j++) at_1d(in + j * L, 6 * L, tr + j * L, 6 * L);
  for (size_t i = 0; i < 4; i++) at_1d(tr + i * 6 * L, L, r + i * 4 * L, L);
  float bias = a.bias != nullptr ? a.bias[o] : 0.f;
  for (size_t e = 0; e < 16; e++)
    for (size_t l = 0; l < L; l++) {
      r[e * L + l] += bias;
      check[l] += r[e * L + l] * 0.f;  // NaN once any value is NaN or ±Inf
    }
  const ConvEpilogue& ep = a.epi;
  if (ep.scale != nullptr) {
    double sc = ep.scale[o], sh = ep.shift[o];
    for (size_t e = 0; e < 16 * L; e++) r[e] = float(r[e] * sc + sh);
  }
  if (ep.relu && ep.residual == nullptr)
    for (size_t e = 0; e < 16 * L; e++) r[e] = r[e] < 0.f ? 0.f : r[e];
}

// Stores lane l of r (output_values) as tile t[l]'s 4×4 block of channel o, adding the residual
// and then the ReLU when there is a residual.
[[gnu::always_inline]] inline void store_tile(const Conv2dArgs& a, const Tile& tl, size_t o, const float* r, size_t l) {
  size_t at = (tl.s * a.o + o) * a.oh * a.ow + tl.out_at;
  float* dst = a.y + at;
  const ConvEpilogue& ep = a.epi;
  if (ep.residual != nullptr) {
    const float* res = ep.residual + at;
    for (size_t i = 0; i < tl.hh; i++)
      for (size_t j = 0; j < tl.ww; j++) {
        float v = r[(i * 4 + j) * L + l] + res[i * a.ow + j];
        dst[i * a.ow + j] = ep.relu && v < 0.f ? 0.f : v;
      }
    return;
  }
  for (size_t i = 0; i < tl.hh; i++)
    for (size_t j = 0; j < tl.ww; j++) dst[i * a.ow + j] = r[(i * 4 + j) * L + l];
}

// Output channel o of `lanes` tiles t[0..lanes) from M (m[ξ] = src[ξ·xs + l]).
[[gnu::always_inline]] inline void output_body(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o,
                                               const float* src, size_t xs, float* check) {
  alignas(32) float r[16 * L];
  output_values(a, o, src, xs, check, r);
  for (size_t l = 0; l < lanes; l++) store_tile(a, t[l], o, r, l);
}

using FilterFn = void (*)(const Conv2dArgs&, size_t, size_t, size_t, float*, size_t);
using InputFn = void (*)(const Conv2dArgs&, const Tile*, size_t, size_t, size_t, size_t, float*);
using OutputFn = void (*)(const Conv2dArgs&, const Tile*, size_t, size_t, const float*, size_t, float*, bool);

void filter_generic(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst, size_t xs) {
  filter_body(a, p, c0, c1, dst, xs);
}
void input_generic(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P, size_t c0, size_t c1, float* v) {
  input_body(a, t, cnt, P, c0, c1, v);
}
void output_generic(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o, const float* src, size_t xs,
                    float* check, bool /*stream*/) {
  output_body(a, t, lanes, o, src, xs, check);
}

#if defined(__x86_64__) || defined(__i386__)
// The transforms on AVX2 + FMA.
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
    __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
    __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
    __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
    __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    __m256 g[9] = {_mm256_permute2f128_ps(s0, s4, 0x20), _mm256_permute2f128_ps(s1, s5, 0x20),
                   _mm256_permute2f128_ps(s2, s6, 0x20), _mm256_permute2f128_ps(s3, s7, 0x20),
                   _mm256_permute2f128_ps(s0, s4, 0x31), _mm256_permute2f128_ps(s1, s5, 0x31),
                   _mm256_permute2f128_ps(s2, s6, 0x31), _mm256_permute2f128_ps(s3, s7, 0x31),
                   _mm256_setr_ps(tap8[0], tap8[1], tap8[2], tap8[3], tap8[4], tap8[5], tap8[6], tap8[7])};
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

// dst[0, n) = src[0, n) inline (deep layers' rows are 4–8 floats: a library call per row cost more
// than the copy).
__attribute__((target("avx2,fma"))) inline void copy_row_avx2(float* dst, const float* src, size_t n) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
  if (j + 4 <= n) {
    _mm_storeu_ps(dst + j, _mm_loadu_ps(src + j));
    j += 4;
  }
  for (; j < n; j++) dst[j] = src[j];
}

// input_body on AVX2. Per channel, the rows the tiles need are first copied into zero-padded planes
// (one per sample), so every 6×6 patch is read whole with no bounds checks: per patch row, a 128-bit
// load (columns 0–3) and a 64-bit load (4–5) per tile, turned into one vector per column over the
// 8 tiles by in-lane 4×4 transposes.
__attribute__((target("avx2,fma"))) void input_avx2(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P,
                                                     size_t c0, size_t c1, float* v) {
  alignas(32) float d[XI * L], tr[XI * L], r[XI * L];
  // padded planes: sample t[0].s + i holds padded rows [row0[i], row0[i] + rows[i]) at stage + base[i]
  // whole padded rows: 4·⌈ow/4⌉ + 2 ≥ pw + w + pw columns, so every patch and every copied row fits
  size_t s_first = t[0].s, slots = t[cnt - 1].s - s_first + 1, width = (a.ow + 3) / 4 * 4 + 2;
  thread_local std::vector<size_t> row0, rows, base;
  row0.assign(slots, SIZE_MAX);
  rows.assign(slots, 0);
  base.assign(slots, 0);
  for (size_t i = 0; i < cnt; i++) {
    size_t slot = t[i].s - s_first, py = size_t(t[i].y0 + long(a.ph));
    row0[slot] = std::min(row0[slot], py);
    rows[slot] = std::max(rows[slot], py + 6);
  }
  size_t total = 0;
  for (size_t i = 0; i < slots; i++) {
    if (rows[i] == 0) continue;
    rows[i] -= row0[i];
    base[i] = total;
    total += rows[i] * width;
  }
  thread_local AlignedBuffer stage_buffer, offset_buffer;
  float* stage = stage_buffer.get(total);
  size_t groups = (cnt + NR - 1) / NR * (NR / L);
  int* off = reinterpret_cast<int*>(offset_buffer.get(groups * L));
  for (size_t i = 0; i < groups * L; i++) {
    const Tile& tl = t[i < cnt ? i : 0];  // lanes past cnt repeat tile 0 (finite, never stored)
    size_t slot = tl.s - s_first, py = size_t(tl.y0 + long(a.ph)), px = size_t(tl.x0 + long(a.pw));
    off[i] = int(base[slot] + (py - row0[slot]) * width + px);
  }
  std::fill(stage, stage + total, 0.f);  // the padding: the same zeros for every channel
  for (size_t c = c0; c < c1; c++) {
    for (size_t i = 0; i < slots; i++) {  // stage the rows of channel c inside the image
      const float* plane = a.x + ((s_first + i) * a.c + c) * a.h * a.w;
      for (size_t rr = 0; rr < rows[i]; rr++) {
        long iy = long(row0[i] + rr) - long(a.ph);
        if (iy < 0 || iy >= long(a.h)) continue;
        const float* src = plane + size_t(iy) * a.w;
        if (c + kPrefetchChannels < c1)  // the same row a few channels ahead: a plane (often 4 KiB or more) away
          for (size_t b = 0; b < a.w; b += 64 / sizeof(float))
            _mm_prefetch(reinterpret_cast<const char*>(src + kPrefetchChannels * a.h * a.w + b), _MM_HINT_T0);
        copy_row_avx2(stage + base[i] + rr * width + a.pw, src, a.w);
      }
    }
    for (size_t g = 0; g < groups; g++) {
      const int* o = off + g * L;
      for (size_t i = 0; i < 6; i++) {
        const float* p[L];
        for (size_t l = 0; l < L; l++) p[l] = stage + o[l] + i * width;
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
#endif

struct Kernels {
  FilterFn filter = filter_generic;
  InputFn input = input_generic;
  OutputFn output = output_generic;
  MicroKernel micro = micro_kernel();
  bool stream = false;  // output_avx2 stores with non-temporal stores; tasks end with store_fence()
};

// Orders this thread's non-temporal stores before what follows (the end of a pool task).
void store_fence() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#endif
}

Kernels pick_kernels() {
  Kernels k;
#if defined(__x86_64__) || defined(__i386__)
  if (use_avx2_fma()) {
    k.filter = filter_avx2;
    k.input = input_avx2;
    k.output = output_avx2;
  }
#endif
  return k;
}

// Floats from one ξ of M to the next for nq tile panels (one MR×NR tile each).
inline size_t m_stride(size_t nq) { return padded(nq * MR * NR); }

// M[ξ][q] (+)= U[ξ] · V[ξ][q] over channels [c0, c1) by the micro-kernel, for nq tile panels:
// U[ξ] at up + ξ·us (packed [c1 − c0][MR]), V[ξ][q] at v + ξ·vs + q·C·NR + c0·NR, M[ξ][q] at
// m + ξ·m_stride(nq) + q·MR·NR.
void gemm_panel(const Conv2dArgs& a, const Kernels& kn, const float* up, size_t us, const float* v, size_t vs,
                size_t nq, size_t c0, size_t c1, float* m, bool acc) {
  for (size_t x = 0; x < XI; x++)
    for (size_t q = 0; q < nq; q++)
      kn.micro(c1 - c0, up + x * us, v + x * vs + (q * a.c + c0) * NR, m + x * m_stride(nq) + q * MR * NR, NR, acc);
}

// The output transform of panel p's channels for cnt tiles t[0..cnt) from M (as gemm_panel lays it
// out). False when an output is NaN/±Inf.
bool output_panel(const Conv2dArgs& a, const Kernels& kn, const Tile* t, size_t cnt, size_t p, const float* m) {
  size_t nq = (cnt + NR - 1) / NR, tile = MR * NR;
  float check[L] = {};
  for (size_t i = 0; i < MR && p * MR + i < a.o; i++)
    for (size_t g0 = 0; g0 < cnt; g0 += L)
      kn.output(a, t + g0, std::min(L, cnt - g0), p * MR + i, m + (g0 / NR) * tile + i * NR + g0 % NR, m_stride(nq),
                check, kn.stream);
  float all = 0.f;
  for (size_t l = 0; l < L; l++) all += check[l];
  return all == 0.f;
}

std::vector<Tile> tile_grid(const Conv2dArgs& a, size_t th, size_t tw) {
  std::vector<Tile> tiles(a.n * th * tw);
  for (size_t i = 0; i < tiles.size(); i++) {
    size_t rem = i % (th * tw), oy = (rem / tw) * 4, ox = (rem % tw) * 4;
    Tile& tl = tiles[i];
    tl.s = i / (th * tw);
    tl.y0 = long(oy) - long(a.ph);
    tl.x0 = long(ox) - long(a.pw);
    tl.out_at = oy * a.ow + ox;
    tl.hh = std::min<size_t>(4, a.oh - oy);
    tl.ww = std::min<size_t>(4, a.ow - ox);
    tl.inside = tl.y0 >= 0 && tl.x0 >= 0 && tl.y0 + 6 <= long(a.h) && tl.x0 + 6 <= long(a.w);
  }
  return tiles;
}

}  // namespace

void set_winograd_enabled(bool on) { enabled.store(on); }

bool winograd_applies(const Conv2dArgs& a) {
  return enabled.load() && a.groups == 1 && a.kh == 3 && a.kw == 3 && a.sh == 1 && a.sw == 1 && a.dh == 1 &&
         a.dw == 1 && a.c >= kMinChannels && a.o >= kMinChannels && a.oh > 0 && a.ow > 0 && a.n > 0;
}

// Two schedules. Many tiles, small filters (early layers): U is transformed once and shared; a task
// takes a few tile panels, transforms their inputs into its own cache-sized V and runs every output
// panel over them. Few tiles, large filters (deep layers): V is transformed once per block and
// shared; a task takes one output panel, transforms its filters into its own U and runs every tile.
bool conv2d_winograd(const Conv2dArgs& a) {
  Kernels kn = pick_kernels();
  size_t th = (a.oh + 3) / 4, tw = (a.ow + 3) / 4;  // tiles per column and per row of a sample
  std::vector<Tile> tiles = tile_grid(a, th, tw);
  size_t count = tiles.size(), opanels = (a.o + MR - 1) / MR;
  size_t panel_bytes = XI * a.c * NR * sizeof(float);  // one transformed tile panel
  std::atomic<bool> finite{true};
  if (XI * opanels * MR * a.c * sizeof(float) <= kSharedFilterBytes) {
    size_t us = padded(opanels * a.c * MR);
    float* u = u_shared.get(XI * us);
    parallel_for(opanels, 1, [&](size_t b, size_t e) {
      for (size_t p = b; p < e; p++) kn.filter(a, p, 0, a.c, u + p * a.c * MR, us);
    });
    // a task's tile panels: as many as fit its input budget, but no more than one sample's tiles
    size_t qg = std::clamp<size_t>(std::min(kTaskInputBytes / panel_bytes, (th * tw + NR - 1) / NR), 1, 4), span = qg * NR;
    kn.stream = a.n * a.o * a.oh * a.ow * sizeof(float) >= kStreamOutputBytes;
    parallel_for((count + span - 1) / span, 1, [&](size_t b, size_t e) {
      float* v = v_task.get(XI * v_stride(a, qg));
      for (size_t g = b; g < e; g++) {
        size_t first = g * span, cnt = std::min(span, count - first);
        kn.input(a, tiles.data() + first, cnt, qg, 0, a.c, v);
        size_t nq = (cnt + NR - 1) / NR;
        float* m = m_task.get(XI * m_stride(nq));
        for (size_t p = 0; p < opanels; p++) {
          gemm_panel(a, kn, u + p * a.c * MR, us, v, v_stride(a, qg), nq, 0, a.c, m, false);
          if (!output_panel(a, kn, tiles.data() + first, cnt, p, m)) finite.store(false);
        }
      }
      if (kn.stream) store_fence();
    });
    return finite.load();
  }
  size_t block = std::min(count, std::max<size_t>(1, kBlockBytes / panel_bytes) * NR), P = (block + NR - 1) / NR;
  float* v = v_buffer.get(XI * v_stride(a, P));
  for (size_t first = 0; first < count; first += block) {
    size_t cnt = std::min(block, count - first);
    parallel_for(a.c, 1, [&](size_t b, size_t e) { kn.input(a, tiles.data() + first, cnt, P, b, e, v); });
    size_t nq = (cnt + NR - 1) / NR;
    parallel_for(opanels, 1, [&](size_t b, size_t e) {
      float* u = u_task.get(XI * padded(kFilterChunk * MR));
      float* m = m_task.get(XI * m_stride(nq));
      for (size_t p = b; p < e; p++) {
        // filters transformed a chunk of input channels at a time (kept in L1/L2), summed into M
        for (size_t c0 = 0; c0 < a.c; c0 += kFilterChunk) {
          size_t c1 = std::min(a.c, c0 + kFilterChunk);
          size_t us = padded((c1 - c0) * MR);
          kn.filter(a, p, c0, c1, u, us);
          gemm_panel(a, kn, u, us, v, v_stride(a, P), nq, c0, c1, m, c0 > 0);
        }
        if (!output_panel(a, kn, tiles.data() + first, cnt, p, m)) finite.store(false);
      }
    });
  }
  return finite.load();
}

}  // namespace ctl
