// y[n,o,p] = bias[o] + Σ_r w[o,r] · col[r,p], r = (c,i,j) over C/groups·kh·kw, p = (oh,ow),
// col[r,p] = x[n, g·Cg + c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] (0 outside): implicit GEMM
// per (sample, group) with the tiling of gemm.wgsl (64×64 tile, 16×16 threads, 4×4 outputs each).
override HAS_BIAS: bool = false;
const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
struct Params {
  n0: u32, channels: u32, h: u32, w: u32, outc: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, ph: u32, pw: u32, dh: u32, dw: u32, groups: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> tileA: array<f32, 1024>; // [BK][BM] weights
var<workgroup> tileB: array<f32, 1024>; // [BK][BN] im2col of x

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = p.n0 + wid.z / p.groups;
  let g = wid.z % p.groups;
  let cg = p.channels / p.groups;
  let og = p.outc / p.groups;
  let kk2 = p.kh * p.kw;
  let kdim = cg * kk2;
  let npos = p.oh * p.ow;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let tid = lid.y * 16u + lid.x;
  let xbase = (s * p.channels + g * cg) * p.h * p.w;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < kdim; k0 += BK) {
    for (var e = 0u; e < 4u; e++) {
      let idx = tid + e * 256u;
      let ar = idx / BK;
      let ak = idx % BK;
      var av = 0.0;
      if (row0 + ar < og && k0 + ak < kdim) { av = wt[(g * og + row0 + ar) * kdim + k0 + ak]; }
      tileA[ak * BM + ar] = av;
      let bk = idx / BN;
      let bc = idx % BN;
      var bv = 0.0;
      let r = k0 + bk;
      let pos = col0 + bc;
      if (r < kdim && pos < npos) {
        let c = r / kk2;
        let i = (r % kk2) / p.kw;
        let j = r % p.kw;
        let iy = i32((pos / p.ow) * p.sh + i * p.dh) - i32(p.ph);
        let ix = i32((pos % p.ow) * p.sw + j * p.dw) - i32(p.pw);
        if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
          bv = x[xbase + (c * p.h + u32(iy)) * p.w + u32(ix)];
        }
      }
      tileB[bk * BN + bc] = bv;
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
    let o = row0 + lid.y + i * 16u;
    for (var j = 0u; j < 4u; j++) {
      let pos = col0 + lid.x + j * 16u;
      if (o < og && pos < npos) {
        var v = acc[i * 4u + j];
        if (HAS_BIAS) { v += bias[g * og + o]; }
        y[((s * p.outc + g * og + o) * npos) + pos] = v;
      }
    }
  }
}
