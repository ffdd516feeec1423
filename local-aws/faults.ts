/**
 * Injected faults: the next `times` matching calls (default 1; Infinity for all) fail with `code`,
 * are delayed by `latencyMs` real milliseconds, or have their connection reset.
 */
export interface FaultSpec {
  /** Action name ("DeleteSnapshot", S3 "DeleteObjects", …) or "*" for any. */
  action: string;
  /** Unset = EC2 and S3; STS calls take only faults that name `service: "sts"`. */
  service?: "ec2" | "s3" | "sts";
  region?: string;
  code?: string;
  status?: number;
  message?: string;
  times?: number;
  latencyMs?: number;
  resetConnection?: boolean;
  /** EC2 only: the call takes effect, then the connection is dropped (a lost answer; the SDK retries). */
  loseAnswer?: boolean;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class Faults {
  private active: ActiveFault[] = [];

  /** Add a fault; returns a function that removes it. */
  inject(spec: FaultSpec): () => void {
    if (!spec.action) throw new Error('local-aws: faults.inject needs an action (or "*").');
    if (!spec.code && !spec.latencyMs && !spec.resetConnection && !spec.loseAnswer) {
      throw new Error(
        "local-aws: faults.inject needs a code, a latencyMs or resetConnection (or loseAnswer).",
      );
    }
    const f: ActiveFault = { ...spec, remaining: spec.times ?? 1 };
    this.active.push(f);
    return () => {
      this.active = this.active.filter((x) => x !== f);
    };
  }

  clear(): void {
    this.active = [];
  }

  /** Remaining injected faults (for inspection). */
  get pending(): readonly FaultSpec[] {
    return this.active;
  }

  /** The fault that applies to this call, consuming one use of it. */
  take(service: "ec2" | "s3" | "sts", action: string, region: string): FaultSpec | undefined {
    const f = this.active.find(
      (x) =>
        (x.action === "*" || x.action === action) &&
        (x.service === service || (x.service === undefined && service !== "sts")) &&
        (x.region === undefined || x.region === region) &&
        x.remaining > 0,
    );
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.active = this.active.filter((x) => x !== f);
    return f;
  }
}
