/**
 * `managed-ami audit`, top to bottom: check flags, resolve region and credentials, pick regions,
 * scan, print, then (only with `--delete`) confirm and delete. Returns the exit code:
 * 0 nothing found or all deleted, 1 orphans found (CI can gate on it), 2 usage or AWS error.
 */
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { createInterface } from "node:readline";
import { ec2Client, s3Client } from "../../provider/aws/clients";
import { errorCode, errorMessage, isAccessDenied, isNoSuchBucket, isThrottling, isTransient } from "../../provider/aws/errors";
import { resolveRegion } from "../../provider/aws/region";
import type { TagFilter } from "./classify";
import { DeleteReport, DryRunReport, deleteListed, dryRunDelete } from "./delete";
import { UsageError, checkBucketNames, checkRegionNames, parseDuration, parseTagFilter } from "./options";
import { ProgressStream, progressBar } from "./progress";
import { AuditReport, buildReport, formatBytes, renderHuman } from "./render";
import { AuditClients, ScanResult, scan } from "./scan";

/** Exit codes (documented in the README). */
export const EXIT = { CLEAN: 0, ORPHANS_FOUND: 1, ERROR: 2 } as const;

/** The audit's flags as commander hands them over. */
export interface AuditFlags {
  region?: string[];
  allRegions?: boolean;
  json?: boolean;
  bucket?: string[];
  olderThan?: string;
  excludeTag?: string[];
  delete?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

/** Where the audit reads and writes; the CLI passes the process's streams. */
export interface AuditIo {
  stdout: { write(chunk: string): unknown };
  stderr: ProgressStream;
  /** Asks a yes/no question; default: a readline prompt on stdin/stderr when both are terminals. */
  confirm?: (question: string) => Promise<boolean>;
  /** Whether a person can answer `confirm` (stdin and stderr are terminals). */
  interactive?: boolean;
}

/** Injected for tests; defaults build the package's clients (bounded retries) per region. */
export interface AuditDeps {
  clients?: AuditClients;
  now?: () => Date;
}

/** A failure the CLI reports with exit code 2 and this message (already says what to do). */
export class AuditError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AuditError";
  }
}

interface Plan {
  regions: string[];
  allRegions: boolean;
  buckets: string[];
  olderThanMs?: number;
  excludeTags: TagFilter[];
}

/** Checks the flags before any AWS call; throws UsageError naming the flag and the fix. */
export function planFromFlags(flags: AuditFlags, interactive: boolean): Plan {
  const regions = checkRegionNames(flags.region ?? []);
  if (flags.allRegions && regions.length > 0) throw new UsageError("--region and --all-regions exclude each other: pass one of them.");
  if (flags.dryRun && !flags.delete) throw new UsageError("--dry-run checks the permissions of --delete: pass --delete --dry-run.");
  if (flags.yes && !flags.delete) throw new UsageError("--yes confirms --delete: pass --delete --yes, or drop --yes.");
  if (flags.delete && !flags.dryRun && !flags.yes && !interactive) {
    throw new UsageError("--delete needs a confirmation and there is no terminal to ask on: pass --yes to delete without asking.");
  }
  return {
    regions,
    allRegions: flags.allRegions ?? false,
    buckets: checkBucketNames(flags.bucket ?? []),
    olderThanMs: flags.olderThan !== undefined ? parseDuration(flags.olderThan) : undefined,
    excludeTags: (flags.excludeTag ?? []).map(parseTagFilter),
  };
}

/** Clients built by `provider/aws/clients.ts`, one per region and service. */
export function defaultClients(): AuditClients {
  const ec2 = new Map<string, EC2Client>();
  const s3 = new Map<string, S3Client>();
  return {
    ec2: (region) => ec2.get(region) ?? (ec2.set(region, ec2Client(region)).get(region) as EC2Client),
    s3: (region) => s3.get(region) ?? (s3.set(region, s3Client(region)).get(region) as S3Client),
  };
}

