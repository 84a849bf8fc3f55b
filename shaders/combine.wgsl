// out_k = Σ_j C[k,j] · basis_j, NB ≤ 4 basis tensors per dispatch; the running sum is carried
// as an unevaluated pair (hi in out, lo in `lo`) between dispatches and rounded once at the end.
// Coefficients arrive as float32 (hi, lo) pairs of the float64 value; products use fma for their
// rounding error and sums use two-sum, so the result is float64 accumulation rounded once where
// the driver fuses fma; where it does not (lavapipe) each product keeps its ½-ulp rounding error.
override WG: u32 = 256;
override NB: u32 = 4u;
override FIRST: bool = true;
override LAST: bool = true;
struct Params { n: u32, row: u32, j0: u32, m: u32, one: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> b0: array<f32>;
@group(0) @binding(3) var<storage, read> b1: array<f32>;
@group(0) @binding(4) var<storage, read> b2: array<f32>;
@group(0) @binding(5) var<storage, read> b3: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> lo: array<f32>;

// (s, c) += cf · x with cf = cf.x + cf.y. p.one is a runtime 1.0: multiplying by it keeps
// compilers that treat float ops as reassociable (lavapipe does) from folding two-sum's error to 0.
fn acc(sc: vec2<f32>, cf: vec2<f32>, x: f32) -> vec2<f32> {
  let prod = cf.x * x;
  let perr = fma(cf.x, x, -prod) * p.one + cf.y * x;
  let s = (sc.x + prod) * p.one;
  let bb = (s - sc.x) * p.one;
  let err = (sc.x - (s - bb) * p.one) + (prod - bb);
  return vec2<f32>(s, (sc.y + err) * p.one + perr);
}

// Inf/NaN in the leading part make the error term NaN: then the leading part is the result.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var sc = vec2<f32>(0.0, 0.0);
  if (!FIRST) { sc = vec2<f32>(out[i], lo[i]); }
  let c = p.row * p.m + p.j0;
  sc = acc(sc, coef[c], b0[i]);
  if (NB > 1u) { sc = acc(sc, coef[c + 1u], b1[i]); }
  if (NB > 2u) { sc = acc(sc, coef[c + 2u], b2[i]); }
  if (NB > 3u) { sc = acc(sc, coef[c + 3u], b3[i]); }
  if (LAST) {
    out[i] = select(sc.x, sc.x + sc.y, is_finite(sc.x));
  } else {
    out[i] = sc.x;
    lo[i] = sc.y;
  }
}
