// Winograd F(4×4, 3×3) (Lavin & Gray 2016): per 4×4 output tile and channel pair,
// Y = Aᵀ[ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ]A with d_c the 6×6 input patch; 36 multiplies per 16
// outputs instead of 144. The Σ_c over all tiles is one GEMM per transform point ξ (36 of them),
// run on the GEMM micro-kernel over operands the transforms write already packed.
#include "ops/winograd.h"

#include <algorithm>
#include <atomic>

#include "ops/aligned_buffer.h"
#include "ops/gemm_kernel.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

constexpr size_t L = 8;    // SIMD lanes: 8 tiles (input, output transforms) or 8 input channels (filter)
constexpr size_t XI = 36;  // transform points per tile (6×6)
static_assert(NR == 2 * L, "a B panel holds two lane groups of tiles");
// Tiles per block: the block's packed transformed inputs (36·C floats per tile) stay within about
// this many bytes, so the GEMMs find them in cache.
constexpr size_t kBlockBytes = size_t(6) << 20;
// Transformed filters up to this size are computed once per call; larger ones (deep layers, which
// have few tiles) are computed per output-channel panel inside the task that uses them.
constexpr size_t kSharedFilterBytes = size_t(4) << 20;
// Narrower layers gain little over im2col + GEMM (the transforms dominate).
constexpr size_t kMinChannels = 16;

std::atomic<bool> enabled{true};
thread_local AlignedBuffer u_shared, v_buffer;
thread_local AlignedBuffer u_task, m_task;  // per pool thread

