// GEMM in the BLIS style: B packed into KC×NR panels, A into MR×KC panels, the ISA's register tile
// (MR×NR, or several panels of each at once: gemm_kernel.h).
#include "ops/gemm.h"

#include <algorithm>
#include <cstring>

#include "ops/aligned_buffer.h"
#include "ops/gemm_bf16.h"
#include "ops/gemm_kernel.h"
#include "ops/gemm_split.h"
#include "ops/simd_math.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ctl {
namespace {

#if defined(__x86_64__) || defined(__i386__)
static_assert(NR == 16, "pack_bt_panel_avx2 fills 16-column panels");
// dst[p·16 + j] = src[j·lds + p] for j < 16 and p up to a multiple of 8 of kc (returned; the caller
// packs the rest): a panel of Bᵀ rows, two 8×8 blocks per 8 depths
__attribute__((target("avx2,fma"))) size_t pack_bt_panel_avx2(const float* src, size_t lds, size_t kc, float* dst) {
  size_t p = 0;
  for (; p + 8 <= kc; p += 8)
    for (size_t h = 0; h < NR; h += 8) {  // rows h..h+7 of the panel: columns h..h+7 of its depths p..p+7
      __m256 r[8], c[8];
      for (size_t i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (h + i) * lds + p);
      transpose8_avx2(r, c);
      for (size_t j = 0; j < 8; j++) _mm256_storeu_ps(dst + (p + j) * NR + h, c[j]);
    }
  return p;
}
#endif

// Bp[panel][p][j] = B(pc + p, j0 + panel·NR + j), zero beyond column n. Each source row (B) or
// column (Bᵀ) is read in order and each panel line written whole: rows of B are ldb apart, so reading
// a panel's 16 columns row after row would touch a new page per line.
void pack_b(const GemmArgs& g, size_t pc, size_t kc, size_t j0, size_t panel_begin, size_t panel_end, float* bp) {
  size_t full_end = panel_begin;  // panels [panel_begin, full_end) have all NR columns inside n
  while (full_end < panel_end && j0 + (full_end + 1) * NR <= g.n) full_end++;
  if (!g.trans_b) {
    for (size_t p = 0; p < kc; p++) {
      const float* src = g.b + (pc + p) * g.ldb + j0;
      for (size_t q = panel_begin; q < full_end; q++) std::memcpy(bp + (q * kc + p) * NR, src + q * NR, NR * sizeof(float));
    }
  } else {
    [[maybe_unused]] const bool simd = use_avx2_fma();
    for (size_t q = panel_begin; q < full_end; q++) {
      const float* src = g.b + (j0 + q * NR) * g.ldb + pc;
      float* dst = bp + q * kc * NR;
      size_t p = 0;
#if defined(__x86_64__) || defined(__i386__)
      if (simd) p = pack_bt_panel_avx2(src, g.ldb, kc, dst);
#endif
      for (; p < kc; p++)
        for (size_t j = 0; j < NR; j++) dst[p * NR + j] = src[j * g.ldb + p];
    }
  }
  for (size_t q = full_end; q < panel_end; q++) {  // the last, partial panel
    float* dst = bp + q * kc * NR;
    size_t col = j0 + q * NR, w = g.n > col ? std::min(NR, g.n - col) : 0;
    for (size_t p = 0; p < kc; p++)
      for (size_t j = 0; j < NR; j++)
        dst[p * NR + j] = j >= w ? 0.f : g.trans_b ? g.b[(col + j) * g.ldb + pc + p] : g.b[(pc + p) * g.ldb + col + j];
  }
}

#if defined(__x86_64__) || defined(__i386__)
static_assert(MR == 6, "pack_panel_avx2 transposes 6-row panels");
// dst[p·6 + i] = src[i·lda + p] for p < kc, i < 6: 6×8 blocks transposed in registers as 8×8 with two
// zero rows; column j goes out as 8 floats at dst + 6(p + j), its 2 zeros overwritten by column j + 1
// (the last column of a block: a 6-lane masked store)
__attribute__((target("avx2,fma"))) void pack_panel_avx2(const float* src, size_t lda, size_t kc, float* dst) {
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  size_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8], c[8];
    for (size_t i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(src + i * lda + p);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8_avx2(r, c);
    float* d = dst + p * MR;
    for (size_t j = 0; j < 7; j++) _mm256_storeu_ps(d + j * MR, c[j]);
    _mm256_maskstore_ps(d + 7 * MR, six, c[7]);
  }
  for (; p < kc; p++)
    for (size_t i = 0; i < MR; i++) dst[p * MR + i] = src[i * lda + p];
}
#endif

