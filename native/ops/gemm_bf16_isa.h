// The AVX512-BF16 GEMM's packing and register tile (gemm_bf16_avx512.cpp, compiled with the
// AVX512-BF16 flags); only gemm_bf16.cpp calls them, after checking the CPU. Packed operands hold BF16
// pairs along k: one uint32 = (low half) X(·, 2p) and (high half) X(·, 2p + 1), rounded to nearest even.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctl {

// The register tile: BF16_TILE_ROWS × BF16_TILE_COLS of C per kernel call.
constexpr size_t BF16_TILE_ROWS = 12, BF16_TILE_COLS = 32;

// dst[p·width + r] = (bf16 src[r·ld + 2p], bf16 src[r·ld + 2p + 1]) for r < rows, p < ⌈kc/2⌉; zero for
// rows ≥ rows (up to width) and for the missing second half of an odd kc: rows with k contiguous
// (A, or Bᵀ when trans_b).
void bf16_pack_k_rows(const float* src, size_t ld, size_t rows, size_t width, size_t kc, uint32_t* dst);

// dst[p·32 + j] = (bf16 src[2p·ld + j], bf16 src[(2p + 1)·ld + j]) for j < cols, p < ⌈kc/2⌉; zero for
// columns ≥ cols and the missing row of an odd kc: a 32-column panel of a row-major B.
void bf16_pack_k_cols(const float* src, size_t ld, size_t cols, size_t kc, uint32_t* dst);

// C[12, 32] (+)= Σ_p ap[p, 0:12]ᵀ · bp[p, 0:32] over kc2 k pairs (vdpbf16ps: each lane adds both
// products of a pair, in float32); ap packed [kc2][12], bp [kc2][32]; C rows ldc apart.
void bf16_tile_avx512(size_t kc2, const uint32_t* ap, const uint32_t* bp, float* c, size_t ldc, bool acc);

}  // namespace ctl
