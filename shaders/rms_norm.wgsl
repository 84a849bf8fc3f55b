// y = x / sqrt(Σx²/D + eps) · (w, or 1 + w when UNIT_OFFSET) over each row of length D
// One workgroup per row: Σx² by a tree reduction in workgroup memory, then the scaled row.
override WG: u32 = 256;
override UNIT_OFFSET: bool = false;
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.d;
  var q = 0.0;
  for (var j = t; j < p.d; j += WG) { q += x[base + j] * x[base + j]; }
  red[t] = q;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / sqrt(red[0] / f32(p.d) + p.eps);
  for (var j = t; j < p.d; j += WG) {
    let w = select(weight[j], 1.0 + weight[j], UNIT_OFFSET);
    y[base + j] = x[base + j] * inv * w;
  }
}
