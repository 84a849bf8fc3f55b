// y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c], c = channel (dim 1)
override WG: u32 = 256;
struct Params { n: u32, channels: u32, plane: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let c = (i / p.plane) % p.channels;
  y[i] = (x[i] - mean[c]) / sqrt(variance[c] + p.eps) * weight[c] + bias[c];
}
