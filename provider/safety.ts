/**
 * The one implementation of "safe to delete", shared by the provider's delete and
 * `managed-ami audit --delete`: storage is deleted only after proving, right before the call,
 * that no registered image the caller can see still uses it.
 */
import type { OwnedBundle } from "./types";
import {
  bundleKeys,
  bundleLocation,
  checkBundleKeys,
  deleteKeys,
  readBundle,
  type KeyFailure,
  type S3,
} from "./aws/bundles";
import {
  errorCode,
  errorMessage,
  isAccessDenied,
  isNoSuchKey,
  isSnapshotInUse,
  isSnapshotLocked,
  isThrottling,
  isTransient,
} from "./aws/errors";
import {
  describeImagesById,
  imagesUsingManifest,
  imagesUsingSnapshot,
  imagesUsingSnapshots,
  instanceStoreImagesInBucket,
  type Ec2,
  type ImageUse,
} from "./aws/images";
import { activeLocks, describeLock, type SnapshotLock } from "./aws/locks";
import { deleteSnapshot } from "./aws/snapshots";

export { imagesUsingManifest, imagesUsingSnapshot };

/** Time source and sleeper; tests inject a fake so bounded waits take no real time. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Default bound on retrying `InvalidSnapshot.InUse` after our own deregistration: 3 minutes. */
export const DEFAULT_IN_USE_TIMEOUT_MS = 180_000;

export interface SafeDeleteOptions {
  /**
   * Images not to count as users: only the image this teardown deregistered, or saw deregistered
   * (never one a lagging or empty answer merely failed to show). Default: none.
   */
  ignoreImageIds?: readonly string[];
  /** How long `InvalidSnapshot.InUse` with no visible registered user is retried; default 3 minutes, 0 = no retry. */
  inUseTimeoutMs?: number;
  /**
   * The caller's account. A user image of this account is confirmed by a DeleteSnapshot attempt (AWS
   * refuses with InvalidSnapshot.InUse while it is registered); without it every user is trusted as is.
   */
  accountId?: string;
  /** The users found by a batched lookup (`imagesUsingSnapshots`); default: looked up for this snapshot. */
  users?: readonly ImageUse[];
  /** Locks read by a batched `activeLocks`; default: read for this snapshot. */
  locks?: ReadonlyMap<string, SnapshotLock>;
  clock?: Clock;
}

export interface SnapshotOutcome {
  snapshotId: string;
  outcome: "deleted" | "already-gone" | "in-use";
  /** The registered images that still use the snapshot (outcome `in-use`). */
  usedBy?: string[];
}

