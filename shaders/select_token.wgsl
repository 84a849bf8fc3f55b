// y[n, :] = x[n, index, :]  ([N,T,D] → [N,D])
override WG: u32 = 256;
struct Params { n: u32, t: u32, d: u32, index: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let d = i % p.d;
  let s = i / p.d;
  y[i] = x[(s * p.t + p.index) * p.d + d];
}
