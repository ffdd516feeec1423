/**
 * `managed-ami audit`, run as a user runs it: the built CLI in a child process, with one account's
 * credentials, its JSON document parsed for the figures the demo prints.
 */
import { spawn } from "child_process";
import { join } from "path";
import { packageRoot } from "../engine";

/** The figures of one audit run. */
export interface AuditFigures {
  exitCode: number;
  orphanedSnapshots: string[];
  snapshotGiB: number;
  monthlyUsd: number;
  /** With `--delete --yes`: the snapshots it deleted. */
  deletedSnapshots: string[];
}

/** Runs `managed-ami audit --json [args]` with `env`; resolves with the parsed figures. */
export function runAuditCli(env: Record<string, string>, args: string[] = []): Promise<AuditFigures> {
  const cli = join(packageRoot(), "dist", "cli", "managed-ami.js");
  const child = spawn(process.execPath, [cli, "audit", "--json", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(out) as Record<string, unknown>;
      } catch {
        reject(
          new Error(
            `managed-ami audit ${args.join(" ")} exited ${code} without a JSON document:\n${out}${err}`,
          ),
        );
        return;
      }
      const report = (doc.report ?? doc) as {
        orphanedSnapshots?: { snapshotId: string }[];
        totals?: { snapshotGiB?: number; estimatedMonthlyUsd?: { total?: number } };
      };
      const deleted = (doc.deleted ?? doc.deletion ?? doc) as {
        deletedSnapshots?: (string | { snapshotId: string })[];
      };
      resolve({
        exitCode: code ?? -1,
        orphanedSnapshots: (report.orphanedSnapshots ?? []).map((s) => s.snapshotId),
        snapshotGiB: report.totals?.snapshotGiB ?? 0,
        monthlyUsd: report.totals?.estimatedMonthlyUsd?.total ?? 0,
        deletedSnapshots: (deleted.deletedSnapshots ?? []).map((s) =>
          typeof s === "string" ? s : s.snapshotId,
        ),
      });
    });
  });
}
