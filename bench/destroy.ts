/**
 * Benchmark 1 (stack destroy): 200 ManagedAmis with 4 snapshots each, every delete started at once
 * (as `pulumi destroy` does by default), against local-aws with AWS's published request buckets on a
 * scaled clock. Compared in the same run with a naive teardown (DeregisterImage, then DeleteSnapshot
 * per snapshot) and with the provider on an endpoint without DeleteAssociatedSnapshots.
 * Run alone: `npm run build && npx ts-node --transpile-only bench/destroy.ts` (env BENCH_AMIS, BENCH_SNAPSHOTS_PER_AMI, BENCH_TIME_SCALE).
 */
import { DeleteSnapshotCommand, DeregisterImageCommand } from "@aws-sdk/client-ec2";
import { startLocalAws, type LocalAws } from "../local-aws";
import { newId } from "../local-aws/ec2/ids";
import { AWS_BUCKETS, DESCRIBE_DEFAULT, MUTATING_DEFAULT, type BucketSize } from "../local-aws/throttle";
import { ec2Client } from "../provider/aws/clients";
import { ManagedAmiProvider } from "../provider/provider";
import type { ManagedAmiOutputs } from "../provider/types";

export const AMIS = Number(process.env.BENCH_AMIS ?? 200);
export const SNAPSHOTS_PER_AMI = Number(process.env.BENCH_SNAPSHOTS_PER_AMI ?? 4);
/** Real ms per simulated ms. The clients' backoff is scaled by the same factor, so simulated time behaves like real time. */
export const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.5);
/** Repetitions of the provider's default configuration (the backoff is jittered). */
export const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const REGION = "us-east-1";
const KEY = { id: "AKIABENCHDESTROY0001", secret: "bench-destroy-secret" };
/** The clients' defaults (provider/aws/clients.ts), in real-world milliseconds. */
const RETRY_DEFAULTS = { budgetMs: 300_000, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface DestroyResult {
  label: string;
  amis: number;
  snapshotsPerAmi: number;
  /** Simulated seconds from the first call to the last answer. */
  wallS: number;
  /** The least time AWS's buckets allow for the successful calls made (the slowest bucket decides). */
  boundS: number;
  boundAction: string;
  ratio: number;
  /** Successful (non-throttled) calls per AMI, by action. */
  callsPerAmi: number;
  callsByAction: Record<string, number>;
  throttled: number;
  otherErrors: number;
  failures: number;
  firstFailure?: string;
  /** Storage left behind (snapshots that still exist) and images still registered. */
  leftSnapshots: number;
  leftImages: number;
  realS: number;
}

function bucketFor(action: string): BucketSize {
  return AWS_BUCKETS[action] ?? (/^(Describe|Get|List)/.test(action) ? DESCRIBE_DEFAULT : MUTATING_DEFAULT);
}

/** The least simulated seconds in which `n` calls of `action` can pass its token bucket (starting full). */
export function bucketBoundS(action: string, n: number): number {
  const b = bucketFor(action);
  return Math.max(0, (n - b.burst) / b.perSecond);
}

/** Seeds AMIS images, each over SNAPSHOTS_PER_AMI own snapshots, straight into state (no bucket tokens used). */
function seed(aws: LocalAws, owner: string): ManagedAmiOutputs[] {
  const store = aws.state.ec2;
  const now = aws.clock.now();
  const outs: ManagedAmiOutputs[] = [];
  for (let i = 0; i < AMIS; i++) {
    const snapshotIds: string[] = [];
    for (let d = 0; d < SNAPSHOTS_PER_AMI; d++) {
      const id = newId("snap");
      store.snapshots.set(id, {
        snapshotId: id,
        region: REGION,
        ownerId: owner,
        volumeId: "vol-ffffffff",
        volumeSize: 8,
        description: `bench ${i}/${d}`,
        state: "completed",
        startTime: now,
        completedAt: now,
        encrypted: false,
        tags: [],
      });
      snapshotIds.push(id);
    }
    const imageId = newId("ami");
    store.images.set(imageId, {
      imageId,
      region: REGION,
      ownerId: owner,
      name: `bench-destroy-${i}`,
      state: "available",
      creationDate: now,
      availableAt: now,
      rootDeviceType: "ebs",
      rootDeviceName: "/dev/xvda",
      architecture: "x86_64",
      virtualizationType: "hvm",
      blockDeviceMappings: snapshotIds.map((snapshotId, d) => ({
        deviceName: `/dev/xvd${String.fromCharCode(97 + d)}`,
        snapshotId,
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
      name: `bench-destroy-${i}`,
      imageId,
      region: REGION,
      ownerId: owner,
      state: "available",
      rootDeviceType: "ebs",
      snapshotIds,
      fromSnapshots: {
        rootDeviceName: "/dev/xvda",
        blockDeviceMappings: snapshotIds.map((snapshotId, d) => ({
          deviceName: `/dev/xvd${String.fromCharCode(97 + d)}`,
          snapshotId,
        })),
      },
    });
  }
  return outs;
}

/** What a naive teardown does: deregister, then DeleteSnapshot each snapshot (same retrying client). */
async function naiveDelete(out: ManagedAmiOutputs): Promise<void> {
  const ec2 = ec2Client(out.region);
  await ec2.send(new DeregisterImageCommand({ ImageId: out.imageId }));
  await Promise.all(out.snapshotIds.map((id) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }))));
}

async function runOne(
  label: string,
  opts: { supportsDeleteAssociatedSnapshots: boolean; maxDelayMs?: number; throttling?: boolean },
  del: (o: ManagedAmiOutputs) => Promise<void>,
): Promise<DestroyResult> {
  const aws = await startLocalAws({
    timeScale: TIME_SCALE,
    throttling: opts.throttling ?? true,
    supportsDeleteAssociatedSnapshots: opts.supportsDeleteAssociatedSnapshots,
    accounts: { [KEY.id]: "123456789012" },
    seedBaseImages: false,
  });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: KEY.id,
    AWS_SECRET_ACCESS_KEY: KEY.secret,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    // The clients' real-world backoff, scaled like the endpoint's clock.
    MANAGED_AMI_RETRY_BUDGET_MS: String(RETRY_DEFAULTS.budgetMs * TIME_SCALE),
    MANAGED_AMI_RETRY_BASE_MS: String(RETRY_DEFAULTS.baseDelayMs * TIME_SCALE),
    MANAGED_AMI_RETRY_MAX_DELAY_MS: String((opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs) * TIME_SCALE),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  try {
    const outs = seed(aws, "123456789012");
    const realStart = Date.now();
    const simStart = aws.clock.now();
    const settled = await Promise.allSettled(outs.map((o) => del(o)));
    const simEnd = aws.clock.now();
    const realS = (Date.now() - realStart) / 1000;
    const ok = aws.log.filter((e) => e.status === 200);
    const callsByAction: Record<string, number> = {};
    for (const e of ok) callsByAction[e.action] = (callsByAction[e.action] ?? 0) + 1;
    let boundS = 0;
    let boundAction = "";
    for (const [action, n] of Object.entries(callsByAction)) {
      const b = bucketBoundS(action, n);
      if (b > boundS) [boundS, boundAction] = [b, action];
    }
    const wallS = (simEnd - simStart) / 1000;
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    const leftSnapshots = outs.reduce(
      (n, o) => n + o.snapshotIds.filter((id) => aws.state.snapshots.has(id)).length,
      0,
    );
    const leftImages = outs.filter((o) => aws.state.images.get(o.imageId)?.state === "available").length;
    return {
      label,
      amis: AMIS,
      snapshotsPerAmi: SNAPSHOTS_PER_AMI,
      wallS,
      boundS,
      boundAction,
      ratio: boundS > 0 ? wallS / boundS : Number.NaN,
      callsPerAmi: ok.length / AMIS,
      callsByAction,
      throttled: aws.log.filter((e) => e.code === "RequestLimitExceeded").length,
      otherErrors: aws.log.filter((e) => e.status !== 200 && e.code !== "RequestLimitExceeded").length,
      failures: rejected.length,
      firstFailure: rejected[0]
        ? String((rejected[0].reason as Error)?.message ?? rejected[0].reason).slice(0, 300)
        : undefined,
      leftSnapshots,
      leftImages,
      realS,
    };
  } finally {
    await aws.stop();
  }
}

/**
 * The runs, one fresh endpoint each (buckets start full): the provider, the provider with smaller
 * backoff caps (what MANAGED_AMI_RETRY_MAX_DELAY_MS would change), the provider on an endpoint
 * without DeleteAssociatedSnapshots, and the naive baseline.
 */
export async function benchDestroy(): Promise<DestroyResult[]> {
  const provider = new ManagedAmiProvider();
  const managed = (o: ManagedAmiOutputs): Promise<void> => provider.delete(o.imageId, o);
  const results: DestroyResult[] = [];
  // Backoff is jittered: the provider's default configuration is run REPEATS times.
  for (let i = 1; i <= REPEATS; i++) {
    results.push(
      await runOne(
        `ManagedAmi destroy (DeleteAssociatedSnapshots), run ${i}/${REPEATS}`,
        { supportsDeleteAssociatedSnapshots: true },
        managed,
      ),
    );
  }
  return [
    ...results,
    await runOne(
      "control: same, throttling OFF (this harness's own CPU cost, in simulated s)",
      { supportsDeleteAssociatedSnapshots: true, throttling: false },
      managed,
    ),
    await runOne(
      "same, backoff cap 20 s (MANAGED_AMI_RETRY_MAX_DELAY_MS=20000, the earlier default)",
      { supportsDeleteAssociatedSnapshots: true, maxDelayMs: 20_000 },
      managed,
    ),
    await runOne(
      "same, backoff cap 2 s (MANAGED_AMI_RETRY_MAX_DELAY_MS=2000)",
      { supportsDeleteAssociatedSnapshots: true, maxDelayMs: 2_000 },
      managed,
    ),
    await runOne(
      "ManagedAmi destroy, endpoint without DeleteAssociatedSnapshots",
      { supportsDeleteAssociatedSnapshots: false },
      managed,
    ),
    await runOne(
      "naive baseline: DeregisterImage + DeleteSnapshot per snapshot",
      { supportsDeleteAssociatedSnapshots: true },
      naiveDelete,
    ),
  ];
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "n/a");
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "n/a");

