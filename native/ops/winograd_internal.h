// Shared by the Winograd F(4×4, 3×3) driver (winograd.cpp) and its SIMD transforms
// (winograd_avx2.cpp, winograd_avx512.cpp): lane layout, buffer strides, the tile record, the input
// staging, the scalar 1-D transforms and the output epilogue. Internal to those files. (The AVX-512
// file, compiled with the AVX-512 flags, uses only the constants, types, declarations and integer
// stride helpers here: an inline function it called could be emitted there with AVX-512 instructions
// and shared.)
#pragma once
#include <cstddef>

#include "ops/combine.h"
#include "ops/conv2d.h"
#include "ops/gemm_kernel.h"

namespace ctl {
namespace wino {

constexpr size_t L = 8;    // SIMD lanes (portable, AVX2): 8 tiles (input, output transforms) or 8 filter rows
constexpr size_t XI = 36;  // transform points per tile (6×6)
static_assert(NR == 2 * L, "a B panel holds two lane groups of tiles");

// SIMD input transforms: rows are prefetched this many channels ahead of the one being staged.
constexpr size_t kPrefetchChannels = 2;
// SIMD filter transforms: weights are prefetched this many channels ahead.
constexpr size_t kFilterPrefetchChannels = 16;

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

// The SIMD input transforms' staging of cnt tiles t[0..cnt) (consecutive, as tile_grid orders them):
// sample t[0].s + i (slot i < slots) holds its padded rows [row0[i], row0[i] + rows[i]) at
// buf + base[i], `width` floats a row (4·⌈ow/4⌉ + 2 ≥ pw + w + pw: every patch and copied row fits),
// zero-filled; off[q] (q < ⌈cnt/NR⌉·NR) is where tile q's 6×6 patch starts in buf (lanes past cnt
// repeat tile 0: finite, never stored). The caller copies each channel's rows inside the image.
struct Stage {
  float* buf;
  const int* off;
  size_t s_first, slots, width;
  const size_t *row0, *rows, *base;
};
// Lays out and zero-fills the calling thread's staging buffer (winograd.cpp).
Stage stage_tiles(const Conv2dArgs& a, const Tile* t, size_t cnt);
// Copies channel c's rows inside the image into st's planes, prefetching the same rows a few channels
// ahead (while c + kPrefetchChannels < c1).
void stage_channel(const Conv2dArgs& a, const Stage& st, size_t c, size_t c1);


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

// The transforms each ISA provides (winograd.cpp picks them). An output call takes up to that ISA's
// lane count of tiles and adds NaN into check[0..NR) for a non-finite value.
using FilterFn = void (*)(const Conv2dArgs&, size_t, size_t, size_t, float*, size_t);
using InputFn = void (*)(const Conv2dArgs&, const Tile*, size_t, size_t, size_t, size_t, float*);
using OutputFn = void (*)(const Conv2dArgs&, const Tile*, size_t, size_t, const float*, size_t, float*, bool);

#if defined(__x86_64__) || defined(__i386__)
// The transforms on AVX2 + FMA (winograd_avx2.cpp): the generic ones' results, faster.
#define CTL_WINO_AVX2 __attribute__((target("avx2,fma")))
CTL_WINO_AVX2 void filter_avx2(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst, size_t xs);
CTL_WINO_AVX2 void input_avx2(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P, size_t c0, size_t c1, float* v);
CTL_WINO_AVX2 void output_avx2(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o, const float* src, size_t xs,
                               float* check, bool stream);
#undef CTL_WINO_AVX2
// The transforms on AVX-512 (winograd_avx512.cpp, compiled with its flags): the same values, 16 lanes.
void filter_avx512(const Conv2dArgs& a, size_t p, size_t c0, size_t c1, float* dst, size_t xs);
void input_avx512(const Conv2dArgs& a, const Tile* t, size_t cnt, size_t P, size_t c0, size_t c1, float* v);
void output_avx512(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o, const float* src, size_t xs,
                   float* check, bool stream);
#endif

}  // namespace wino
}  // namespace ctl
