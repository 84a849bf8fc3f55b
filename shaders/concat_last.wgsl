// y[r, off + c] = x[r, c] for r < rows, c < w: one input's columns of a concatenation along the last
// dim (concatLast dispatches this once per input, each at its column offset `off` of `total`).
override WG: u32 = 256;
struct Params { n: u32, w: u32, total: u32, off: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let r = i / p.w;
  let c = i % p.w;
  y[r * p.total + p.off + c] = x[i];
}