/** Runs the audit; returns the exit code. Messages for exit 2 go to stderr. */
export async function runAudit(flags: AuditFlags, io: AuditIo, deps: AuditDeps = {}): Promise<number> {
  const interactive = io.interactive ?? false;
  try {
    const plan = planFromFlags(flags, interactive || io.confirm !== undefined);
    const clients = deps.clients ?? defaultClients();
    const home = await homeRegion(plan.regions[0], plan.allRegions);
    await checkCredentials(clients.ec2(home));
    const regions = await chooseRegions(clients.ec2(home), plan, home, io);

    const bar = progressBar(io.stderr);
    let found: ScanResult;
    try {
      found = await scan({
        regions,
        buckets: plan.buckets,
        olderThanMs: plan.olderThanMs,
        excludeTags: plan.excludeTags,
        clients,
        homeRegion: home,
        onProgress: (p) => bar.update(p),
        now: deps.now,
      });
    } finally {
      bar.done();
    }
    for (const key of found.unreadableManifests) {
      io.stderr.write(`warning: s3://${key} is not an AMI bundle manifest; left out.\n`);
    }
    const report = buildReport(found.orphanedSnapshots, found.orphanedBundles);
    const anything = found.orphanedSnapshots.length + found.orphanedBundles.length > 0;
    const scanned = { regions, snapshots: found.snapshotsScanned, images: found.imagesScanned, buckets: plan.buckets };

    if (!flags.delete || !anything) {
      if (flags.json) io.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else io.stdout.write(renderHuman(report, scanned));
      if (anything && !flags.json) {
        io.stderr.write("Orphaned storage found (exit code 1). Review the list, then run again with --delete to delete exactly these.\n");
      }
      return anything ? EXIT.ORPHANS_FOUND : EXIT.CLEAN;
    }

    if (!flags.json) io.stdout.write(renderHuman(report, scanned));
    if (flags.dryRun) {
      const dry = await dryRunDelete(found.orphanedSnapshots, found.orphanedBundles, clients);
      if (flags.json) io.stdout.write(JSON.stringify({ ...report, dryRun: dryRunJson(dry) }, null, 2) + "\n");
      else io.stdout.write(renderDryRun(dry));
      for (const d of dry.denied) io.stderr.write(d.message + "\n");
      return dry.denied.length > 0 ? EXIT.ERROR : EXIT.ORPHANS_FOUND;
    }

    if (!flags.yes) {
      const t = report.totals;
      const question =
        `Delete ${t.orphanedSnapshots} snapshot(s) (${t.snapshotGiB} GiB) and ${t.orphanedBundles} bundle(s) ` +
        `(${formatBytes(t.bundleBytes)}) listed above? This cannot be undone. Type "yes" to delete: `;
      const ok = await (io.confirm ?? promptYes)(question);
      if (!ok) {
        if (flags.json) io.stdout.write(JSON.stringify(report, null, 2) + "\n");
        io.stderr.write("Nothing deleted.\n");
        return EXIT.ORPHANS_FOUND;
      }
    }
    const done = await deleteListed(found.orphanedSnapshots, found.orphanedBundles, clients);
    if (flags.json) io.stdout.write(JSON.stringify({ ...report, deletion: deletionJson(done) }, null, 2) + "\n");
    else io.stdout.write(renderDeletion(done));
    for (const f of [...done.failedSnapshots, ...done.failedBundles]) io.stderr.write(f.message + "\n");
    return done.failedSnapshots.length + done.failedBundles.length > 0 ? EXIT.ERROR : EXIT.CLEAN;
  } catch (err) {
    io.stderr.write(`managed-ami audit: ${explainError(err)}\n`);
    return EXIT.ERROR;
  }
}

/** The region for region-independent calls: the first --region, else the SDK's; us-east-1 for --all-regions. */
async function homeRegion(first: string | undefined, allRegions: boolean): Promise<string> {
  if (first) return first;
  try {
    return await resolveRegion(undefined);
  } catch {
    if (allRegions) return "us-east-1";
    throw new AuditError("no AWS region: pass --region R (or --all-regions), or set AWS_REGION or a region in your AWS profile.");
  }
}

/** Resolves credentials through the SDK's chain before any request, so "none found" gets its own message. */
async function checkCredentials(ec2: EC2Client): Promise<void> {
  try {
    const creds = await ec2.config.credentials();
    if (!creds?.accessKeyId) throw new Error("empty credentials");
  } catch (err) {
    throw new AuditError(
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (run `aws sso login` for SSO profiles), then run again.",
      { cause: err },
    );
  }
}

/** `--all-regions`: every region enabled for the account. `--region`: each must exist and be enabled. */
async function chooseRegions(ec2: EC2Client, plan: Plan, home: string, io: AuditIo): Promise<string[]> {
  let known: Map<string, string>;
  try {
    const out = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    known = new Map((out.Regions ?? []).map((r) => [r.RegionName ?? "", r.OptInStatus ?? "opt-in-not-required"]));
  } catch (err) {
    if (plan.allRegions) throw err;
    io.stderr.write(`warning: could not list regions to check --region (${errorCode(err) || "error"}: ${errorMessage(err)}); scanning as given.\n`);
    return plan.regions.length ? plan.regions : [home];
  }
  if (plan.allRegions) return [...known].filter(([, status]) => status !== "not-opted-in").map(([name]) => name).sort();
  const wanted = plan.regions.length ? plan.regions : [home];
  for (const r of wanted) {
    const status = known.get(r);
    if (status === undefined) {
      throw new AuditError(`unknown region "${r}": it is not in this account's DescribeRegions. Check the spelling (e.g. us-east-1) or use --all-regions.`);
    }
    if (status === "not-opted-in") {
      throw new AuditError(`region "${r}" is not enabled for this account: enable it (Account settings → AWS Regions) or leave it out.`);
    }
  }
  return wanted;
}