/** Why a piece of storage could not be deleted: a short cause and the fix, for the one teardown error. */
export class StorageDeleteError extends Error {
  constructor(
    /** `snapshot snap-…` or `s3://bucket/key`. */
    readonly target: string,
    readonly reason: "locked" | "access-denied" | "timeout" | "throttled" | "error",
    readonly causeText: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${target}: ${causeText}. ${fix}`, options);
    this.name = "StorageDeleteError";
  }
}

/** At most this many snapshots are checked and deleted at once by one teardown or audit. */
export const SNAPSHOT_CONCURRENCY = 8;

/** Run `fn` over `items` with at most `limit` at once; results (settled) in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Delete several snapshots safely: one batched reference lookup and one lock read for all of them,
 * then `deleteSnapshotSafely` each, at most SNAPSHOT_CONCURRENCY at once. Settled, in input order.
 */
export async function deleteSnapshotsSafely(
  ec2: Ec2,
  snapshotIds: readonly string[],
  opts: Omit<SafeDeleteOptions, "users"> = {},
): Promise<PromiseSettledResult<SnapshotOutcome>[]> {
  if (snapshotIds.length === 0) return [];
  const locks =
    opts.locks ??
    (await activeLocks(ec2, snapshotIds).catch((err: unknown) => {
      throw explainFailure(`snapshots ${snapshotIds.join(", ")}`, "DescribeLockedSnapshots", err);
    }));
  const users = await imagesUsingSnapshots(ec2, snapshotIds).catch((err: unknown) => {
    throw explainFailure(`snapshots ${snapshotIds.join(", ")}`, "DescribeImages", err);
  });
  return mapLimit(snapshotIds, SNAPSHOT_CONCURRENCY, (id) =>
    deleteSnapshotSafely(ec2, id, { ...opts, locks, users: users.get(id) ?? [] }),
  );
}

/** A locked snapshot is never attempted: the error names the lock mode, its expiry and the fix. */
export function lockedError(lock: SnapshotLock): StorageDeleteError {
  const { cause, fix } = describeLock(lock);
  return new StorageDeleteError(`snapshot ${lock.snapshotId}`, "locked", cause, fix);
}

/**
 * Delete `snapshotId` unless a registered image still references it (decided in this order):
 * 1. a lock (DescribeLockedSnapshots) → not attempted, `StorageDeleteError` "locked";
 * 2. users from the reference lookup, minus `ignoreImageIds`, re-read by id (one being deregistered
 *    no longer counts); a user of another account → `in-use`; users of the caller's account only →
 *    a DeleteSnapshot attempt decides (AWS's InvalidSnapshot.InUse is authoritative);
 * 3. DeleteSnapshot. NotFound is success. InvalidSnapshot.InUse → one lookup learns the blocking
 *    image: a registered image other than ours → `in-use`; none or our own (deregistration settling)
 *    → the delete is retried with backoff for `inUseTimeoutMs` (no re-paging), then a time-out error.
 */
export async function deleteSnapshotSafely(
  ec2: Ec2,
  snapshotId: string,
  opts: SafeDeleteOptions = {},
): Promise<SnapshotOutcome> {
  const clock = opts.clock ?? realClock;
  const ignore = opts.ignoreImageIds ?? [];
  const timeoutMs = opts.inUseTimeoutMs ?? DEFAULT_IN_USE_TIMEOUT_MS;
  const deadline = clock.now() + timeoutMs;
  const target = `snapshot ${snapshotId}`;

  const locks =
    opts.locks ??
    (await activeLocks(ec2, [snapshotId]).catch((err: unknown) => {
      throw explainFailure(target, "DescribeLockedSnapshots", err);
    }));
  const lock = locks.get(snapshotId);
  if (lock) throw lockedError(lock);

  const found =
    opts.users ??
    (await imagesUsingSnapshots(ec2, [snapshotId])
      .then((m) => m.get(snapshotId) ?? [])
      .catch((err: unknown) => {
        throw explainFailure(target, "DescribeImages", err);
      }));
  let users = await confirmUsers(
    ec2,
    found.filter((u) => !ignore.includes(u.imageId)),
  ).catch((err: unknown) => {
    throw explainFailure(target, "DescribeImages", err);
  });
  if (users.some((u) => !opts.accountId || u.ownerId !== opts.accountId)) {
    return { snapshotId, outcome: "in-use", usedBy: users.map((u) => u.imageId) };
  }
  // Only the caller's own images (if any) still show as users: AWS refuses the delete while one is registered.

  let blockerLearned = false;
  for (let attempt = 0; ; attempt++) {
    let inUse: unknown;
    try {
      const deleted = await deleteSnapshot(ec2, snapshotId);
      return { snapshotId, outcome: deleted ? "deleted" : "already-gone" };
    } catch (err) {
      if (isSnapshotLocked(err)) {
        // Second line: a lock the read did not show (set since, or an endpoint without the action).
        throw explainFailure(target, "DeleteSnapshot", err);
      }
      if (!isSnapshotInUse(err)) throw explainFailure(target, "DeleteSnapshot", err);
      inUse = err;
    }
    if (users.length > 0) return { snapshotId, outcome: "in-use", usedBy: users.map((u) => u.imageId) };
    if (!blockerLearned) {
      blockerLearned = true;
      const all = await imagesUsingSnapshots(ec2, [snapshotId])
        .then((m) => m.get(snapshotId) ?? [])
        .catch((e: unknown) => {
          throw explainFailure(target, "DescribeImages", e);
        });
      users = all.filter((u) => !ignore.includes(u.imageId));
      if (users.length > 0) return { snapshotId, outcome: "in-use", usedBy: users.map((u) => u.imageId) };
    }
    if (clock.now() >= deadline) {
      throw new StorageDeleteError(
        target,
        "timeout",
        `AWS still reports it in use (${errorCode(inUse) || "InvalidSnapshot.InUse"}) after ${Math.round(timeoutMs / 1000)}s, ` +
          `though no registered image you can see references it${ignore.length ? ` (only ${ignore.join(", ")}, deregistered by this destroy)` : ""}`,
        "Deregistration may still be settling: run destroy again in a few minutes (it resumes)",
        { cause: inUse },
      );
    }
    const backoff = Math.min(15_000, 1_000 * 2 ** Math.min(attempt, 4));
    await clock.sleep(Math.max(0, Math.min(backoff, deadline - clock.now())));
  }
}

/**
 * Re-read each user image by id (a lookup by filter may lag): a user that is being or has been
 * deregistered, or is unknown now, no longer counts.
 */
async function confirmUsers(ec2: Ec2, users: readonly ImageUse[]): Promise<ImageUse[]> {
  if (users.length === 0) return [];
  const now = await describeImagesById(
    ec2,
    users.map((u) => u.imageId),
  );
  const registered = new Set(
    now.filter((i) => i.ImageId && i.State !== "deregistered").map((i) => i.ImageId as string),
  );
  return users.filter((u) => registered.has(u.imageId));
}

export interface BundleOutcome {
  bucket: string;
  manifestKey: string;
  outcome: "deleted" | "in-use";
  /** Keys deleted (or already gone). */
  deletedKeys: string[];
  usedBy?: string[];
}

/**
 * Delete exactly the bundle's recorded manifest and part keys, unless another registered image uses
 * them: the same manifest, or another manifest in the bucket listing one of the same part keys (a
 * bundle registered twice from a copied manifest; S3 has no in-use refusal). Recorded keys outside
 * the manifest's folder are refused. Keys already gone count as deleted; per-key failures throw one
 * `StorageDeleteError` per key (as an AggregateError when several). S3 cannot close the window
 * between this check and DeleteObjects: an image registered in between is not seen.
 */
export async function deleteBundleSafely(
  ec2: Ec2,
  s3: S3,
  bundle: OwnedBundle,
  opts: Pick<SafeDeleteOptions, "ignoreImageIds"> = {},
): Promise<BundleOutcome> {
  const location = bundleLocation(bundle);
  try {
    checkBundleKeys(bundle);
  } catch (err) {
    throw new StorageDeleteError(
      `s3://${location}`,
      "error",
      `the recorded bundle is refused: ${errorMessage(err)}`,
      "Nothing of the bundle was deleted; delete its objects by hand after checking them, or set deleteBundle: false",
      { cause: err },
    );
  }
  const ignore = opts.ignoreImageIds ?? [];
  const usedBy = await bundleUsers(ec2, s3, bundle, ignore).catch((err: unknown) => {
    throw explainFailure(`s3://${location}`, err instanceof StorageDeleteError ? "" : "DescribeImages", err);
  });
  if (usedBy.length > 0)
    return {
      bucket: bundle.bucket,
      manifestKey: bundle.manifestKey,
      outcome: "in-use",
      deletedKeys: [],
      usedBy,
    };
  const { deleted, failed } = await deleteKeys(s3, bundle.bucket, bundleKeys(bundle));
  if (failed.length > 0) {
    const errors = failed.map((f) => keyFailure(bundle.bucket, f));
    throw errors.length === 1
      ? errors[0]
      : new AggregateError(errors, errors.map((e) => e.message).join("\n"));
  }
  return { bucket: bundle.bucket, manifestKey: bundle.manifestKey, outcome: "deleted", deletedKeys: deleted };
}

