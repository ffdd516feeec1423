/**
 * `audit --delete`: deletes exactly the storage the scan listed, each item through the shared
 * safety core (`provider/safety.ts`), which re-checks right before deleting that no registered
 * image uses it. `--dry-run` only asks EC2 (`DryRun`) whether the deletes would be permitted.
 */
import { DeleteSnapshotCommand } from "@aws-sdk/client-ec2";
import {
  errorCode,
  errorMessage,
  isAccessDenied,
  isDryRunOk,
  isSnapshotInUse,
  isSnapshotNotFound,
} from "../../provider/aws/errors";
import { StorageDeleteError, deleteBundleSafely, deleteSnapshotSafely } from "../../provider/safety";
import type { OrphanedBundle } from "./bundles";
import type { AuditClients, ListedSnapshot } from "./scan";
import { forEachLimited } from "./scan";

/** What `--delete` did, item by item. */
export interface DeleteReport {
  deletedSnapshots: ListedSnapshot[];
  /** Listed, but gone by the time we got to them (someone else deleted them). */
  alreadyGoneSnapshots: ListedSnapshot[];
  /** Listed, but a registered image used them by the time we got to them: left in place. */
  keptSnapshots: Array<{ snapshot: ListedSnapshot; usedBy: string[] }>;
  failedSnapshots: Array<{ snapshot: ListedSnapshot; message: string }>;
  deletedBundles: OrphanedBundle[];
  keptBundles: Array<{ bundle: OrphanedBundle; usedBy: string[] }>;
  failedBundles: Array<{ bundle: OrphanedBundle; message: string }>;
  freedGiB: number;
  freedBytes: number;
}

export interface DeleteOptions {
  /** Deletes in flight per region; default 5 (AWS refills DeleteSnapshot at 5 per second). */
  concurrency?: number;
  onItem?: (done: number, total: number) => void;
}

/** Deletes every listed snapshot and bundle that is still unreferenced; never anything else. */
export async function deleteListed(
  snapshots: readonly ListedSnapshot[],
  bundles: readonly OrphanedBundle[],
  clients: AuditClients,
  opts: DeleteOptions = {},
): Promise<DeleteReport> {
  const report: DeleteReport = {
    deletedSnapshots: [],
    alreadyGoneSnapshots: [],
    keptSnapshots: [],
    failedSnapshots: [],
    deletedBundles: [],
    keptBundles: [],
    failedBundles: [],
    freedGiB: 0,
    freedBytes: 0,
  };
  const total = snapshots.length + bundles.length;
  let done = 0;
  const tick = (): void => opts.onItem?.(++done, total);

  for (const [region, inRegion] of groupBy(snapshots, (s) => s.region)) {
    const ec2 = clients.ec2(region);
    await forEachLimited(inRegion, opts.concurrency ?? 5, async (snapshot) => {
      try {
        // No wait on InvalidSnapshot.InUse: unlike a teardown, nothing here was just deregistered.
        const r = await deleteSnapshotSafely(ec2, snapshot.snapshotId, { inUseTimeoutMs: 0 });
        if (r.outcome === "deleted") {
          report.deletedSnapshots.push(snapshot);
          report.freedGiB += snapshot.sizeGiB;
        } else if (r.outcome === "already-gone") report.alreadyGoneSnapshots.push(snapshot);
        else report.keptSnapshots.push({ snapshot, usedBy: r.usedBy ?? [] });
      } catch (err) {
        report.failedSnapshots.push({
          snapshot,
          message: explain(`snapshot ${snapshot.snapshotId} (${region})`, err, "ec2:DeleteSnapshot"),
        });
      }
      tick();
    });
  }

  for (const bundle of bundles) {
    try {
      const r = await deleteBundleSafely(clients.ec2(bundle.region), clients.s3(bundle.region), {
        bucket: bundle.bucket,
        manifestKey: bundle.manifestKey,
        partKeys: bundle.partKeys,
      });
      if (r.outcome === "deleted") {
        report.deletedBundles.push(bundle);
        report.freedBytes += bundle.totalBytes;
      } else report.keptBundles.push({ bundle, usedBy: r.usedBy ?? [] });
    } catch (err) {
      report.failedBundles.push({
        bundle,
        message: explain(`bundle s3://${bundle.bucket}/${bundle.manifestKey}`, err, "s3:DeleteObject"),
      });
    }
    tick();
  }
  report.deletedSnapshots.sort((a, b) => a.snapshotId.localeCompare(b.snapshotId));
  return report;
}

/** What `--dry-run` found out. */
export interface DryRunReport {
  /** Snapshots EC2 says the caller may delete. */
  permitted: ListedSnapshot[];
  denied: Array<{ snapshot: ListedSnapshot; message: string }>;
  /** Gone since the scan. */
  gone: ListedSnapshot[];
  /** Used by an image again since the scan (a real delete would keep them). */
  inUse: ListedSnapshot[];
  /** S3 has no dry-run; bundles are listed but their permissions are not checked. */
  bundlesNotChecked: number;
}

/** `DeleteSnapshot` with `DryRun: true` for every listed snapshot: checks permissions, deletes nothing. */
export async function dryRunDelete(
  snapshots: readonly ListedSnapshot[],
  bundles: readonly OrphanedBundle[],
  clients: AuditClients,
  opts: DeleteOptions = {},
): Promise<DryRunReport> {
  const report: DryRunReport = {
    permitted: [],
    denied: [],
    gone: [],
    inUse: [],
    bundlesNotChecked: bundles.length,
  };
  for (const [region, inRegion] of groupBy(snapshots, (s) => s.region)) {
    const ec2 = clients.ec2(region);
    await forEachLimited(inRegion, opts.concurrency ?? 5, async (snapshot) => {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.snapshotId, DryRun: true }));
        // An endpoint that ignores DryRun would have deleted it: never treat success as a permission check.
        throw new Error(
          `the endpoint answered DeleteSnapshot DryRun with success instead of DryRunOperation`,
        );
      } catch (err) {
        if (isDryRunOk(err)) report.permitted.push(snapshot);
        else if (isSnapshotNotFound(err)) report.gone.push(snapshot);
        else if (isSnapshotInUse(err)) report.inUse.push(snapshot);
        else
          report.denied.push({
            snapshot,
            message: explain(`snapshot ${snapshot.snapshotId} (${region})`, err, "ec2:DeleteSnapshot"),
          });
      }
    });
  }
  return report;
}

/** One line naming the item, the cause and the fix. */
function explain(target: string, err: unknown, permission: string): string {
  if (err instanceof StorageDeleteError) {
    const fix: Record<StorageDeleteError["reason"], string> = {
      locked:
        "Unlock it (aws ec2 unlock-snapshot) or wait for the lock to expire, or leave it; run the audit again afterwards",
      "access-denied": `Grant ${permission} (and ec2:DescribeImages) to the identity running the audit, then run it again`,
      timeout: "Run `managed-ami audit --delete` again in a few minutes",
      throttled: "Run `managed-ami audit --delete` again later (the retry budget ran out)",
      error: "Fix the cause, then run `managed-ami audit --delete` again",
    };
    return `${target}: ${err.causeText}. ${fix[err.reason]}.`;
  }
  if (err instanceof AggregateError) return err.errors.map((e) => explain(target, e, permission)).join("\n");
  if (isAccessDenied(err)) {
    return `${target}: access denied (${errorCode(err)}: ${errorMessage(err)}). Grant ${permission} to the identity running the audit.`;
  }
  return `${target}: ${errorCode(err) || "error"}: ${errorMessage(err)}.`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
