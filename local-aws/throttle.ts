import type { SimClock } from "./clock";

/** A token bucket: `burst` tokens, refilled at `perSecond` per simulated second. */
export interface BucketSize {
  burst: number;
  perSecond: number;
}

/** AWS's published EC2 API request-rate limits for the actions that matter here. */
export const AWS_BUCKETS: Record<string, BucketSize> = {
  DeregisterImage: { burst: 100, perSecond: 5 },
  DeleteSnapshot: { burst: 100, perSecond: 5 },
  DescribeImages: { burst: 100, perSecond: 20 },
  CopyImage: { burst: 100, perSecond: 1 },
  EnableFastLaunch: { burst: 5, perSecond: 2 },
  DisableFastLaunch: { burst: 5, perSecond: 2 },
};
export const DESCRIBE_DEFAULT: BucketSize = { burst: 100, perSecond: 20 };
export const MUTATING_DEFAULT: BucketSize = { burst: 50, perSecond: 5 };

/** Per account, region and action token buckets; `take` is false when the call is throttled. */
export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: SimClock,
    private readonly overrides: Record<string, BucketSize> = {},
  ) {}

  sizeFor(action: string): BucketSize {
    return (
      this.overrides[action] ??
      AWS_BUCKETS[action] ??
      (/^(Describe|Get|List)/.test(action) ? DESCRIBE_DEFAULT : MUTATING_DEFAULT)
    );
  }

  take(accountId: string, region: string, action: string): boolean {
    const size = this.sizeFor(action);
    const key = `${accountId}/${region}/${action}`;
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: size.burst, at: now };
    b.tokens = Math.min(size.burst, b.tokens + ((now - b.at) / 1000) * size.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  reset(): void {
    this.buckets.clear();
  }
}
