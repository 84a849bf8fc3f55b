// y_i = x_i c_i − x_{i+h} s_i, y_{i+h} = x_{i+h} c_i + x_i s_i for i < h = half, per head of x[N,T,H,E]; dims ≥ 2h copied
override WG: u32 = 256;
struct Params { n: u32, t: u32, heads: u32, e: u32, half: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> cosT: array<f32>;
@group(0) @binding(3) var<storage, read> sinT: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let c = i % p.e;
  let head = i - c;
  let pos = (i / (p.e * p.heads)) % p.t;
  if (c >= 2u * p.half) { y[i] = x[i]; return; }
  let k = c % p.half;
  let cs = cosT[pos * p.half + k];
  let sn = sinT[pos * p.half + k];
  if (c < p.half) {
    y[i] = x[i] * cs - x[head + c + p.half] * sn;
  } else {
    y[i] = x[i] * cs + x[head + k] * sn;
  }
}
