// y = (x − μ) / sqrt(σ² + eps) · weight + bias over each row of length D (biased variance)
// One workgroup per row: mean, then Σ(x − μ)² (two passes for accuracy), tree reductions in
// workgroup memory.
override WG: u32 = 256;
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;

fn reduce_sum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.d;
  var s = 0.0;
  for (var j = t; j < p.d; j += WG) { s += x[base + j]; }
  let mu = reduce_sum(t, s) / f32(p.d);
  var q = 0.0;
  for (var j = t; j < p.d; j += WG) {
    let v = x[base + j] - mu;
    q += v * v;
  }
  let inv = 1.0 / sqrt(reduce_sum(t, q) / f32(p.d) + p.eps);
  for (var j = t; j < p.d; j += WG) {
    y[base + j] = (x[base + j] - mu) * inv * weight[j] + bias[j];
  }
}
