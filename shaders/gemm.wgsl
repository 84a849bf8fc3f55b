// C[M,N] = A[M,K] · B[K,N] (+ bias[N]); TRANS_B: B stored as [N,K]
// 64×64 output tile per workgroup of 16×16 threads, 4×4 outputs per thread, K in steps of 16
// through workgroup-shared tiles; out-of-range tile entries load as 0.
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
struct Params { m: u32, n: u32, k: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<f32, 1024>; // [BK][BM]
var<workgroup> tileB: array<f32, 1024>; // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.k; k0 += BK) {
    for (var e = 0u; e < 4u; e++) {
      let idx = tid + e * 256u;
      let ar = idx / BK;
      let ak = idx % BK;
      var av = 0.0;
      if (row0 + ar < p.m && k0 + ak < p.k) { av = a[(row0 + ar) * p.k + k0 + ak]; }
      tileA[ak * BM + ar] = av;
      var bv = 0.0;
      if (TRANS_B) {
        let bc = idx / BK;
        let bk = idx % BK;
        if (col0 + bc < p.n && k0 + bk < p.k) { bv = b[(col0 + bc) * p.k + k0 + bk]; }
        tileB[bk * BN + bc] = bv;
      } else {
        let bk = idx / BN;
        let bc = idx % BN;
        if (col0 + bc < p.n && k0 + bk < p.k) { bv = b[(k0 + bk) * p.n + col0 + bc]; }
        tileB[bk * BN + bc] = bv;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var ra: array<f32, 4>;
      var rb: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        ra[i] = tileA[kk * BM + lid.y + i * 16u];
        rb[i] = tileB[kk * BN + lid.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] += ra[i] * rb[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + i * 16u;
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + j * 16u;
      if (r < p.m && col < p.n) {
        var v = acc[i * 4u + j];
        if (HAS_BIAS) { v += bias[col]; }
        c[r * p.n + col] = v;
      }
    }
  }
}
