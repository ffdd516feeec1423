// The client-side pacer: token buckets on a fake clock, the sizes and their environment override,
// and, against local-aws with small buckets, concurrent calls that wait instead of being throttled.
import assert from "node:assert/strict";
import { DescribeImagesCommand, DescribeSnapshotsCommand } from "@aws-sdk/client-ec2";
import { ec2Client } from "../../../provider/aws/clients";
import {
  AWS_EC2_BUCKETS,
  bucketSizeFor,
  pacerStats,
  rateLimits,
  resetPacer,
  TokenBucket,
  type PacerClock,
  type RateLimits,
} from "../../../provider/aws/pacer";
import { REGION, startEnv, type Env } from "../teardownFixtures";

/** A clock that only moves when told; timers fire in due order. */
function fakeClock(): PacerClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer: (fn, ms) => void timers.push({ at: now + ms, fn }),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers = timers.slice(1);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

/** Let resolved promises run their callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function granted(bucket: TokenBucket, n: number, priority: boolean[] = []): Promise<number[]> {
  const order: number[] = [];
  for (let i = 0; i < n; i++) void bucket.acquire(priority[i] ?? false).then(() => order.push(i));
  await settle();
  return order;
}

describe("aws/pacer", () => {
  describe("TokenBucket (fake clock)", () => {
    it("starts full less one reserve token, then hands out one token per refill interval, first come first served", async () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ burst: 4, perSecond: 10 }, clock);
      const order = await granted(bucket, 6);
      assert.deepEqual(order, [0, 1, 2]);
      assert.equal(bucket.queued, 3);
      clock.advance(99);
      await settle();
      assert.deepEqual(order, [0, 1, 2]);
      clock.advance(1);
      await settle();
      assert.deepEqual(order, [0, 1, 2, 3]);
      clock.advance(200);
      await settle();
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
      assert.equal(bucket.queued, 0);
    });

    it("lets retries of calls already sent go ahead of first attempts", async () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ burst: 2, perSecond: 10 }, clock);
      const order = await granted(bucket, 4, [false, false, false, true]);
      assert.deepEqual(order, [0]);
      clock.advance(100);
      await settle();
      assert.deepEqual(order, [0, 3]);
    });

    it("empties and slows down after a throttled answer, and recovers with accepted ones", async () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ burst: 100, perSecond: 5 }, clock);
      bucket.throttled();
      assert.ok(bucket.currentRate < 5, `rate ${bucket.currentRate}`);
      bucket.throttled(); // a second throttle from a call already in flight is the same signal
      assert.equal(bucket.currentRate, 5 * 0.7);
      const order = await granted(bucket, 1);
      assert.deepEqual(order, [], "no token right after a throttle, though the bucket had 100");
      clock.advance(Math.ceil(1000 / 3.5));
      await settle();
      assert.deepEqual(order, [0]);
      for (let i = 0; i < 100; i++) bucket.accepted();
      assert.equal(bucket.currentRate, 5);
    });
  });

  describe("bucket sizes", () => {
    const limits = rateLimits({}) as RateLimits;

    it("uses AWS's published buckets and category defaults", () => {
      for (const [action, size] of [
        ["DeregisterImage", { burst: 100, perSecond: 5 }],
        ["DeleteSnapshot", { burst: 100, perSecond: 5 }],
        ["DescribeImages", { burst: 100, perSecond: 20 }],
        ["DescribeSnapshots", { burst: 100, perSecond: 20 }],
        ["CopyImage", { burst: 100, perSecond: 1 }],
        ["CreateTags", { burst: 100, perSecond: 10 }],
        ["DescribeImageReferences", { burst: 100, perSecond: 20 }],
        ["ListSnapshotsInRecycleBin", { burst: 100, perSecond: 20 }],
        ["RegisterImage", { burst: 50, perSecond: 5 }],
      ] as const) {
        assert.deepEqual(bucketSizeFor(action, limits), size, action);
      }
    });

    it("reads overrides and `off` from MANAGED_AMI_EC2_RATE_LIMITS", () => {
      const custom = rateLimits({
        MANAGED_AMI_EC2_RATE_LIMITS: "DeregisterImage=40/2, mutating=10/1,non-mutating=60/12",
      }) as RateLimits;
      assert.deepEqual(bucketSizeFor("DeregisterImage", custom), { burst: 40, perSecond: 2 });
      assert.deepEqual(bucketSizeFor("RegisterImage", custom), { burst: 10, perSecond: 1 });
      assert.deepEqual(bucketSizeFor("DescribeVolumes", custom), { burst: 60, perSecond: 12 });
      assert.deepEqual(bucketSizeFor("DeleteSnapshot", custom), AWS_EC2_BUCKETS.DeleteSnapshot);
      assert.equal(rateLimits({ MANAGED_AMI_EC2_RATE_LIMITS: "off" }), "off");
    });

    it("refuses a malformed override, naming the variable and the fix", () => {
      for (const bad of ["DeregisterImage=5", "DeregisterImage=0/5", "DeregisterImage=100/0", "x"]) {
        assert.throws(
          () => rateLimits({ MANAGED_AMI_EC2_RATE_LIMITS: bad }),
          /MANAGED_AMI_EC2_RATE_LIMITS: .*Action=burst\/perSecond.*"off"/,
        );
      }
    });
  });

  describe("against local-aws with small buckets (real time)", () => {
    let env: Env | undefined;
    const saved = {
      limits: process.env.MANAGED_AMI_EC2_RATE_LIMITS,
      window: process.env.MANAGED_AMI_BATCH_WINDOW_MS,
    };
    beforeEach(() => {
      resetPacer();
      process.env.MANAGED_AMI_BATCH_WINDOW_MS = "0"; // lookups not shared here: pacing alone
    });
    afterEach(async () => {
      await env?.stop();
      env = undefined;
      for (const [k, v] of [
        ["MANAGED_AMI_EC2_RATE_LIMITS", saved.limits],
        ["MANAGED_AMI_BATCH_WINDOW_MS", saved.window],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    /** 12 concurrent DescribeImages from 3 separate clients (as 3 concurrent deletes would make). */
    async function burst(): Promise<{ accepted: number; throttled: number }> {
      const clients = [1, 2, 3].map(() =>
        ec2Client(REGION, { retry: { budgetMs: 10_000, baseDelayMs: 5, maxDelayMs: 50 } }),
      );
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          clients[i % 3].send(new DescribeImagesCommand({ Owners: ["self"] })),
        ),
      );
      const log = (env as Env).aws.log.filter((e) => e.action === "DescribeImages");
      return {
        accepted: log.filter((e) => e.status === 200).length,
        throttled: log.filter((e) => e.code === "RequestLimitExceeded").length,
      };
    }

    it("concurrent calls from separate clients wait for a token of the one shared bucket: no throttling", async () => {
      // 5/s: the reserve token absorbs up to 200 ms of jitter between our grant and the endpoint's meter (loaded CI machines).
      env = await startEnv({ timeScale: 1, throttling: { DescribeImages: { burst: 4, perSecond: 5 } } });
      process.env.MANAGED_AMI_EC2_RATE_LIMITS = "DescribeImages=4/5";
      assert.deepEqual(await burst(), { accepted: 12, throttled: 0 });
      const stats = pacerStats().filter((s) => s.key.includes("|DescribeImages|"));
      assert.equal(stats.length, 1, "one bucket for the three clients");
      assert.equal(stats[0].waited, 9, "the calls beyond the burst (less the reserve token) waited");
    });

    it("control: without pacing the same calls are throttled", async () => {
      env = await startEnv({ timeScale: 1, throttling: { DescribeImages: { burst: 4, perSecond: 5 } } });
      process.env.MANAGED_AMI_EC2_RATE_LIMITS = "off";
      const { accepted, throttled } = await burst();
      assert.equal(accepted, 12);
      assert.ok(throttled > 0, "throttled without the pacer");
    });

    it("a retry takes a token too, and a throttled answer slows the bucket down", async () => {
      env = await startEnv({ timeScale: 1 }, { budgetMs: 5000, baseDelayMs: 1, maxDelayMs: 5 });
      process.env.MANAGED_AMI_EC2_RATE_LIMITS = "DescribeSnapshots=2/20";
      env.aws.faults.inject({
        action: "DescribeSnapshots",
        code: "RequestLimitExceeded",
        status: 503,
        times: 2,
      });
      const out = await env.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
      assert.equal(out.$metadata.attempts, 3);
      const [stats] = pacerStats().filter((s) => s.key.includes("|DescribeSnapshots|"));
      assert.equal(stats.waited, 2, "both retries waited for a token");
      assert.ok(stats.rate < 20, `rate after throttling: ${stats.rate}`);
    });

    it("keeps one bucket per credentials: another account's calls do not wait for ours", async () => {
      env = await startEnv({ timeScale: 1 });
      process.env.MANAGED_AMI_EC2_RATE_LIMITS = "DescribeImages=3/20";
      await Promise.all(
        [1, 2].map(() => ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] }))),
      );
      process.env.AWS_ACCESS_KEY_ID = "AKIDOTHERACCOUNT01";
      await Promise.all(
        [1, 2].map(() => ec2Client(REGION).send(new DescribeImagesCommand({ Owners: ["self"] }))),
      );
      const stats = pacerStats().filter((s) => s.key.includes("|DescribeImages|"));
      assert.equal(stats.length, 2);
      assert.ok(stats.some((s) => s.key.startsWith("AKIDOTHERACCOUNT01|")));
      assert.ok(
        stats.every((s) => !/secret/.test(s.key)),
        "keys hold the access key id, never the secret",
      );
      assert.deepEqual(
        stats.map((s) => s.waited),
        [0, 0],
      );
    });
  });
});
