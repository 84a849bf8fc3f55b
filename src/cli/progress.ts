// Progress for long CLI steps: a redrawn bar on a TTY, plain lines otherwise (one per step).

export class Progress {
  private readonly tty: boolean;
  private lastDrawn = 0;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** A step starts (plain mode prints one line). */
  start(index: number, name: string): void {
    if (!this.tty) this.out.write(`[${index + 1}/${this.total}] ${name}\n`);
    else this.draw(index, 0, name);
  }

  /** Within step `index`, `fraction` ∈ [0, 1] is done (drawn on a TTY at most every 100 ms). */
  update(index: number, fraction: number, name: string): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDrawn < 100) return;
    this.lastDrawn = now;
    this.draw(index, fraction, name);
  }

  /** Clears the bar (TTY) so that the next output starts on a clean line. */
  done(): void {
    if (this.tty) this.out.write('\r\x1b[K');
  }

  private draw(index: number, fraction: number, name: string): void {
    const width = 30;
    const f = Math.min(1, (index + Math.min(1, Math.max(0, fraction))) / this.total);
    const filled = Math.round(f * width);
    this.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${index + 1}/${this.total} ${name}`);
  }
}
