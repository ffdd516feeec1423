/**
 * What the destroy and refresh benchmarks share: the time scale (real time by default, `BENCH_QUICK=1`
 * for a 4× faster iteration run), a local endpoint with AWS's buckets, the client environment for the
 * v2 layer (shared lookups + pacing, scaled like the endpoint's clock) or the v1 approach (both off),
 * seeding straight into state, and the bucket-bound arithmetic.
 */
import { startLocalAws, type LocalAws } from "../local-aws";
import { newId } from "../local-aws/ec2/ids";
import { AWS_BUCKETS, DESCRIBE_DEFAULT, MUTATING_DEFAULT, type BucketSize } from "../local-aws/throttle";
import { DEFAULT_LINGER_MS, DEFAULT_WINDOW_MS, resetCoalesceStats } from "../provider/aws/coalesce";
import { forgetCallerAccounts } from "../provider/aws/identity";
import { resetPacer, scaledRateLimits } from "../provider/aws/pacer";
import type { ManagedAmiOutputs } from "../provider/types";

export const QUICK = process.env.BENCH_QUICK === "1";
/** Real ms per simulated ms: 1 = AWS's buckets in real time (the default); quick mode 0.25. */
export const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? (QUICK ? 0.25 : 1));
export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
export const KEY = { id: "AKIABENCHDESTROY0001", secret: "bench-destroy-secret" };
/** Another tool in the same account (its own access key, so our pacer does not know about it). */
export const COMPETITOR_KEY = { id: "AKIABENCHCOMPETITOR1", secret: "bench-competitor-secret" };
/** The clients' defaults (provider/aws/clients.ts), in real-world milliseconds. */
const RETRY_DEFAULTS = { budgetMs: 300_000, baseDelayMs: 200, maxDelayMs: 5_000 };

export type Layer = "v2" | "v1";

/** AWS's bucket for an action, as the endpoint applies it. */
export function endpointBucket(action: string): BucketSize {
  return AWS_BUCKETS[action] ?? (/^(Describe|Get|List)/.test(action) ? DESCRIBE_DEFAULT : MUTATING_DEFAULT);
}

/** The least simulated seconds in which `n` accepted calls of `action` pass its bucket (starting full). */
export function bucketBoundS(action: string, n: number): number {
  const b = endpointBucket(action);
  return Math.max(0, (n - b.burst) / b.perSecond);
}

/** Start an endpoint with AWS's buckets and point this process's SDK clients at it. */
export async function startBenchAws(opts: {
  supportsDeleteAssociatedSnapshots?: boolean;
  layer: Layer;
}): Promise<LocalAws> {
  const aws = await startLocalAws({
    timeScale: TIME_SCALE,
    throttling: true,
    supportsDeleteAssociatedSnapshots: opts.supportsDeleteAssociatedSnapshots ?? true,
    accounts: { [KEY.id]: ACCOUNT, [COMPETITOR_KEY.id]: ACCOUNT },
    seedBaseImages: false,
  });
  resetPacer();
  forgetCallerAccounts();
  resetCoalesceStats();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: KEY.id,
    AWS_SECRET_ACCESS_KEY: KEY.secret,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    // STS too: destroy and refresh check the caller's account first, as against AWS.
    AWS_ENDPOINT_URL_STS: aws.endpoint,
    MANAGED_AMI_RETRY_BUDGET_MS: String(RETRY_DEFAULTS.budgetMs * TIME_SCALE),
    MANAGED_AMI_RETRY_BASE_MS: String(RETRY_DEFAULTS.baseDelayMs * TIME_SCALE),
    MANAGED_AMI_RETRY_MAX_DELAY_MS: String(RETRY_DEFAULTS.maxDelayMs * TIME_SCALE),
    MANAGED_AMI_RETRY_NOTICE_MS: String(3_600_000),
    MANAGED_AMI_EC2_RATE_LIMITS: opts.layer === "v2" ? scaledRateLimits(1 / TIME_SCALE) : "off",
    MANAGED_AMI_BATCH_WINDOW_MS: opts.layer === "v2" ? String(DEFAULT_WINDOW_MS * TIME_SCALE) : "0",
    MANAGED_AMI_BATCH_LINGER_MS: String(DEFAULT_LINGER_MS * TIME_SCALE),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return aws;
}

/** Seeds `count` available EBS images over `snapshotsPerAmi` own snapshots each, straight into state (no tokens used). */
export function seedImages(
  aws: LocalAws,
  count: number,
  snapshotsPerAmi: number,
  prefix: string,
): ManagedAmiOutputs[] {
  const store = aws.state.ec2;
  const now = aws.clock.now();
  const outs: ManagedAmiOutputs[] = [];
  for (let i = 0; i < count; i++) {
    const snapshotIds: string[] = [];
    for (let d = 0; d < snapshotsPerAmi; d++) {
      const id = newId("snap");
      store.snapshots.set(id, {
        snapshotId: id,
        region: REGION,
        ownerId: ACCOUNT,
        volumeId: "vol-ffffffff",
        volumeSize: 8,
        description: `${prefix} ${i}/${d}`,
        state: "completed",
        startTime: now,
        completedAt: now,
        encrypted: false,
        tags: [],
      });
      snapshotIds.push(id);
    }
    const imageId = newId("ami");
    const devices = snapshotIds.map((snapshotId, d) => ({
      deviceName: `/dev/xvd${String.fromCharCode(97 + d)}`,
      snapshotId,
    }));
    store.images.set(imageId, {
      imageId,
      region: REGION,
      ownerId: ACCOUNT,
      name: `${prefix}-${i}`,
      state: "available",
      creationDate: now,
      availableAt: now,
      rootDeviceType: "ebs",
      rootDeviceName: "/dev/xvda",
      architecture: "x86_64",
      virtualizationType: "hvm",
      blockDeviceMappings: devices.map((d) => ({
        ...d,
        volumeSize: 8,
        volumeType: "gp3",
        deleteOnTermination: true,
        encrypted: false,
      })),
      tags: [],
      isPublic: false,
      launchPermissions: new Set(),
      protection: { enabled: false, withCooldown: false },
    });
    outs.push({
      name: `${prefix}-${i}`,
      imageId,
      region: REGION,
      ownerId: ACCOUNT,
      state: "available",
      rootDeviceType: "ebs",
      snapshotIds,
      fromSnapshots: { rootDeviceName: "/dev/xvda", blockDeviceMappings: devices },
    });
  }
  return outs;
}

export const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
export const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "n/a");

export function clockLine(): string {
  return TIME_SCALE === 1
    ? "AWS's buckets in real time (local endpoint timeScale 1)"
    : `quick mode: the endpoint's clock and the pacer's refill rates scaled ${f1(1 / TIME_SCALE)}× (timeScale ${TIME_SCALE}); times are simulated seconds`;
}
