// out[n,i,h·E+e] = Σ_j softmax_j(q_i·k_j / √E) v[j,e], E = D/H, qkv[n,t] = [q | k | v]; CAUSAL masks j > i
// One workgroup per (n, h, i): scores in workgroup memory (T ≤ MAX_T, 8 KiB: fits the default 16 KiB limit), softmax with the row
// maximum subtracted, then each thread forms output features e = tid, tid + WG, ….
override WG: u32 = 64;
override CAUSAL: bool = false;
const MAX_T: u32 = 2048u;
struct Params { n: u32, t: u32, d: u32, heads: u32, hd: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> score: array<f32, MAX_T>;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.n * p.heads * p.t) { return; }
  let tid = lid.x;
  let i = row % p.t;
  let h = (row / p.t) % p.heads;
  let s = row / (p.t * p.heads);
  let stride = 3u * p.d;
  let base = s * p.t * stride + h * p.hd;
  let q = base + i * stride;
  let jend = select(p.t, i + 1u, CAUSAL);

  var m = -3.4e38;
  for (var j = tid; j < jend; j += WG) {
    let k = base + j * stride + p.d;
    var dot = 0.0;
    for (var e = 0u; e < p.hd; e++) { dot += qkv[q + e] * qkv[k + e]; }
    let sc = dot * p.scale;
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
  for (var j = tid; j < jend; j += WG) {
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

  let out = (s * p.t + i) * p.d + h * p.hd;
  for (var e = tid; e < p.hd; e += WG) {
    var acc = 0.0;
    for (var j = 0u; j < jend; j++) { acc += score[j] * qkv[base + j * stride + 2u * p.d + e]; }
    y[out + e] = acc * inv;
  }
}
