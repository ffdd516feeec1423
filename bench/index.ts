/**
 * `npm run bench`: every benchmark, then bench/RESULTS.md with the date, the machine and the figures.
 * 1 stack destroy (bench/destroy.ts), 2 refresh (bench/refresh.ts), 3 state overhead (bench/state.ts),
 * 4 audit scale (bench/audit.ts, owned by the audit command, run as a child process when present).
 * Not part of `npm test`. `BENCH_QUICK=1 npm run bench`: a 4x faster clock, fewer runs,
 * written to bench/RESULTS.quick.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import {
  AMIS,
  benchDestroy,
  COMPETING_LABEL,
  destroyMarkdown,
  MAIN_LABEL,
  SNAPSHOTS_PER_AMI,
  V1_LABEL,
  type DestroyResult,
} from "./destroy";
import { clockLine, f1, f2, QUICK } from "./harness";
import { writeMarkdown } from "./markdown";
import { benchRefresh, REFRESH_AMIS, refreshMarkdown, type RefreshResult } from "./refresh";
import { benchState, stateMarkdown } from "./state";

const ROOT = join(__dirname, "..");
const LOAD_AT_START = loadavg();

function machine(): string {
  const cpu = cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu.length} CPUs (nproc) × ${cpu[0]?.model?.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${process.platform}/${process.arch}`,
    `- Node ${process.version}`,
    `- Load average when the benchmarks started (1/5/15 min): ${LOAD_AT_START.map((l) => l.toFixed(1)).join(" / ")} — the machine is shared; ` +
      "client and endpoint run in one Node process, so CPU contention lengthens the real-time runs",
  ].join("\n");
}

/** bench/audit.ts prints its own Markdown section; run it as written by its owner. */
function auditSection(): string {
  const script = join(__dirname, "audit.ts");
  if (!existsSync(script)) return "## 4. Audit scale\n\nbench/audit.ts is not present; not run.";
  const tsNode = require.resolve("ts-node/dist/bin.js");
  const run = spawnSync(process.execPath, [tsNode, "--transpile-only", script], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    env: process.env,
  });
  const out = (run.stdout ?? "").trim();
  if (run.status !== 0) {
    const err = (run.stderr ?? "").trim().split("\n").slice(-15).join("\n");
    return `## 4. Audit scale\n\nbench/audit.ts exited with ${run.status ?? run.signal}:\n\n\`\`\`\n${err}\n\`\`\`\n${out ? `\n${out}` : ""}`;
  }
  const section = /^## /m.test(out) ? out : `## 4. Audit scale\n\n${out}`;
  return `${section}\n\n${ORG_NOTE}`;
}

/** The organization-scale audit takes minutes: its own command and file. */
const ORG_NOTE =
  "### Organization scale\n\n" +
  "Run separately: `npm run bench:org` writes [RESULTS.org.md](RESULTS.org.md) (50 accounts × 4 regions × 2,000 snapshots / 400 images, " +
  "`managed-ami audit --organization` at `--concurrency` 4 and 16).";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function summary(destroy: DestroyResult[], refresh: RefreshResult[]): string {
  const main = destroy.filter((r) => r.label.startsWith(MAIN_LABEL));
  const competing = destroy.find((r) => r.label === COMPETING_LABEL);
  const v1 = destroy.find((r) => r.label === V1_LABEL);
  const ratios = main.map((r) => r.ratio);
  const lines = [
    `- Stack destroy of ${AMIS} AMIs × ${SNAPSHOTS_PER_AMI} snapshots (${clockLine()}): median ${f1(median(main.map((r) => r.wallS)))} s ` +
      `for a bucket bound of ${f1(main[0].boundS)} s — ratio ${f2(median(ratios))} (range ${f2(Math.min(...ratios))}–${f2(Math.max(...ratios))}; goal ≤ 1.05), ` +
      `${f2(median(main.map((r) => r.callsPerAmi)))} API calls per AMI (goal ≤ 1.3), throttled answers ${f1(100 * Math.max(...main.map((r) => r.throttledShare)))}% of accepted calls at most (goal ≤ 5%), ` +
      `${main.reduce((n, r) => n + r.failures, 0)} failed deletes, ${main.reduce((n, r) => n + r.leftSnapshots, 0)} snapshots left.`,
  ];
  if (competing)
    lines.push(
      `- With another tool spending half the DeregisterImage refill: ${f1(competing.wallS)} s (ratio ${f2(competing.ratio)} to the bound of all accepted calls), ` +
        `${competing.failures} failed deletes, ${competing.leftSnapshots} snapshots left, our throttled answers ${f1(100 * competing.throttledShare)}%; the other tool: ${competing.competitorAccepted} accepted, ${competing.competitorThrottled} throttled.`,
    );
  if (v1)
    lines.push(
      `- The v1 approach (same teardown, no sharing, no pacing): ${f1(v1.wallS)} s (ratio ${f2(v1.ratio)}), ${f2(v1.callsPerAmi)} calls per AMI, ` +
        `${v1.throttled} throttled answers (${f1(100 * v1.throttledShare)}% of accepted calls), ${v1.failures} failed deletes.`,
    );
  const [r2, r1] = refresh;
  if (r2 && r1)
    lines.push(
      `- Refresh of ${REFRESH_AMIS} ManagedAmis at once: ${r2.calls} calls in ${f1(r2.wallS)} s (v1 approach: ${r1.calls} calls, ${r1.throttled} throttled, ${f1(r1.wallS)} s).`,
    );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const destroy = await benchDestroy();
  console.log(destroyMarkdown(destroy));
  const refresh = await benchRefresh();
  console.log(refreshMarkdown(refresh));
  const state = await benchState();
  console.log(stateMarkdown(state));
  const audit = auditSection();
  console.log(audit);
  const doc = [
    "# Benchmark results",
    "",
    "Produced by `npm run bench` (bench/index.ts). Every figure comes from the local AWS endpoint (local-aws) and the real AWS SDK; simulated time follows AWS's published request-rate buckets.",
    "",
    machine(),
    "",
    "## Summary",
    "",
    summary(destroy, refresh),
    "",
    destroyMarkdown(destroy),
    "",
    refreshMarkdown(refresh),
    "",
    stateMarkdown(state),
    "",
    audit,
    "",
  ].join("\n");
  // Quick mode is for iteration: its figures never replace the ones RESULTS.md quotes.
  const out = QUICK ? "RESULTS.quick.md" : "RESULTS.md";
  await writeMarkdown(join(__dirname, out), doc);
  console.log(`\nwrote ${join("bench", out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