struct Plan {
  size_t th, tw, per_sample, tiles;  // tile grid
  size_t block, panels;              // tiles per block, NR-tile panels per block
  size_t opanels;                    // MR-row panels of output channels
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

// Packed U for output-channel panels [p0, p1) of a buffer holding `np` panels from panel `first`:
// u[(ξ·np + p − first)·C·MR + c·MR + i] = (G g Gᵀ)[ξ] of o = p·MR + i (zero rows past O), so each
// (ξ, panel) is an A panel for the micro-kernel.
[[gnu::always_inline]] inline void filter_body(const Conv2dArgs& a, size_t p0, size_t p1, size_t first, size_t np,
                                               float* u) {
  alignas(32) float g[9 * L], t[18 * L], r[XI * L];
  for (size_t p = p0; p < p1; p++) {
    for (size_t i = 0; i < MR; i++) {
      size_t o = p * MR + i;
      for (size_t c0 = 0; c0 < a.c; c0 += L) {
        size_t lanes = o < a.o ? std::min(L, a.c - c0) : 0;
        for (size_t l = 0; l < L; l++)
          for (size_t k = 0; k < 9; k++) g[k * L + l] = l < lanes ? a.weight[(o * a.c + c0 + l) * 9 + k] : 0.f;
        for (size_t j = 0; j < 3; j++) g_1d(g + j * L, 3 * L, t + j * L, 3 * L);
        for (size_t k = 0; k < 6; k++) g_1d(t + k * 3 * L, L, r + k * 6 * L, L);
        size_t cl = std::min(L, a.c - c0);
        for (size_t x = 0; x < XI; x++) {
          float* dst = u + ((x * np + p - first) * a.c + c0) * MR + i;
          for (size_t l = 0; l < cl; l++) dst[l * MR] = r[x * L + l];
        }
      }
    }
  }
}

// Packed V for channels [c0, c1) of the block's tiles [t0, t0 + cnt): v[(ξ·P + q)·C·NR + c·NR + j]
// = (Bᵀ d B)[ξ] of tile t0 + q·NR + j (zero past cnt), so each (ξ, panel q) is a B panel.
[[gnu::always_inline]] inline void input_body(const Conv2dArgs& a, const Plan& pl, size_t c0, size_t c1, size_t t0,
                                              size_t cnt, float* v) {
  alignas(32) float d[XI * L], t[XI * L], r[XI * L];
  const long h = long(a.h), w = long(a.w);
  size_t padded = (cnt + NR - 1) / NR * NR, panels = padded / NR;
  for (size_t c = c0; c < c1; c++) {
    for (size_t g0 = 0; g0 < padded; g0 += L) {
      size_t lanes = g0 < cnt ? std::min(L, cnt - g0) : 0;
      for (size_t l = 0; l < L; l++) {
        if (l >= lanes) {
          for (size_t k = 0; k < XI; k++) d[k * L + l] = 0.f;
          continue;
        }
        size_t tile = t0 + g0 + l, s = tile / pl.per_sample, rem = tile % pl.per_sample;
        long y0 = long(rem / pl.tw) * 4 - long(a.ph), x0 = long(rem % pl.tw) * 4 - long(a.pw);
        const float* plane = a.x + (s * a.c + c) * a.h * a.w;
        if (y0 >= 0 && x0 >= 0 && y0 + 6 <= h && x0 + 6 <= w) {
          const float* src = plane + y0 * w + x0;
          for (size_t i = 0; i < 6; i++)
            for (size_t j = 0; j < 6; j++) d[(i * 6 + j) * L + l] = src[i * w + j];
        } else {
          for (long i = 0; i < 6; i++)
            for (long j = 0; j < 6; j++) {
              long y = y0 + i, x = x0 + j;
              d[(i * 6 + j) * L + l] = (y >= 0 && y < h && x >= 0 && x < w) ? plane[y * w + x] : 0.f;
            }
        }
      }
      for (size_t j = 0; j < 6; j++) bt_1d(d + j * L, 6 * L, t + j * L, 6 * L);
      for (size_t k = 0; k < 6; k++) bt_1d(t + k * 6 * L, L, r + k * 6 * L, L);
      float* dst = v + ((g0 / NR) * a.c + c) * NR + g0 % NR;
      for (size_t x = 0; x < XI; x++)
        for (size_t l = 0; l < L; l++) dst[x * panels * a.c * NR + l] = r[x * L + l];
    }
  }
}

// Output channel o of `lanes` tiles from tile `first` on: y = epilogue(Aᵀ m A + bias) with
// m[ξ] = src[ξ·xs + l].
// Adds NaN to *check when a value is NaN or ±Inf.
[[gnu::always_inline]] inline void output_body(const Conv2dArgs& a, const Plan& pl, size_t o, size_t first,
                                               size_t lanes, const float* src, size_t xs, float* check) {
  alignas(32) float in[XI * L], t[24 * L], r[16 * L];
  for (size_t x = 0; x < XI; x++)
    for (size_t l = 0; l < L; l++) in[x * L + l] = src[x * xs + l];
  for (size_t j = 0; j < 6; j++) at_1d(in + j * L, 6 * L, t + j * L, 6 * L);
  for (size_t i = 0; i < 4; i++) at_1d(t + i * 6 * L, L, r + i * 4 * L, L);
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
  for (size_t l = 0; l < lanes; l++) {
    size_t tile = first + l, s = tile / pl.per_sample, rem = tile % pl.per_sample;
    size_t oy = (rem / pl.tw) * 4, ox = (rem % pl.tw) * 4;
    size_t hh = std::min<size_t>(4, a.oh - oy), ww = std::min<size_t>(4, a.ow - ox);
    size_t at = ((s * a.o + o) * a.oh + oy) * a.ow + ox;
    float* dst = a.y + at;
    if (ep.residual != nullptr) {  // + residual, then the ReLU
      const float* res = ep.residual + at;
      for (size_t i = 0; i < hh; i++)
        for (size_t j = 0; j < ww; j++) {
          float v = r[(i * 4 + j) * L + l] + res[i * a.ow + j];
          dst[i * a.ow + j] = ep.relu && v < 0.f ? 0.f : v;
        }
      continue;
    }
    for (size_t i = 0; i < hh; i++)
      for (size_t j = 0; j < ww; j++) dst[i * a.ow + j] = r[(i * 4 + j) * L + l];
  }
}

using FilterFn = void (*)(const Conv2dArgs&, size_t, size_t, size_t, size_t, float*);
using InputFn = void (*)(const Conv2dArgs&, const Plan&, size_t, size_t, size_t, size_t, float*);
using OutputFn = void (*)(const Conv2dArgs&, const Plan&, size_t, size_t, size_t, const float*, size_t, float*);

void filter_generic(const Conv2dArgs& a, size_t p0, size_t p1, size_t first, size_t np, float* u) {
  filter_body(a, p0, p1, first, np, u);
}
void input_generic(const Conv2dArgs& a, const Plan& pl, size_t c0, size_t c1, size_t t0, size_t cnt, float* v) {
  input_body(a, pl, c0, c1, t0, cnt, v);
}
void output_generic(const Conv2dArgs& a, const Plan& pl, size_t o, size_t first, size_t lanes, const float* src,
                    size_t xs, float* check) {
  output_body(a, pl, o, first, lanes, src, xs, check);
}

#if defined(__x86_64__) || defined(__i386__)
// The same bodies compiled for AVX2 + FMA (the lane loops become 8-wide vector code).
__attribute__((target("avx2,fma"))) void filter_avx2(const Conv2dArgs& a, size_t p0, size_t p1, size_t first,
                                                      size_t np, float* u) {
  filter_body(a, p0, p1, first, np, u);
}
__attribute__((target("avx2,fma"))) void input_avx2(const Conv2dArgs& a, const Plan& pl, size_t c0, size_t c1,
                                                     size_t t0, size_t cnt, float* v) {
  input_body(a, pl, c0, c1, t0, cnt, v);
}
__attribute__((target("avx2,fma"))) void output_avx2(const Conv2dArgs& a, const Plan& pl, size_t o, size_t first,
                                                      size_t lanes, const float* src, size_t xs, float* check) {
  output_body(a, pl, o, first, lanes, src, xs, check);
}
#endif

struct Kernels {
  FilterFn filter = filter_generic;
  InputFn input = input_generic;
  OutputFn output = output_generic;
  MicroKernel micro = micro_kernel();
};

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

// One task: output-channel panels [p0, p1) × tile panels [q0, q1) of the block at t0 (cnt tiles).
// M[ξ][p][q] = U[ξ][p] · V[ξ][q] by the micro-kernel into a scratch tile grid, then the output
// transform. `u` holds panels [p0, p1) when `u_first` is p0 (per-task filters), else all panels.
bool run_task(const Conv2dArgs& a, const Plan& pl, const Kernels& kn, const float* u, size_t u_first, size_t u_panels,
              const float* v, size_t t0, size_t cnt, size_t p0, size_t p1, size_t q0, size_t q1) {
  size_t np = p1 - p0, nq = q1 - q0, tile = MR * NR;
  float* m = m_task.get(XI * np * nq * tile);
  for (size_t x = 0; x < XI; x++)
    for (size_t q = q0; q < q1; q++) {
      const float* bp = v + ((x * pl.panels + q) * a.c) * NR;
      for (size_t p = p0; p < p1; p++) {
        const float* ap = u + ((x * u_panels + p - u_first) * a.c) * MR;
        kn.micro(a.c, ap, bp, m + ((x * np + p - p0) * nq + q - q0) * tile, NR, false);
      }
    }
  float check[L] = {};
  size_t xs = np * nq * tile;
  for (size_t p = p0; p < p1; p++)
    for (size_t i = 0; i < MR && p * MR + i < a.o; i++)
      for (size_t q = q0; q < q1; q++)
        for (size_t half = 0; half < NR; half += L) {
          size_t g0 = q * NR + half;
          if (g0 >= cnt) break;
          const float* src = m + ((p - p0) * nq + q - q0) * tile + i * NR + half;
          kn.output(a, pl, p * MR + i, t0 + g0, std::min(L, cnt - g0), src, xs, check);
        }
  float all = 0.f;
  for (size_t l = 0; l < L; l++) all += check[l];
  return all == 0.f;
}

}  // namespace

