// Storage buffers pooled by size class (powers of two ≥ 256 B). A released buffer becomes
// reusable only after the submit that used it has completed on the GPU, so a later
// queue.writeBuffer can never overtake commands that still read it. Free buffers beyond
// `maxFreeBytes` are destroyed instead of kept.

const MIN_CLASS = 256;
const USAGE_STORAGE = 0x80 | 0x40 | 0x8 | 0x4; // STORAGE | UNIFORM | COPY_DST | COPY_SRC

export function sizeClass(bytes: number): number {
  let c = MIN_CLASS;
  while (c < bytes) c *= 2;
  return c;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Released since the last submit: they may still be read by encoded, unsubmitted commands. */
  private pending: GPUBuffer[] = [];
  private freeBytes = 0;
  created = 0;
  reused = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    private readonly maxFreeBytes = 1 << 30,
  ) {}

  acquire(bytes: number, label: string): GPUBuffer {
    let size = sizeClass(Math.max(bytes, 4));
    // Above the largest power-of-two class that fits maxBufferSize: the exact size (its own class).
    if (size > this.maxBufferSize && bytes <= this.maxBufferSize) size = Math.ceil(bytes / 4) * 4;
    const list = this.free.get(size);
    const buf = list?.pop();
    if (buf) {
      this.reused++;
      this.freeBytes -= buf.size;
      buf.label = label;
      return buf;
    }
    return this.make(size, label);
  }

  private make(size: number, label: string): GPUBuffer {
    this.created++;
    return this.device.createBuffer({ label, size, usage: USAGE_STORAGE });
  }

  /** Hands a buffer back; it is reused after the next submit completes. */
  release(buf: GPUBuffer): void {
    this.pending.push(buf);
  }

  /** Call right after queue.submit: the pending buffers become free once that work is done. */
  afterSubmit(queue: GPUQueue): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    return queue.onSubmittedWorkDone().then(() => {
      for (const b of batch) {
        if (this.freeBytes + b.size > this.maxFreeBytes) {
          b.destroy();
          continue;
        }
        const list = this.free.get(b.size) ?? [];
        list.push(b);
        this.free.set(b.size, list);
        this.freeBytes += b.size;
      }
    });
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    for (const b of this.pending) b.destroy();
    this.free.clear();
    this.pending = [];
    this.freeBytes = 0;
  }
}
