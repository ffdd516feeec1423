/**
 * `npm run bench`: every benchmark, then bench/RESULTS.md with the date, the machine and the figures.
 * 1 stack destroy (bench/destroy.ts), 2 state overhead (bench/state.ts), 3 audit scale (bench/audit.ts,
 * owned by the audit command, run as a child process when present). Not part of `npm test`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { benchDestroy, destroyMarkdown, type DestroyResult } from "./destroy";
import { benchState, stateMarkdown } from "./state";

const ROOT = join(__dirname, "..");

function machine(): string {
  const cpu = cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu.length} CPUs (nproc) × ${cpu[0]?.model?.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${process.platform}/${process.arch}`,
    `- Node ${process.version}`,
  ].join("\n");
}

/** bench/audit.ts prints its own Markdown section; run it as written by its owner. */
function auditSection(): string {
  const script = join(__dirname, "audit.ts");
  if (!existsSync(script)) return "## 3. Audit scale\n\nbench/audit.ts is not present; not run.";
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
    return `## 3. Audit scale\n\nbench/audit.ts exited with ${run.status ?? run.signal}:\n\n\`\`\`\n${err}\n\`\`\`\n${out ? `\n${out}` : ""}`;
  }
  return /^#+ /m.test(out) ? out : `## 3. Audit scale\n\n${out}`;
}

function summary(results: DestroyResult[]): string {
  const main = results.filter((r) => r.label.startsWith("ManagedAmi destroy (DeleteAssociatedSnapshots)"));
  const naive = results.find((r) => r.label.startsWith("naive"));
  const ratios = main.map((r) => r.ratio).sort((a, b) => a - b);
  const walls = main.map((r) => r.wallS).sort((a, b) => a - b);
  const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)];
  const lines = [
    `- Stack destroy of ${main[0]?.amis} AMIs × ${main[0]?.snapshotsPerAmi} snapshots: median ${median(walls).toFixed(1)} s simulated ` +
      `(bound ${main[0]?.boundS.toFixed(1)} s, ratio ${median(ratios).toFixed(2)}, range ${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}; goal ≤ 1.2), ` +
      `${main[0]?.callsPerAmi.toFixed(2)} API calls per AMI (goal ≤ 4), ${main.reduce((n, r) => n + r.failures, 0)} failed deletes, ` +
      `${main.reduce((n, r) => n + r.leftSnapshots, 0)} snapshots left.`,
  ];
  if (naive)
    lines.push(
      `- Naive teardown (DeregisterImage + DeleteSnapshot each): ${naive.wallS.toFixed(1)} s, ${naive.callsPerAmi.toFixed(2)} calls per AMI, ${naive.throttled} throttled retries — ${(naive.wallS / median(walls)).toFixed(1)}× slower.`,
    );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const destroy = await benchDestroy();
  console.log(destroyMarkdown(destroy));
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
    summary(destroy),
    "",
    destroyMarkdown(destroy),
    "",
    stateMarkdown(state),
    "",
    audit,
    "",
  ].join("\n");
  writeFileSync(join(__dirname, "RESULTS.md"), doc);
  console.log(`\nwrote ${join("bench", "RESULTS.md")}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
