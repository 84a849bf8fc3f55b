// y = x / ‖x‖₂ over each row of length D (torch: x / x.norm(dim=-1, keepdim=True); a zero row gives NaN)
// One workgroup per row: Σx² by a tree reduction in workgroup memory, then one divide per element.
override WG: u32 = 256;
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.d;
  var s = 0.0;
  for (var j = t; j < p.d; j += WG) { s += x[base + j] * x[base + j]; }
  red[t] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k /= 2u) {
    if (t < k) { red[t] += red[t + k]; }
    workgroupBarrier();
  }
  let norm = sqrt(red[0]);
  for (var j = t; j < p.d; j += WG) { y[base + j] = x[base + j] / norm; }
}
