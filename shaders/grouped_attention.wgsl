// out[n,i,h·E+c] = Σ_j softmax_j(cap(q_{i,h}·k_{j,g}·scale)) v_{j,g}[c], g = ⌊h / (H/Hkv)⌋; CAUSAL masks j > i, window keeps j > i − W
// One workgroup per (n, h, i): scores in workgroup memory (S ≤ MAX_S), softmax with the row maximum
// subtracted, then each thread forms output features c = tid, tid + WG, ….
override WG: u32 = 64;
override CAUSAL: bool = true;
override SOFTCAP: bool = false;
const MAX_S: u32 = 2048u;
struct Params { n: u32, t: u32, s: u32, heads: u32, kv_heads: u32, e: u32, window: u32, scale: f32, softcap: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<workgroup> score: array<f32, MAX_S>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.n * p.heads * p.t) { return; }
  let tid = lid.x;
  let i = row % p.t;
  let h = (row / p.t) % p.heads;
  let smp = row / (p.t * p.heads);
  let g = h / (p.heads / p.kv_heads);
  let ldq = p.heads * p.e;
  let ldk = p.kv_heads * p.e;
  let qo = (smp * p.t + i) * ldq + h * p.e;
  let kbase = smp * p.s * ldk + g * p.e;
  let jend = select(p.s, i + 1u, CAUSAL);
  var jbeg = 0u;
  if (p.window > 0u && i + 1u > p.window) { jbeg = i + 1u - p.window; }

  var m = -3.4e38;
  for (var j = jbeg + tid; j < jend; j += WG) {
    let ko = kbase + j * ldk;
    var dot = 0.0;
    for (var c = 0u; c < p.e; c++) { dot += q[qo + c] * k[ko + c]; }
    var sc = dot * p.scale;
    if (SOFTCAP) { sc = p.softcap * tanh(sc / p.softcap); }
    score[j] = sc;
    m = max(m, sc);
  }
  red[tid] = m;
  workgroupBarrier();
  for (var r = WG / 2u; r > 0u; r /= 2u) {
    if (tid < r) { red[tid] = max(red[tid], red[tid + r]); }
    workgroupBarrier();
  }
  let rowMax = red[0];
  workgroupBarrier();

  var sum = 0.0;
  for (var j = jbeg + tid; j < jend; j += WG) {
    let ex = exp(score[j] - rowMax);
    score[j] = ex;
    sum += ex;
  }
  red[tid] = sum;
  workgroupBarrier();
  for (var r = WG / 2u; r > 0u; r /= 2u) {
    if (tid < r) { red[tid] += red[tid + r]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];

  for (var c = tid; c < p.e; c += WG) {
    var acc = 0.0;
    for (var j = jbeg; j < jend; j++) { acc += score[j] * v[kbase + j * ldk + c]; }
    y[qo + c] = acc * inv;
  }
}
