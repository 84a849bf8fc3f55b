// Per sample n over one chunk: Σ F·G, Σ F², Σ G² with G = Σ_j c_j · basis_j (NB ≤ 4 bound)
// Compensated float32 (fma product errors, two-sum accumulation, pairwise two-sum workgroup
// reduction); each workgroup writes (hi, lo) for the three sums and the host finishes in float64.
// Where fma is not fused (lavapipe) the products' rounding errors (½ ulp each, random) remain.
override WG: u32 = 256;
override NB: u32 = 1u;
struct Params { len: u32, chunks: u32, chunk_len: u32, samples: u32, one: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> f: array<f32>;
@group(0) @binding(3) var<storage, read> b0: array<f32>;
@group(0) @binding(4) var<storage, read> b1: array<f32>;
@group(0) @binding(5) var<storage, read> b2: array<f32>;
@group(0) @binding(6) var<storage, read> b3: array<f32>;
@group(0) @binding(7) var<storage, read_write> partial: array<f32>;

var<workgroup> rdot: array<vec2<f32>, WG>;
var<workgroup> rff: array<vec2<f32>, WG>;
var<workgroup> rgg: array<vec2<f32>, WG>;

// (s, c) + (x, e) as an unevaluated pair, two-sum on the leading parts. p.one is a runtime 1.0:
// multiplying by it keeps compilers that treat float ops as reassociable (lavapipe does) from
// folding the error terms to 0.
fn add2(a: vec2<f32>, x: f32, e: f32) -> vec2<f32> {
  let s = (a.x + x) * p.one;
  let bb = (s - a.x) * p.one;
  let err = (a.x - (s - bb) * p.one) + (x - bb);
  return vec2<f32>(s, (a.y + err) * p.one + e);
}

// (s, c) += u · v + extra, with the product's rounding error where the driver fuses fma (else 0)
fn addProd(a: vec2<f32>, u: f32, v: f32, extra: f32) -> vec2<f32> {
  let prod = u * v;
  return add2(a, prod, fma(u, v, -prod) * p.one + extra);
}

// G's pair (s, c) += cf · x with cf = cf.x + cf.y (the float64 coefficient as two float32)
fn term(g: vec2<f32>, cf: vec2<f32>, x: f32) -> vec2<f32> {
  return addProd(g, cf.x, x, cf.y * x);
}

// Inf/NaN in the leading part make the error term NaN: then the leading part is the value.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
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
  var dot = vec2<f32>(0.0, 0.0);
  var ff = vec2<f32>(0.0, 0.0);
  var gg = vec2<f32>(0.0, 0.0);
  for (var e = start + t; e < end; e += WG) {
    let i = sample * p.len + e;
    var g2 = term(vec2<f32>(0.0, 0.0), coef[0], b0[i]);
    if (NB > 1u) { g2 = term(g2, coef[1], b1[i]); }
    if (NB > 2u) { g2 = term(g2, coef[2], b2[i]); }
    if (NB > 3u) { g2 = term(g2, coef[3], b3[i]); }
    let g = select(vec2<f32>(g2.x, 0.0), g2, is_finite(g2.x));
    let fv = f[i];
    dot = addProd(dot, fv, g.x, fv * g.y);
    ff = addProd(ff, fv, fv, 0.0);
    gg = addProd(gg, g.x, g.x, 2.0 * g.x * g.y);
  }
  rdot[t] = dot;
  rff[t] = ff;
  rgg[t] = gg;
  workgroupBarrier();
  for (var r = WG / 2u; r > 0u; r /= 2u) {
    if (t < r) {
      rdot[t] = add2(rdot[t], rdot[t + r].x, rdot[t + r].y);
      rff[t] = add2(rff[t], rff[t + r].x, rff[t + r].y);
      rgg[t] = add2(rgg[t], rgg[t + r].x, rgg[t + r].y);
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = w * 6u;
    partial[o] = rdot[0].x;
    partial[o + 1u] = rdot[0].y;
    partial[o + 2u] = rff[0].x;
    partial[o + 3u] = rff[0].y;
    partial[o + 4u] = rgg[0].x;
    partial[o + 5u] = rgg[0].y;
  }
}
