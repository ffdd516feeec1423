/**
 * Runs the built `managed-ami` CLI as a child process for the audit benchmarks, with a preload that
 * records its peak RSS (getrusage maxRSS) at exit.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(__dirname, "..");
export const BIN = join(ROOT, "dist", "cli", "managed-ami.js");

/** A temp dir with the RSS probe preload; `env` points a child at it. */
export function rssProbe(prefix: string): { dir: string; rssFile: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const probe = join(dir, "rss-probe.js");
  const rssFile = join(dir, "rss.json");
  writeFileSync(
    probe,
    `process.on("exit", () => require("fs").writeFileSync(process.env.AUDIT_BENCH_RSS_FILE, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS })));\n`,
  );
  return { dir, rssFile, env: { AUDIT_BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--require ${probe}` } };
}

/** Runs the CLI with `args` and `env`; resolves with its exit code, output and wall time. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr, ms: Date.now() - started }),
    );
  });
}
