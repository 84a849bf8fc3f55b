// y[a, c, b] = x[a, b, c]  ([A,B,C] → [A,C,B])
override WG: u32 = 256;
struct Params { n: u32, b: u32, c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let b = i % p.b;
  let c = (i / p.b) % p.c;
  let a = i / (p.b * p.c);
  y[i] = x[(a * p.b + b) * p.c + c];
}