// Ap[panel][p][i] = A(i0 + panel·MR + i, pc + p), zero beyond row m; written in order, MR rows read
// side by side.
void pack_a(const GemmArgs& g, size_t i0, size_t mc, size_t pc, size_t kc, float* ap) {
  [[maybe_unused]] const bool simd = use_avx2_fma();
  for (size_t r = 0; r < mc; r += MR) {
    float* dst = ap + r * kc;
    size_t h = std::min(MR, mc - r);
    const float* src = g.a + (i0 + r) * g.lda + pc;
#if defined(__x86_64__) || defined(__i386__)
    if (h == MR && simd) {
      pack_panel_avx2(src, g.lda, kc, dst);
      continue;
    }
#endif
    if (h == MR) {
      for (size_t p = 0; p < kc; p++)
        for (size_t i = 0; i < MR; i++) dst[p * MR + i] = src[i * g.lda + p];
    } else {
      for (size_t p = 0; p < kc; p++)
        for (size_t i = 0; i < MR; i++) dst[p * MR + i] = i < h ? src[i * g.lda + p] : 0.f;
    }
  }
}

// One MR×NR tile at C(i, col) from A panel ar and B panel bq: h rows and w columns of it are real.
// bias: add g.bias to the tile first (the first depth slice).
inline void narrow_tile(const GemmArgs& g, MicroKernel kern, const float* ar, const float* bq, size_t i, size_t col,
                        size_t kc, bool acc, bool bias) {
  size_t h = std::min(MR, g.m - i), w = std::min(NR, g.n - col);
  if (bias) {
    bias_tile(g, i, h, col, w);
    acc = true;
  }
  float* c = c_at(g, i, col);
  if (h == MR && w == NR) return kern(kc, ar, bq, c, g.ldc, acc);
  alignas(64) float tmp[MR * NR];
  kern(kc, ar, bq, tmp, NR, false);
  for (size_t r = 0; r < h; r++)
    for (size_t j = 0; j < w; j++) c[r * g.ldc + j] = acc ? c[r * g.ldc + j] + tmp[r * NR + j] : tmp[r * NR + j];
}

// Whether columns [col, col + w) of C are contiguous (inside one column group).
inline bool contiguous(const GemmArgs& g, size_t col, size_t w) { return !g.c_group || col % g.c_group + w <= g.c_group; }

// C block rows [i0, i0+mc), panels [q0, q1) of the packed B (columns from j0), depth kc. Full tiles of
// the ISA's wide kernel (AP A panels × BP B panels) where they fit, MR×NR tiles elsewhere. bias: the
// first depth slice of a GEMM with g.bias (each tile gets the bias just before its kernel).
void macro_kernel(const GemmArgs& g, const GemmKernels& kn, const float* ap, const float* bp, size_t i0, size_t mc,
                  size_t j0, size_t q0, size_t q1, size_t kc, bool acc, bool bias) {
  const size_t AP = kn.a_panels, BP = kn.b_panels, wide_h = AP * MR, wide_w = BP * NR;
  for (size_t q = q0; q < q1;) {
    size_t col = j0 + q * NR;
    const float* bq = bp + q * kc * NR;
    if (kn.wide && q + BP <= q1 && col + wide_w <= g.n && contiguous(g, col, wide_w)) {
      size_t r = 0;
      for (; r + wide_h <= mc && i0 + r + wide_h <= g.m; r += wide_h) {
        if (bias) bias_tile(g, i0 + r, wide_h, col, wide_w);
        kn.wide(kc, ap + r * kc, MR * kc, bq, kc * NR, c_at(g, i0 + r, col), g.ldc, acc || bias);
      }
      for (; r < mc; r += MR) {
        if (BP == 2 && kn.strip2 && i0 + r + MR <= g.m) {  // a whole A panel: one MR×2NR strip
          if (bias) bias_tile(g, i0 + r, MR, col, wide_w);
          kn.strip2(kc, ap + r * kc, bq, kc * NR, c_at(g, i0 + r, col), NR, g.ldc, acc || bias);
          continue;
        }
        for (size_t b = 0; b < BP; b++)
          narrow_tile(g, kn.micro, ap + r * kc, bq + b * kc * NR, i0 + r, col + b * NR, kc, acc, bias);
      }
      q += BP;
    } else {  // a last panel, or a pair split by a column group: MR×NR tiles
      for (size_t r = 0; r < mc; r += MR) narrow_tile(g, kn.micro, ap + r * kc, bq, i0 + r, col, kc, acc, bias);
      q++;
    }
  }
}

thread_local AlignedBuffer a_pack, b_pack, a_whole;

// Bytes of B panels a streamed task packs at a time (they stay in L2 while every A block runs over them).
constexpr size_t kStreamBytes = size_t(128) << 10;