/** One message for an exit-2 failure: what went wrong and what to do. */
export function explainError(err: unknown): string {
  if (err instanceof UsageError || err instanceof AuditError) return err.message;
  const code = errorCode(err) || "Error";
  const text = errorMessage(err);
  if (isAccessDenied(err)) {
    return (
      `access denied (${code}: ${text}). The audit needs ec2:DescribeRegions, ec2:DescribeImages and ec2:DescribeSnapshots; ` +
      "with --bucket also s3:GetBucketLocation, s3:ListBucket and s3:GetObject; with --delete also ec2:DeleteSnapshot and s3:DeleteObject. " +
      "Grant them to the identity in use, or check that its credentials are valid and not expired."
    );
  }
  if (isNoSuchBucket(err)) return `a --bucket does not exist (${code}: ${text}). Check the bucket name.`;
  if (isThrottling(err)) {
    return `AWS kept throttling requests (${code}) for the whole retry budget. Run again later, or raise MANAGED_AMI_RETRY_BUDGET_MS.`;
  }
  if (isTransient(err)) {
    return `could not reach AWS (${code}: ${text}). Check the network, the region and any AWS_ENDPOINT_URL* setting, then run again.`;
  }
  return `${code}: ${text}`;
}

async function promptYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return answer.trim().toLowerCase() === "yes";
  } finally {
    rl.close();
  }
}

function deletionJson(d: DeleteReport): Record<string, unknown> {
  return {
    deletedSnapshots: d.deletedSnapshots.map((s) => s.snapshotId),
    alreadyGoneSnapshots: d.alreadyGoneSnapshots.map((s) => s.snapshotId),
    keptSnapshots: d.keptSnapshots.map((k) => ({ snapshotId: k.snapshot.snapshotId, usedBy: k.usedBy })),
    failedSnapshots: d.failedSnapshots.map((f) => ({ snapshotId: f.snapshot.snapshotId, message: f.message })),
    deletedBundles: d.deletedBundles.map((b) => `${b.bucket}/${b.manifestKey}`),
    keptBundles: d.keptBundles.map((k) => ({ manifest: `${k.bundle.bucket}/${k.bundle.manifestKey}`, usedBy: k.usedBy })),
    failedBundles: d.failedBundles.map((f) => ({ manifest: `${f.bundle.bucket}/${f.bundle.manifestKey}`, message: f.message })),
    freedGiB: d.freedGiB,
    freedBytes: d.freedBytes,
  };
}

function dryRunJson(d: DryRunReport): Record<string, unknown> {
  return {
    permitted: d.permitted.map((s) => s.snapshotId),
    denied: d.denied.map((x) => ({ snapshotId: x.snapshot.snapshotId, message: x.message })),
    gone: d.gone.map((s) => s.snapshotId),
    inUse: d.inUse.map((s) => s.snapshotId),
    bundlesNotChecked: d.bundlesNotChecked,
  };
}

function renderDeletion(d: DeleteReport): string {
  const lines: string[] = [];
  for (const s of d.deletedSnapshots) lines.push(`deleted ${s.snapshotId} (${s.region}, ${s.sizeGiB} GiB)`);
  for (const b of d.deletedBundles) lines.push(`deleted s3://${b.bucket}/${b.manifestKey} and ${b.partKeys.length} part(s) (${formatBytes(b.totalBytes)})`);
  for (const s of d.alreadyGoneSnapshots) lines.push(`already gone ${s.snapshotId}`);
  for (const k of d.keptSnapshots) lines.push(`kept ${k.snapshot.snapshotId}: now used by ${k.usedBy.join(", ")}`);
  for (const k of d.keptBundles) lines.push(`kept s3://${k.bundle.bucket}/${k.bundle.manifestKey}: now used by ${k.usedBy.join(", ")}`);
  const failed = d.failedSnapshots.length + d.failedBundles.length;
  lines.push(
    `Freed ${d.freedGiB} GiB of snapshots (${d.deletedSnapshots.length}) and ${formatBytes(d.freedBytes)} of bundles (${d.deletedBundles.length})` +
      (failed ? `; ${failed} item(s) could not be deleted (see below).` : "."),
  );
  return lines.join("\n") + "\n";
}

function renderDryRun(d: DryRunReport): string {
  const lines = [
    `Dry run: DeleteSnapshot would be permitted for ${d.permitted.length} snapshot(s); denied for ${d.denied.length}; ${d.gone.length} already gone; ${d.inUse.length} in use again (would be kept).`,
  ];
  if (d.bundlesNotChecked) lines.push(`${d.bundlesNotChecked} bundle(s) not checked: S3 has no dry-run.`);
  lines.push("Nothing was deleted.");
  return lines.join("\n") + "\n";
}

export type { AuditReport };
