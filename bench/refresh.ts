/**
 * Benchmark 2 (refresh): `pulumi refresh` of 500 ManagedAmis × 4 snapshots, every read at once through
 * the provider, against local-aws with AWS's buckets; the v2 client layer (shared lookups + pacing)
 * and the v1 approach (both off) on fresh endpoints. Half the images are still registered; the other
 * half were deregistered outside Pulumi with their snapshots left (read then checks the storage).
 * Run alone: `npx ts-node --transpile-only bench/refresh.ts` (BENCH_QUICK=1, BENCH_REFRESH_AMIS).
 */
import { ManagedAmiProvider } from "../provider/provider";
import { clockLine, f1, f2, KEY, seedImages, startBenchAws, type Layer } from "./harness";

export const REFRESH_AMIS = Number(process.env.BENCH_REFRESH_AMIS ?? 500);

export interface RefreshResult {
  label: string;
  wallS: number;
  /** Every request we made (accepted or not), and by action. */
  calls: number;
  callsByAction: Record<string, number>;
  /** Answers that were errors other than throttling (e.g. InvalidAMIID.NotFound for a deregistered image). */
  errorAnswers: number;
  throttled: number;
  failures: number;
  /** Reads that answered "deregistered, storage left" (expected: half). */
  deregistered: number;
  realS: number;
}

async function runOne(label: string, layer: Layer): Promise<RefreshResult> {
  const aws = await startBenchAws({ layer });
  const provider = new ManagedAmiProvider();
  try {
    const outs = seedImages(aws, REFRESH_AMIS, 4, "bench-refresh");
    outs.forEach((o, i) => {
      const image = aws.state.ec2.images.get(o.imageId);
      if (image && i % 2 === 1) aws.state.ec2.images.delete(o.imageId);
    });
    const realStart = Date.now();
    const simStart = aws.clock.now();
    const settled = await Promise.allSettled(outs.map((o) => provider.read(o.imageId, o)));
    const simEnd = aws.clock.now();
    const ours = aws.log.filter((e) => e.accessKeyId === KEY.id);
    const callsByAction: Record<string, number> = {};
    for (const e of ours) callsByAction[e.action] = (callsByAction[e.action] ?? 0) + 1;
    return {
      label,
      wallS: (simEnd - simStart) / 1000,
      calls: ours.length,
      callsByAction,
      errorAnswers: ours.filter((e) => e.status !== 200 && e.code !== "RequestLimitExceeded").length,
      throttled: ours.filter((e) => e.code === "RequestLimitExceeded").length,
      failures: settled.filter((s) => s.status === "rejected").length,
      deregistered: settled.filter((s) => s.status === "fulfilled" && s.value.props?.state === "deregistered")
        .length,
      realS: (Date.now() - realStart) / 1000,
    };
  } finally {
    await aws.stop();
  }
}

export async function benchRefresh(): Promise<RefreshResult[]> {
  require("pulumi-managed-ami/runtime"); // loaded before timing, as in bench/destroy.ts
  return [
    await runOne("v2: shared lookups + pacing", "v2"),
    await runOne("v1 approach: sharing and pacing off", "v1"),
  ];
}

export function refreshMarkdown(results: RefreshResult[]): string {
  return [
    `## 2. Refresh: ${REFRESH_AMIS} ManagedAmis × 4 snapshots, all reads at once`,
    "",
    `Every read through the provider, ${clockLine()}. Half the images are registered; the other half were deregistered outside Pulumi ` +
      `with their snapshots left, so their read also checks the recorded storage (and answers \`deregistered\`). ` +
      `Every request is counted, including the \`InvalidAMIID.NotFound\` answers for the deregistered images: a shared DescribeImages that one ` +
      `unknown id fails is probed once through the \`image-id\` filter, and each missing image's caller then asks alone, to get exactly its own answer.`,
    "",
    "| run | wall (s) | requests | requests per resource | of which error answers (NotFound) | throttled | failed reads | answered deregistered |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.label} | ${f1(r.wallS)} | ${r.calls} | ${f2(r.calls / REFRESH_AMIS)} | ${r.errorAnswers} | ${r.throttled} | ${r.failures} | ${r.deregistered} |`,
    ),
    "",
    ...results.map(
      (r) =>
        `- ${r.label}: ${Object.entries(r.callsByAction)
          .map(([a, n]) => `${a} ${n}`)
          .join(", ")} (real time ${f1(r.realS)} s)`,
    ),
  ].join("\n");
}

if (require.main === module) {
  benchRefresh()
    .then((r) => console.log(refreshMarkdown(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
