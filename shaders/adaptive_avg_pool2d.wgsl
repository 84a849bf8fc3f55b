// y[n,c,i,j] = mean of x[n,c, ⌊iH/OH⌋ … ⌈(i+1)H/OH⌉−1, ⌊jW/OW⌋ … ⌈(j+1)W/OW⌉−1]
override WG: u32 = 256;
struct Params { n: u32, h: u32, w: u32, oh: u32, ow: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let y0 = (oy * p.h) / p.oh;
  let y1 = ((oy + 1u) * p.h + p.oh - 1u) / p.oh;
  let x0 = (ox * p.w) / p.ow;
  let x1 = ((ox + 1u) * p.w + p.ow - 1u) / p.ow;
  var s = 0.0;
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      s += x[(plane * p.h + iy) * p.w + ix];
    }
  }
  y[i] = s / f32((y1 - y0) * (x1 - x0));
}