void set_winograd_enabled(bool on) { enabled.store(on); }
bool winograd_enabled() { return enabled.load(); }

bool winograd_applies(const Conv2dArgs& a) {
  return enabled.load() && a.groups == 1 && a.kh == 3 && a.kw == 3 && a.sh == 1 && a.sw == 1 && a.dh == 1 &&
         a.dw == 1 && a.c >= kMinChannels && a.o >= kMinChannels && a.oh > 0 && a.ow > 0 && a.n > 0;
}

bool conv2d_winograd(const Conv2dArgs& a) {
  Kernels kn = pick_kernels();
  Plan pl{};
  pl.th = (a.oh + 3) / 4;
  pl.tw = (a.ow + 3) / 4;
  pl.per_sample = pl.th * pl.tw;
  pl.tiles = a.n * pl.per_sample;
  size_t fit = std::max<size_t>(1, kBlockBytes / (XI * a.c * sizeof(float) * NR)) * NR;
  size_t blocks = (pl.tiles + fit - 1) / fit;
  pl.block = ((pl.tiles + blocks - 1) / blocks + NR - 1) / NR * NR;  // equal blocks, whole panels
  pl.panels = pl.block / NR;
  pl.opanels = (a.o + MR - 1) / MR;
  bool shared = blocks > 1 || XI * pl.opanels * MR * a.c * sizeof(float) <= kSharedFilterBytes;

  size_t pg = shared ? 4 : 1, qg = shared ? 4 : pl.panels;  // task: pg output panels × qg tile panels
  size_t ptasks = (pl.opanels + pg - 1) / pg, qtasks = (pl.panels + qg - 1) / qg;

  float* u = nullptr;
  if (shared) {
    u = u_shared.get(XI * pl.opanels * MR * a.c);
    parallel_for(pl.opanels, 1, [&](size_t b, size_t e) { kn.filter(a, b, e, 0, pl.opanels, u); });
  }
  float* v = v_buffer.get(XI * pl.panels * NR * a.c);
  std::atomic<bool> finite{true};
  for (size_t t0 = 0; t0 < pl.tiles; t0 += pl.block) {
    size_t cnt = std::min(pl.block, pl.tiles - t0);
    parallel_for(a.c, 1, [&](size_t b, size_t e) { kn.input(a, pl, b, e, t0, cnt, v); });
    size_t panels = (cnt + NR - 1) / NR;
    parallel_for(ptasks * qtasks, 1, [&](size_t b, size_t e) {
      for (size_t task = b; task < e; task++) {
        size_t p0 = (task / qtasks) * pg, q0 = (task % qtasks) * qg;
        size_t p1 = std::min(pl.opanels, p0 + pg), q1 = std::min(panels, q0 + qg);
        if (q0 >= q1) continue;
        bool ok;
        if (shared) {
          ok = run_task(a, pl, kn, u, 0, pl.opanels, v, t0, cnt, p0, p1, q0, q1);
        } else {
          float* ut = u_task.get(XI * (p1 - p0) * MR * a.c);
          kn.filter(a, p0, p1, p0, p1 - p0, ut);
          ok = run_task(a, pl, kn, ut, p0, p1 - p0, v, t0, cnt, p0, p1, q0, q1);
        }
        if (!ok) finite.store(false);
      }
    });
  }
  return finite.load();
}

}  // namespace ctl
