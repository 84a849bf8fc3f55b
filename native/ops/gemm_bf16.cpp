// The BF16 GEMM driver: B packed into 32-column panels of BF16 k pairs, A into 12-row panels, the
// 12×32 AVX512-BF16 tile (gemm_bf16_avx512.cpp); the blocking and the work split follow gemm.cpp.
#include "ops/gemm_bf16.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ops/aligned_buffer.h"
#include "ops/gemm_bf16_isa.h"
#include "ops/gemm_split.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

namespace ctl {
namespace {

std::atomic<Compute> mode{Compute::f32};

}  // namespace

void set_compute(Compute m) {
  if (m == Compute::bf16) {
    if (!cpu_features().avx512_bf16)
      throw std::runtime_error("bf16 needs AVX512-BF16 (vdpbf16ps), which this CPU lacks; use f32");
    if (active_isa() < Isa::avx512)
      throw std::runtime_error(std::string("bf16 needs the avx512 kernel level, but the kernels run at ") +
                               isa_name(active_isa()) + " (CTLKIT_ISA or setIsa); use f32");
  }
  mode.store(m);
}

bool use_bf16_gemm(const GemmArgs& g) {
  return mode.load(std::memory_order_relaxed) == Compute::bf16 && active_isa() >= Isa::avx512 && g.b_source == nullptr &&
         g.c_group == 0;
}

#if defined(__x86_64__) || defined(__i386__)
namespace {

constexpr size_t TR = BF16_TILE_ROWS, TC = BF16_TILE_COLS;
// A block 144 rows × 512 k (144 KiB of BF16) in L2, a B panel 512 k × 32 columns (32 KiB) streaming
// through L1, packed B 512 × 3072 (3 MiB) in L3: the float32 AVX-512 blocking at half the bytes.
constexpr size_t MC_MAX = 144, KC = 512, NC = 3072;

thread_local AlignedBuffer a_pack, b_pack;

uint32_t* words(AlignedBuffer& buf, size_t n) { return reinterpret_cast<uint32_t*>(buf.get(n)); }

// Packed B panels [panel_begin, panel_end) of the column block from j0, depth [pc, pc + kc).
void pack_b(const GemmArgs& g, size_t pc, size_t kc, size_t j0, size_t panel_begin, size_t panel_end, uint32_t* bp) {
  const size_t kc2 = (kc + 1) / 2;
  for (size_t q = panel_begin; q < panel_end; q++) {
    size_t col = j0 + q * TC, w = std::min(TC, g.n - col);
    uint32_t* dst = bp + q * kc2 * TC;
    if (g.trans_b) bf16_pack_k_rows(g.b + col * g.ldb + pc, g.ldb, w, TC, kc, dst);
    else bf16_pack_k_cols(g.b + pc * g.ldb + col, g.ldb, w, kc, dst);
  }
}

// The C tiles of rows [i0, i0 + mc) × B panels [q0, q1) of the column block from j0, one depth slice.
// bias: the first slice of a GEMM with g.bias (each tile gets the bias just before its kernel).
void macro_kernel(const GemmArgs& g, const uint32_t* ap, const uint32_t* bp, size_t i0, size_t mc, size_t j0, size_t q0,
                  size_t q1, size_t kc2, bool acc, bool bias) {
  for (size_t q = q0; q < q1; q++) {
    size_t col = j0 + q * TC, w = std::min(TC, g.n - col);
    for (size_t r = 0; r < mc; r += TR) {
      size_t i = i0 + r, h = std::min(TR, g.m - i);
      bool a = acc;
      if (bias) {
        bias_tile(g, i, h, col, w);
        a = true;
      }
      float* c = g.c + i * g.ldc + col;
      if (h == TR && w == TC) {
        bf16_tile_avx512(kc2, ap + r * kc2, bp + q * kc2 * TC, c, g.ldc, a);
        continue;
      }
      alignas(64) float tmp[TR * TC];
      bf16_tile_avx512(kc2, ap + r * kc2, bp + q * kc2 * TC, tmp, TC, false);
      for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) c[y * g.ldc + x] = a ? c[y * g.ldc + x] + tmp[y * TC + x] : tmp[y * TC + x];
    }
  }
}

}  // namespace

// For each NC column block and KC depth slice: pack B once, then tasks (MC row block × column chunk)
// pack their A block and run the tile over it.
void gemm_bf16(const GemmArgs& g) {
  size_t threads = usable_threads();
  const RowBlocks rb = row_blocks(g.m, TR, MC_MAX, threads);
  size_t n_pc = (g.k + KC - 1) / KC, kc_step = ((g.k + n_pc - 1) / n_pc + 1) / 2 * 2;  // even: slices start on a pair
  uint32_t* bp = words(b_pack, (KC / 2) * NC);
  for (size_t jc = 0; jc < g.n; jc += NC) {
    size_t nc = std::min(NC, g.n - jc), panels = (nc + TC - 1) / TC, chunks;
    size_t per_chunk = column_chunks(panels, rb.count, threads, 1, &chunks);
    for (size_t pc = 0; pc < g.k; pc += kc_step) {
      size_t kc = std::min(kc_step, g.k - pc), kc2 = (kc + 1) / 2;
      bool acc = g.accumulate || pc > 0;
      parallel_for(panels, std::max<size_t>(1, panels / (2 * threads)),
                   [&](size_t b, size_t e) { pack_b(g, pc, kc, jc, b, e, bp); });
      parallel_for(rb.count * chunks, 1, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; t++) {
          size_t ib = t / chunks, ic = rb.row(ib), q0 = (t % chunks) * per_chunk;
          size_t mc = rb.row(ib + 1) - ic, q1 = std::min(panels, q0 + per_chunk);
          uint32_t* ap = words(a_pack, rb.max_rows * (KC / 2));
          for (size_t r = 0; r < mc; r += TR)
            bf16_pack_k_rows(g.a + (ic + r) * g.lda + pc, g.lda, std::min(TR, mc - r), TR, kc, ap + r * kc2);
          macro_kernel(g, ap, bp, ic, mc, jc, q0, q1, kc2, acc, g.bias && pc == 0);
        }
      });
    }
  }
}
#else
void gemm_bf16(const GemmArgs&) { throw std::runtime_error("bf16 needs an x86 CPU with AVX512-BF16"); }
#endif

}  // namespace ctl