export function destroyMarkdown(results: DestroyResult[]): string {
  const lines = [
    `## 1. Stack destroy: ${AMIS} ManagedAmis × ${SNAPSHOTS_PER_AMI} snapshots, all deletes at once`,
    "",
    `Local endpoint with AWS's published buckets (DeregisterImage and DeleteSnapshot: 100 burst, 5/s; DescribeImages and other Describe*: 100, 20/s), ` +
      `clock scaled ${f1(1 / TIME_SCALE)}× (timeScale ${TIME_SCALE}); the clients' backoff defaults (base 200 ms, throttling 500 ms, cap 5 s, budget 5 min) scaled by the same factor. ` +
      `Times are simulated seconds. "Bound" is the least time the buckets allow for the successful calls made (the slowest bucket decides). ` +
      `Client and endpoint share one Node process, so each request's CPU time is also stretched by 1/timeScale: the throttling-OFF control row shows that floor.`,
    "",
    "| run | wall (s) | bound (s) | ratio | calls/AMI | throttled retries | other errors | failed deletes | left: snapshots / images |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ...results.map(
      (r) =>
        `| ${r.label} | ${f1(r.wallS)} | ${f1(r.boundS)} (${r.boundAction}) | ${f2(r.ratio)} | ${f2(r.callsPerAmi)} | ${r.throttled} | ${r.otherErrors} | ${r.failures} | ${r.leftSnapshots} / ${r.leftImages} |`,
    ),
    "",
    "Successful calls by action:",
    "",
    ...results.map(
      (r) =>
        `- ${r.label}: ${Object.entries(r.callsByAction)
          .map(([a, n]) => `${a} ${n}`)
          .join(", ")} (real time ${f1(r.realS)} s)`,
    ),
  ];
  const failed = results.filter((r) => r.firstFailure);
  if (failed.length > 0)
    lines.push(
      "",
      "First failure of each run with failures:",
      "",
      ...failed.map((r) => `- ${r.label}: ${r.firstFailure}`),
    );
  return lines.join("\n");
}

if (require.main === module) {
  benchDestroy()
    .then((r) => console.log(destroyMarkdown(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