// C = A·B with B from a BPanelSource (implicit GEMM: B is as large as the image, while A, the
// filters, is small and reused). A is packed once, shared by all tasks; each task packs a few B
// panels and runs every A block over them right away, so packed B never leaves the task's cache and
// no pass waits for a whole B block to be packed. The depth slices run inside the task.
void gemm_streamed_b(const GemmArgs& g, const GemmKernels& kern, const RowBlocks& rb, size_t kc_step) {
  size_t n_pc = (g.k + kc_step - 1) / kc_step;
  size_t a_slice = rb.count * rb.max_rows * kc_step;  // floats of one packed depth slice of A (≥ m · kc_step)
  float* ap_all = a_whole.get(n_pc * a_slice);
  parallel_for(n_pc * rb.count, 1, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; t++) {
      size_t s = t / rb.count, ib = t % rb.count, ic = rb.row(ib), pc = s * kc_step;
      pack_a(g, ic, rb.row(ib + 1) - ic, pc, std::min(kc_step, g.k - pc), ap_all + s * a_slice + ic * kc_step);
    }
  });
  size_t panels = (g.n + NR - 1) / NR, threads = usable_threads();
  size_t per_task = std::max<size_t>(1, kStreamBytes / (kc_step * NR * sizeof(float)));
  per_task = std::max<size_t>(1, std::min(per_task, panels / (4 * threads)));
  per_task = (per_task + kern.b_panels - 1) / kern.b_panels * kern.b_panels;  // whole wide tiles
  size_t tasks = (panels + per_task - 1) / per_task;
  parallel_for(tasks, 1, [&](size_t b, size_t e) {
    float* bp = b_pack.get(per_task * kc_step * NR);
    for (size_t t = b; t < e; t++) {
      size_t q0 = t * per_task, q1 = std::min(panels, q0 + per_task);
      for (size_t s = 0; s < n_pc; s++) {
        size_t pc = s * kc_step, kc = std::min(kc_step, g.k - pc);
        for (size_t q = q0; q < q1; q++) g.b_source->pack(pc, kc, q * NR, bp + (q - q0) * kc * NR);
        for (size_t ib = 0; ib < rb.count; ib++) {
          size_t ic = rb.row(ib);
          macro_kernel(g, kern, ap_all + s * a_slice + ic * kc_step, bp, ic, rb.row(ib + 1) - ic, q0 * NR, 0, q1 - q0, kc,
                       g.accumulate || s > 0, g.bias && s == 0);
        }
      }
    }
  });
}

}  // namespace

// C = A·B: for each NC column block and KC depth slice, pack B once, then tasks (MC row block ×
// column chunk) pack their A block and run the micro-kernel over it.
void gemm(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    for (size_t i = 0; i < g.m; i++)
      for (size_t j = 0; j < g.n; j++) {
        float* c = c_at(g, i, j);
        *c = (g.accumulate ? *c : 0.f) + (g.bias ? g.bias[j] : 0.f);
      }
    return;
  }
  if (use_bf16_gemm(g)) return gemm_bf16(g);  // setCompute('bf16')
  const GemmKernels& kern = gemm_kernels();
  const size_t MC_MAX = kern.mc_max, KC = kern.kc, NC = kern.nc;
  size_t threads = usable_threads();  // 1 when inline: one chunk, so each A block is packed once
  const RowBlocks rb = row_blocks(g.m, MR * kern.a_panels, MC_MAX, threads);
  // depth slices of equal size (576 = 2 × 288, not 512 + 64: a short last slice runs the micro-kernel
  // on a few iterations per C tile load and store)
  size_t n_pc = (g.k + KC - 1) / KC, kc_step = (g.k + n_pc - 1) / n_pc;
  if (g.b_source != nullptr) return gemm_streamed_b(g, kern, rb, kc_step);
  float* bp = b_pack.get(KC * NC);
  for (size_t jc = 0; jc < g.n; jc += NC) {
    size_t nc = std::min(NC, g.n - jc);
    size_t panels = (nc + NR - 1) / NR, chunks;
    size_t per_chunk = column_chunks(panels, rb.count, threads, kern.b_panels, &chunks);
    for (size_t pc = 0; pc < g.k; pc += kc_step) {
      size_t kc = std::min(kc_step, g.k - pc);
      bool acc = g.accumulate || pc > 0;
      parallel_for(panels, std::max<size_t>(1, panels / (2 * threads)),
                   [&](size_t b, size_t e) { pack_b(g, pc, kc, jc, b, e, bp); });
      parallel_for(rb.count * chunks, 1, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; t++) {
          size_t ib = t / chunks, ic = rb.row(ib), q0 = (t % chunks) * per_chunk;
          size_t mc = rb.row(ib + 1) - ic, q1 = std::min(panels, q0 + per_chunk);
          float* ap = a_pack.get(rb.max_rows * KC);
          pack_a(g, ic, mc, pc, kc, ap);
          macro_kernel(g, kern, ap, bp, ic, mc, jc, q0, q1, kc, acc, g.bias && pc == 0);
        }
      });
    }
  }
}

}  // namespace ctl
