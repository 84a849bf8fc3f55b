// Per sample n over one chunk: Σ F·B_t for t < NB (NB ≤ 4 basis tensors bound) and Σ F², as in
// feature_stats.wgsl: compensated float32 (fma product errors, two-sum accumulation, pairwise
// two-sum workgroup reduction); each workgroup writes (hi, lo) pairs [dot_0..dot_3, ff] and the host
// finishes in float64. Where fma is not fused (lavapipe) the products' rounding errors remain.
override WG: u32 = 256;
override NB: u32 = 1u;
struct Params { len: u32, chunks: u32, chunk_len: u32, samples: u32, one: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> b0: array<f32>;
@group(0) @binding(3) var<storage, read> b1: array<f32>;
@group(0) @binding(4) var<storage, read> b2: array<f32>;
@group(0) @binding(5) var<storage, read> b3: array<f32>;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

// [dot_0, dot_1, dot_2, dot_3, ff] per thread, each an unevaluated (hi, lo) pair
var<workgroup> red: array<array<vec2<f32>, 5>, WG>;

// (s, c) + (x, e) as an unevaluated pair, two-sum on the leading parts. p.one is a runtime 1.0:
// multiplying by it keeps compilers that treat float ops as reassociable from folding the errors to 0.
fn add2(a: vec2<f32>, x: f32, e: f32) -> vec2<f32> {
  let s = (a.x + x) * p.one;
  let bb = (s - a.x) * p.one;
  let err = (a.x - (s - bb) * p.one) + (x - bb);
  return vec2<f32>(s, (a.y + err) * p.one + e);
}

// (s, c) += u · v, with the product's rounding error where the driver fuses fma (else 0)
fn addProd(a: vec2<f32>, u: f32, v: f32) -> vec2<f32> {
  let prod = u * v;
  return add2(a, prod, fma(u, v, -prod) * p.one);
}

fn basis(t: u32, i: u32) -> f32 {
  switch t {
    case 0u: { return b0[i]; }
    case 1u: { return b1[i]; }
    case 2u: { return b2[i]; }
    default: { return b3[i]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.samples * p.chunks) { return; }
  let t = lid.x;
  let sample = w / p.chunks;
  let start = (w % p.chunks) * p.chunk_len;
  let end = min(start + p.chunk_len, p.len);
  var acc: array<vec2<f32>, 5>;
  for (var j = 0u; j < 5u; j++) { acc[j] = vec2<f32>(0.0, 0.0); }
  for (var e = start + t; e < end; e += WG) {
    let i = sample * p.len + e;
    let fv = f[i];
    for (var j = 0u; j < NB; j++) { acc[j] = addProd(acc[j], fv, basis(j, i)); }
    acc[4] = addProd(acc[4], fv, fv);
  }
  red[t] = acc;
  workgroupBarrier();
  for (var r = WG / 2u; r > 0u; r /= 2u) {
    if (t < r) {
      for (var j = 0u; j < 5u; j++) { red[t][j] = add2(red[t][j], red[t + r][j].x, red[t + r][j].y); }
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = w * 10u;
    for (var j = 0u; j < 5u; j++) {
      partial[o + 2u * j] = red[0][j].x;
      partial[o + 2u * j + 1u] = red[0][j].y;
    }
  }
}
