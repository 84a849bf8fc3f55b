// Winograd F(4×4, 3×3) (Lavin & Gray 2016): per 4×4 output tile and channel pair,
// Y = Aᵀ[ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ]A with d_c the 6×6 input patch; 36 multiplies per 16
// outputs instead of 144. The Σ_c over all tiles is one GEMM per transform point ξ (36 of them),
// run on the GEMM kernels over operands the transforms write already packed. The SIMD transforms are
// in winograd_avx2.cpp (8 lanes) and winograd_avx512.cpp (16 lanes: a whole B panel of tiles).
#include "ops/winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "ops/aligned_buffer.h"
#include "ops/gemm_kernel.h"
#include "ops/winograd_internal.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {
using namespace wino;  // lanes, strides, tiles, the scalar transforms (winograd_internal.h)

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
// Narrower layers gain little over the implicit GEMM (the transforms dominate).
constexpr size_t kMinChannels = 16;

std::atomic<bool> enabled{true};
thread_local AlignedBuffer u_shared, v_buffer;       // per calling thread
thread_local AlignedBuffer u_task, v_task, m_task;  // per pool thread

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

// Output channel o of `lanes` tiles t[0..lanes) from M (m[ξ] = src[ξ·xs + l]).
[[gnu::always_inline]] inline void output_body(const Conv2dArgs& a, const Tile* t, size_t lanes, size_t o,
                                               const float* src, size_t xs, float* check) {
  alignas(32) float r[16 * L];
  output_values(a, o, src, xs, check, r);
  for (size_t l = 0; l < lanes; l++) store_tile(a, t[l], o, r, l);
}


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


struct Kernels {
  FilterFn filter = filter_generic;
  InputFn input = input_generic;
  OutputFn output = output_generic;
  size_t lanes = L;  // tiles per output call (≤ NR; a divisor of NR)
  const GemmKernels* gemm = &gemm_kernels();
  bool stream = false;  // the SIMD outputs store with non-temporal stores; tasks end with store_fence()
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
  if (use_avx512()) {
    k.filter = filter_avx512;
    k.input = input_avx512;
    k.output = output_avx512;
    k.lanes = NR;
  } else if (use_avx2_fma()) {
    k.filter = filter_avx2;
    k.input = input_avx2;
    k.output = output_avx2;
  }
#endif
  return k;
}

// Floats from one ξ of M to the next for nq tile panels (one MR×NR tile each).
inline size_t m_stride(size_t nq) { return padded(nq * MR * NR); }

// M[ξ][q] (+)= U[ξ] · V[ξ][q] over channels [c0, c1) by the ISA's strip kernels, for nq tile panels:
// U[ξ] at up + ξ·us (packed [c1 − c0][MR]), V[ξ][q] at v + ξ·vs + q·C·NR + c0·NR, M[ξ][q] at
// m + ξ·m_stride(nq) + q·MR·NR.
void gemm_panel(const Conv2dArgs& a, const Kernels& kn, const float* up, size_t us, const float* v, size_t vs,
                size_t nq, size_t c0, size_t c1, float* m, bool acc) {
  for (size_t x = 0; x < XI; x++)
    gemm_strip(*kn.gemm, nq, c1 - c0, up + x * us, v + x * vs + c0 * NR, a.c * NR, m + x * m_stride(nq), MR * NR, NR, acc);
}

// The output transform of panel p's channels for cnt tiles t[0..cnt) from M (as gemm_panel lays it
// out). False when an output is NaN/±Inf.
bool output_panel(const Conv2dArgs& a, const Kernels& kn, const Tile* t, size_t cnt, size_t p, const float* m) {
  size_t nq = (cnt + NR - 1) / NR, tile = MR * NR;
  float check[NR] = {};
  for (size_t i = 0; i < MR && p * MR + i < a.o; i++)
    for (size_t g0 = 0; g0 < cnt; g0 += kn.lanes)
      kn.output(a, t + g0, std::min(kn.lanes, cnt - g0), p * MR + i, m + (g0 / NR) * tile + i * NR + g0 % NR,
                m_stride(nq), check, kn.stream);
  float all = 0.f;
  for (size_t l = 0; l < NR; l++) all += check[l];
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

namespace wino {
Stage stage_tiles(const Conv2dArgs& a, const Tile* t, size_t cnt) {
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
  float* buf = stage_buffer.get(total);
  size_t lanes = (cnt + NR - 1) / NR * NR;
  int* off = reinterpret_cast<int*>(offset_buffer.get(lanes));
  for (size_t i = 0; i < lanes; i++) {
    const Tile& tl = t[i < cnt ? i : 0];
    size_t slot = tl.s - s_first, py = size_t(tl.y0 + long(a.ph)), px = size_t(tl.x0 + long(a.pw));
    off[i] = int(base[slot] + (py - row0[slot]) * width + px);
  }
  std::fill(buf, buf + total, 0.f);  // the padding: the same zeros for every channel
  return {buf, off, s_first, slots, width, row0.data(), rows.data(), base.data()};
}

void stage_channel(const Conv2dArgs& a, const Stage& st, size_t c, size_t c1) {
  for (size_t i = 0; i < st.slots; i++) {
    const float* plane = a.x + ((st.s_first + i) * a.c + c) * a.h * a.w;
    for (size_t rr = 0; rr < st.rows[i]; rr++) {
      long iy = long(st.row0[i] + rr) - long(a.ph);
      if (iy < 0 || iy >= long(a.h)) continue;
      const float* src = plane + size_t(iy) * a.w;
      if (c + kPrefetchChannels < c1)  // the same row a few channels ahead: a plane (often 4 KiB or more) away
        for (size_t b = 0; b < a.w; b += 64 / sizeof(float)) __builtin_prefetch(src + kPrefetchChannels * a.h * a.w + b);
      // an inline copy: deep layers' rows are 4–8 floats, where a library call per row cost more than the copy
      float* dst = st.buf + st.base[i] + rr * st.width + a.pw;
      for (size_t j = 0; j < a.w; j++) dst[j] = src[j];
    }
  }
}
}  // namespace wino

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