/**
 * Registered images (except `ignore`) that use the bundle's manifest, or whose own manifest in the
 * same bucket lists one of its part keys. A manifest that cannot be read (other than gone) fails.
 */
export async function bundleUsers(
  ec2: Ec2,
  s3: S3,
  bundle: OwnedBundle,
  ignore: readonly string[],
): Promise<string[]> {
  const location = bundleLocation(bundle);
  const users = new Set(await imagesUsingManifest(ec2, location, ignore));
  const ours = new Set(bundle.partKeys);
  for (const other of await instanceStoreImagesInBucket(ec2, bundle.bucket)) {
    if (ignore.includes(other.imageId) || users.has(other.imageId) || other.location === location) continue;
    let theirs: OwnedBundle;
    try {
      theirs = await readBundle(s3, other.location);
    } catch (err) {
      if (isNoSuchKey(err) || isNoSuchKey((err as { cause?: unknown }).cause)) continue; // no manifest: it lists nothing
      throw new StorageDeleteError(
        `s3://${location}`,
        "error",
        `the manifest of ${other.imageId} (s3://${other.location}) could not be read to check it shares no part (${errorMessage(err)})`,
        "Nothing of the bundle was deleted; fix access to that manifest and run destroy again, or set deleteBundle: false",
        { cause: err },
      );
    }
    if (theirs.partKeys.some((key) => ours.has(key))) users.add(other.imageId);
  }
  return [...users].sort();
}

