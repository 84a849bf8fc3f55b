// y = x·σ(1.702x) = x / (1 + e^(−1.702x))   (OpenAI CLIP's QuickGELU; −∞ → −∞/∞ = NaN, as in torch)
// e^(−1.702x) overflows to +∞ for x < −52, giving −0 (torch: x·σ underflows to −0 as well).
override WG: u32 = 256;
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let v = x[i];
  y[i] = v / (1.0 + exp(-1.702 * v));
}
