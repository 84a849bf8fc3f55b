// Data movement: embedding lookup, transposes, token insert/select.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctl {

// y[i, :] = table[ids[i], :]; throws std::out_of_range naming the id when ids[i] ∉ [0, vocab)
void embedding(size_t count, const int32_t* ids, size_t vocab, size_t dim, const float* table, float* y);
// y[a, c, b] = x[a, b, c]
void transpose12(size_t na, size_t nb, size_t nc, const float* x, float* y);
// y[n, 0, :] = token; y[n, 1 + t, :] = x[n, t, :]
void prepend_token(size_t n, size_t t, size_t d, const float* x, const float* token, float* y);
// y[n, :] = x[n, index, :]
void select_token(size_t n, size_t t, size_t d, size_t index, const float* x, float* y);

// y[r, off_i + c] = xs[i][r, c] for r < rows, c < widths[i] (concatenation along the last dim)
void concat_last(size_t rows, size_t count, const float* const* xs, const size_t* widths, float* y);

}  // namespace ctl
