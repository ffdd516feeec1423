/**
 * The simulated clock. Simulated time runs `1 / timeScale` times faster than real time
 * (timeScale 1 = real time, 0.001 = 1000x faster) and can be pushed forward with `advance`.
 */
export class SimClock {
  private readonly realStart = Date.now();
  private offset = 0;

  constructor(readonly timeScale = 1) {
    if (!(timeScale > 0)) throw new Error(`local-aws: timeScale must be > 0 (got ${timeScale}).`);
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.realStart + (Date.now() - this.realStart) / this.timeScale + this.offset;
  }

  /** Jump simulated time forward by `ms` (delays, cooldowns and token buckets see it at once). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`local-aws: advance(ms) needs ms >= 0 (got ${ms}).`);
    this.offset += ms;
  }

  /** Real milliseconds that `simMs` simulated milliseconds take. */
  toRealMs(simMs: number): number {
    return simMs * this.timeScale;
  }
}
