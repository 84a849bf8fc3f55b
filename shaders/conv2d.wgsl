// y[n,o,oh,ow] = bias[o] + Σ_{c,i,j} x[n, g·Cg + c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] · w[o,c,i,j]
// (direct convolution, one output per thread, g = o / (O / groups), zero padding)
override WG: u32 = 256;
override HAS_BIAS: bool = false;
struct Params {
  n: u32, channels: u32, h: u32, w: u32, outc: u32, oh: u32, ow: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, ph: u32, pw: u32, dh: u32, dw: u32, groups: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let o = (i / (p.ow * p.oh)) % p.outc;
  let s = i / (p.ow * p.oh * p.outc);
  let cg = p.channels / p.groups;
  let c0 = (o / (p.outc / p.groups)) * cg;
  var acc = 0.0;
  for (var c = 0u; c < cg; c++) {
    let xplane = (s * p.channels + c0 + c) * p.h;
    let wbase = (o * cg + c) * p.kh;
    for (var ki = 0u; ki < p.kh; ki++) {
      let iy = i32(oy * p.sh + ki * p.dh) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var kj = 0u; kj < p.kw; kj++) {
        let ix = i32(ox * p.sw + kj * p.dw) - i32(p.pw);
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        acc += x[(xplane + u32(iy)) * p.w + u32(ix)] * wt[(wbase + ki) * p.kw + kj];
      }
    }
  }
  if (HAS_BIAS) { acc += bias[o]; }
  y[i] = acc;
}
