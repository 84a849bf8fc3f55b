// y[n,c,oh,ow] = max over the window x[n,c, oh·sh − ph + i, ow·sw − pw + j] (padding ignored = −∞; NaN wins)
override WG: u32 = 256;
struct Params { n: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// NaN test on the bits: compilers may fold v != v away.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let ox = i % p.ow;
  let oy = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  var m = 0.0;
  var found = false;
  for (var ki = 0u; ki < p.kh; ki++) {
    let iy = i32(oy * p.sh + ki) - i32(p.ph);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kj = 0u; kj < p.kw; kj++) {
      let ix = i32(ox * p.sw + kj) - i32(p.pw);
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let v = x[(plane * p.h + u32(iy)) * p.w + u32(ix)];
      if (!found || v > m || is_nan(v)) { m = v; found = true; }
    }
  }
  y[i] = m;
}