function keyFailure(bucket: string, failure: KeyFailure): StorageDeleteError {
  const target = `s3://${bucket}/${failure.key}`;
  if (failure.code === "AccessDenied") {
    return new StorageDeleteError(
      target,
      "access-denied",
      `access denied (${failure.message || "AccessDenied"})`,
      `Grant s3:DeleteObject on arn:aws:s3:::${bucket}/* to the identity running destroy, then run destroy again`,
    );
  }
  return new StorageDeleteError(
    target,
    "error",
    `DeleteObjects failed for this key (${failure.code}${failure.message ? `: ${failure.message}` : ""})`,
    "Fix the cause, then run destroy again (it resumes)",
  );
}

/** Turn an AWS error from `action` on `target` into a StorageDeleteError with a cause and a fix. */
export function explainFailure(target: string, action: string, err: unknown): StorageDeleteError {
  if (err instanceof StorageDeleteError) return err;
  const code = errorCode(err) || "Error";
  const text = errorMessage(err);
  if (isSnapshotLocked(err)) {
    return new StorageDeleteError(
      target,
      "locked",
      `it is locked by EBS snapshot lock (${code}${text ? `: ${text}` : ""})`,
      "Unlock it (aws ec2 unlock-snapshot, possible for governance mode or during a compliance cooling-off period) or wait for the lock to expire, then run destroy again; or set deleteSnapshots: false to leave it",
      { cause: err },
    );
  }
  if (isAccessDenied(err)) {
    return new StorageDeleteError(
      target,
      "access-denied",
      `${action} was denied (${code}${text ? `: ${text}` : ""})`,
      `Grant ec2:${action} to the identity running destroy, then run destroy again`,
      { cause: err },
    );
  }
  if (isThrottling(err) || isTransient(err)) {
    return new StorageDeleteError(
      target,
      isThrottling(err) ? "throttled" : "timeout",
      `${action} kept failing with ${code} for the whole retry budget`,
      "Run destroy again (it resumes); with many resources use a lower --parallel or raise MANAGED_AMI_RETRY_BUDGET_MS",
      { cause: err },
    );
  }
  return new StorageDeleteError(
    target,
    "error",
    `${action} failed (${code}${text ? `: ${text}` : ""})`,
    "Fix the cause, then run destroy again (it resumes)",
    { cause: err },
  );
}
