/**
 * Benchmark 1 (stack destroy): 200 ManagedAmis × 4 snapshots, every delete started at once (as
 * `pulumi destroy` runs them in one dynamic-provider host), through the provider's real teardown,
 * against local-aws with AWS's published request buckets in real time. Runs, each on a fresh endpoint:
 * the v2 client layer (shared lookups + pacing) a few times; the same with another tool in the
 * account spending half the DeregisterImage refill; the v1 approach (same teardown, sharing and
 * pacing off: each call backs off alone, as release 0.1.0's clients did); and the v2 layer on an
 * endpoint without DeleteAssociatedSnapshots (full mode only: 800 DeleteSnapshot take 140 s).
 * Run alone: `npx ts-node --transpile-only bench/destroy.ts` (BENCH_QUICK=1, BENCH_AMIS, BENCH_REPEATS).
 */
import { DeregisterImageCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { LocalAws } from "../local-aws";
import { coalesceStats } from "../provider/aws/coalesce";
import { ManagedAmiProvider } from "../provider/provider";
import type { ManagedAmiOutputs } from "../provider/types";
import {
  bucketBoundS,
  clockLine,
  COMPETITOR_KEY,
  endpointBucket,
  f1,
  f2,
  KEY,
  QUICK,
  REGION,
  seedImages,
  startBenchAws,
  TIME_SCALE,
  type Layer,
} from "./harness";

export const AMIS = Number(process.env.BENCH_AMIS ?? 200);
export const SNAPSHOTS_PER_AMI = Number(process.env.BENCH_SNAPSHOTS_PER_AMI ?? 4);
/** Repetitions of the main run (timing varies a little from run to run). */
export const REPEATS = Number(process.env.BENCH_REPEATS ?? (QUICK ? 1 : 3));

export interface DestroyResult {
  label: string;
  layer: Layer;
  competitor: boolean;
  /** Seconds from the first call to the last answer (simulated when timeScale ≠ 1). */
  wallS: number;
  /** The least time AWS's buckets allow for the calls they accepted, ours and the competitor's (the slowest bucket decides). */
  boundS: number;
  boundAction: string;
  ratio: number;
  /** Our accepted calls per AMI, and by action. */
  callsPerAmi: number;
  callsByAction: Record<string, number>;
  /** Our throttled answers, and their share of our accepted calls. */
  throttled: number;
  throttledShare: number;
  otherErrors: number;
  failures: number;
  firstFailure?: string;
  leftSnapshots: number;
  leftImages: number;
  /** The competitor's accepted and throttled DeregisterImage calls. */
  competitorAccepted?: number;
  competitorThrottled?: number;
  /** Shared lookups: callers served by the coalescing layer and the calls it made. */
  sharedCallers: number;
  sharedCalls: number;
  /** When our first request arrived and our last DeregisterImage was accepted (s after the start). */
  firstCallS: number;
  lastDeregisterS: number;
  realS: number;
}

/**
 * Another tool in the account: deregisters its own images at half DeregisterImage's refill rate
 * (2.5/s) with a plain SDK client (no retries), until stopped.
 */
function startCompetitor(aws: LocalAws, images: ManagedAmiOutputs[]): { stop(): Promise<void> } {
  const client = new EC2Client({
    region: REGION,
    endpoint: aws.endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: COMPETITOR_KEY.id, secretAccessKey: COMPETITOR_KEY.secret },
  });
  const intervalMs = (1000 / (endpointBucket("DeregisterImage").perSecond / 2)) * TIME_SCALE;
  let i = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    const image = images[i++ % images.length];
    const p = client.send(new DeregisterImageCommand({ ImageId: image.imageId })).catch(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

async function runOne(
  label: string,
  opts: { layer: Layer; competitor?: boolean; supportsDeleteAssociatedSnapshots?: boolean },
): Promise<DestroyResult> {
  const aws = await startBenchAws({
    layer: opts.layer,
    supportsDeleteAssociatedSnapshots: opts.supportsDeleteAssociatedSnapshots,
  });
  const provider = new ManagedAmiProvider();
  try {
    const outs = seedImages(aws, AMIS, SNAPSHOTS_PER_AMI, "bench-destroy");
    const competitor = opts.competitor
      ? startCompetitor(aws, seedImages(aws, 2 * AMIS, 0, "other-tool"))
      : undefined;
    const realStart = Date.now();
    const simStart = aws.clock.now();
    const del = (o: ManagedAmiOutputs): Promise<void> => provider.delete(o.imageId, o);
    const settled = await Promise.allSettled(outs.map(del));
    const simEnd = aws.clock.now();
    const realS = (Date.now() - realStart) / 1000;
    await competitor?.stop();
    const during = aws.log.filter((e) => e.time <= simEnd);
    const ours = during.filter((e) => e.accessKeyId === KEY.id);
    const theirs = during.filter((e) => e.accessKeyId === COMPETITOR_KEY.id);
    const ok = ours.filter((e) => e.status === 200);
    const callsByAction: Record<string, number> = {};
    for (const e of ok) callsByAction[e.action] = (callsByAction[e.action] ?? 0) + 1;
    // The account's bucket counts every accepted call of the action, the competitor's too.
    const acceptedByAction: Record<string, number> = {};
    for (const e of during.filter((x) => x.status === 200))
      acceptedByAction[e.action] = (acceptedByAction[e.action] ?? 0) + 1;
    let boundS = 0;
    let boundAction = "";
    for (const [action, n] of Object.entries(acceptedByAction)) {
      const b = bucketBoundS(action, n);
      if (b > boundS) [boundS, boundAction] = [b, action];
    }
    const wallS = (simEnd - simStart) / 1000;
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    const throttled = ours.filter((e) => e.code === "RequestLimitExceeded").length;
    const shared = coalesceStats();
    return {
      label,
      layer: opts.layer,
      competitor: !!opts.competitor,
      wallS,
      boundS,
      boundAction,
      ratio: boundS > 0 ? wallS / boundS : Number.NaN,
      callsPerAmi: ok.length / AMIS,
      callsByAction,
      throttled,
      throttledShare: ok.length > 0 ? throttled / ok.length : 0,
      otherErrors: ours.filter((e) => e.status !== 200 && e.code !== "RequestLimitExceeded").length,
      failures: rejected.length,
      firstFailure: rejected[0]
        ? String((rejected[0].reason as Error)?.message ?? rejected[0].reason).slice(0, 400)
        : undefined,
      leftSnapshots: outs.reduce(
        (n, o) => n + o.snapshotIds.filter((id) => aws.state.snapshots.has(id)).length,
        0,
      ),
      leftImages: outs.filter((o) => aws.state.images.get(o.imageId)?.state === "available").length,
      competitorAccepted: opts.competitor ? theirs.filter((e) => e.status === 200).length : undefined,
      competitorThrottled: opts.competitor
        ? theirs.filter((e) => e.code === "RequestLimitExceeded").length
        : undefined,
      sharedCallers: shared.callers,
      sharedCalls: shared.calls,
      firstCallS: ours.length > 0 ? (Math.min(...ours.map((e) => e.time)) - simStart) / 1000 : 0,
      lastDeregisterS:
        (Math.max(simStart, ...ok.filter((e) => e.action === "DeregisterImage").map((e) => e.time)) -
          simStart) /
        1000,
      realS,
    };
  } finally {
    await aws.stop();
  }
}

export const MAIN_LABEL = "v2: shared lookups + pacing";
export const COMPETING_LABEL = "v2, another tool spending half the DeregisterImage refill";
export const V1_LABEL = "v1 approach: same teardown, sharing and pacing off";

/** `BENCH_RUNS` picks runs for iteration (comma list of main, competing, v1, v1-competing, no-das); default all. */
const RUNS = new Set((process.env.BENCH_RUNS ?? "main,competing,v1,v1-competing,no-das").split(","));

/**
 * Load the installed runtime before timing: the first load (~1 s: the SDK, the provider modules)
 * is paid once per host process by any teardown design, and would otherwise land on run 1 only.
 */
export function warmUp(): void {
  require("pulumi-managed-ami/runtime");
}

export async function benchDestroy(): Promise<DestroyResult[]> {
  warmUp();
  const results: DestroyResult[] = [];
  if (RUNS.has("main"))
    for (let i = 1; i <= REPEATS; i++)
      results.push(await runOne(`${MAIN_LABEL}, run ${i}/${REPEATS}`, { layer: "v2" }));
  if (RUNS.has("competing")) results.push(await runOne(COMPETING_LABEL, { layer: "v2", competitor: true }));
  if (RUNS.has("v1")) results.push(await runOne(V1_LABEL, { layer: "v1" }));
  if (RUNS.has("v1-competing"))
    results.push(await runOne(`${V1_LABEL}, same competing tool`, { layer: "v1", competitor: true }));
  if (!QUICK && RUNS.has("no-das")) {
    results.push(
      await runOne("v2, endpoint without DeleteAssociatedSnapshots", {
        layer: "v2",
        supportsDeleteAssociatedSnapshots: false,
      }),
    );
  }
  return results;
}

export function destroyMarkdown(results: DestroyResult[]): string {
  const lines = [
    `## 1. Stack destroy: ${AMIS} ManagedAmis × ${SNAPSHOTS_PER_AMI} snapshots, all deletes at once`,
    "",
    `Every delete through the provider's real teardown, one process (as the dynamic-provider host runs them), ${clockLine()}. ` +
      `The endpoint applies AWS's published buckets per account, region and action (DeregisterImage and DeleteSnapshot 100 burst, 5/s; Describe* 100, 20/s). ` +
      `"Bound" is the least time those buckets allow for the calls they accepted (ours and the competing tool's), the slowest bucket deciding; ` +
      `"ratio" is wall ÷ bound (goal ≤ 1.05). Calls and throttled answers are ours; throttled % is of our accepted calls (goal ≤ 5%). ` +
      `The competing tool is another access key of the same account deregistering its own images at 2.5/s with no retries. ` +
      "In-use guard: on (the provider's own teardown: DescribeImageReferences before each DeregisterImage).",
    "",
    "| run | wall (s) | bound (s) | ratio | calls/AMI | throttled (%) | other errors | failed deletes | left: snapshots / images | competitor accepted / throttled |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ...results.map(
      (r) =>
        `| ${r.label} | ${f1(r.wallS)} | ${f1(r.boundS)} (${r.boundAction}) | ${f2(r.ratio)} | ${f2(r.callsPerAmi)} | ` +
        `${r.throttled} (${f1(100 * r.throttledShare)}%) | ${r.otherErrors} | ${r.failures} | ${r.leftSnapshots} / ${r.leftImages} | ` +
        `${r.competitor ? `${r.competitorAccepted} / ${r.competitorThrottled}` : "—"} |`,
    ),
    "",
    "Accepted calls by action (and what the shared-lookup layer did):",
    "",
    ...results.map(
      (r) =>
        `- ${r.label}: ${Object.entries(r.callsByAction)
          .map(([a, n]) => `${a} ${n}`)
          .join(
            ", ",
          )}; ${r.layer === "v2" ? `${r.sharedCallers} lookups served by ${r.sharedCalls} calls` : "no sharing"}; ` +
        `first request at ${f2(r.firstCallS)} s, last DeregisterImage accepted at ${f2(r.lastDeregisterS)} s (real time ${f1(r.realS)} s)`,
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
