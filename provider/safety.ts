/**
 * The one implementation of "safe to delete", shared by the provider's delete and
 * `managed-ami audit --delete`: storage is deleted only after proving, right before the call,
 * that no registered image the caller can see still uses it. An "in use" verdict is confirmed before
 * it is reported: a user this process has just deregistered, or that AWS no longer describes as
 * registered when asked by id, does not count.
 */
import type { OwnedBundle } from "./types";
import { bundleKeys, bundleLocation, deleteKeys, readBundle, type KeyFailure, type S3 } from "./aws/bundles";
import {
  errorCode,
  errorMessage,
  isAccessDenied,
  isSnapshotInUse,
  isSnapshotLocked,
  isThrottling,
  isTransient,
} from "./aws/errors";
import {
  imagesUsingManifest,
  imagesUsingSnapshot,
  imagesUsingSnapshots,
  instanceStoreImagesIn,
  stillRegistered,
  type Ec2,
} from "./aws/images";
import { deleteSnapshot } from "./aws/snapshots";
import { deregisteredHere } from "./deregistrations";

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
  /** Images not to count as users (the image this teardown just deregistered). Default: none. */
  ignoreImageIds?: readonly string[];
  /** How long `InvalidSnapshot.InUse` with no visible registered user is retried; default 3 minutes, 0 = no retry. */
  inUseTimeoutMs?: number;
  clock?: Clock;
  /** Users already found by one batched reference query (teardown asks once for all its snapshots). */
  knownUsers?: readonly string[];
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

/** Of `users`, those still registered: not deregistered by this process, and still registered when asked by id. */
export async function confirmUsers(ec2: Ec2, users: readonly string[]): Promise<string[]> {
  const candidates: string[] = [];
  for (const id of users) if (!(await deregisteredHere(id))) candidates.push(id);
  return candidates.length > 0 ? stillRegistered(ec2, candidates) : [];
}

/**
 * Delete `snapshotId` unless a registered image still references it (confirmed, see above).
 * NotFound is success; `InvalidSnapshot.InUse` with no confirmed user (a deregistration settling)
 * is retried with backoff for `inUseTimeoutMs` without re-asking who uses it; at the end one lookup
 * names the user, if any. Locks, missing permissions and time-outs throw `StorageDeleteError`.
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
  const lookup = async (): Promise<string[]> => {
    try {
      const found = (await imagesUsingSnapshots(ec2, [snapshotId], ignore)).get(snapshotId) ?? [];
      return await confirmUsers(ec2, found);
    } catch (err) {
      throw explainFailure(target, "DescribeImages", err);
    }
  };
  const first = opts.knownUsers
    ? await confirmUsers(
        ec2,
        opts.knownUsers.filter((id) => !ignore.includes(id)),
      ).catch((err: unknown) => {
        throw explainFailure(target, "DescribeImages", err);
      })
    : await lookup();
  if (first.length > 0) return { snapshotId, outcome: "in-use", usedBy: first };
  for (let attempt = 0; ; attempt++) {
    let lastInUse: unknown;
    try {
      const deleted = await deleteSnapshot(ec2, snapshotId);
      return { snapshotId, outcome: deleted ? "deleted" : "already-gone" };
    } catch (err) {
      if (!isSnapshotInUse(err)) throw explainFailure(target, "DeleteSnapshot", err);
      lastInUse = err;
    }
    if (clock.now() >= deadline) {
      const users = await lookup();
      if (users.length > 0) return { snapshotId, outcome: "in-use", usedBy: users };
      throw new StorageDeleteError(
        target,
        "timeout",
        `AWS still reports it in use (InvalidSnapshot.InUse) after ${Math.round(timeoutMs / 1000)}s, though no registered image you can see references it`,
        "Deregistration may still be settling: run destroy again in a few minutes (it resumes)",
        { cause: lastInUse },
      );
    }
    const backoff = Math.min(15_000, 1_000 * 2 ** Math.min(attempt, 4));
    await clock.sleep(Math.max(0, Math.min(backoff, deadline - clock.now())));
  }
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
 * The registered images (other than `ignoreImageIds`) that use any key of `bundle`: the same
 * manifest, or another manifest in the same bucket that lists one of its part keys (a bundle
 * registered twice from a copied manifest). S3 has no in-use refusal, so this check is all there is.
 */
export async function imagesUsingBundle(
  ec2: Ec2,
  s3: S3,
  bundle: OwnedBundle,
  ignoreImageIds: readonly string[] = [],
): Promise<string[]> {
  const ours = new Set(bundleKeys(bundle));
  const users = new Set<string>();
  for (const other of await instanceStoreImagesIn(ec2, bundle.bucket, ignoreImageIds)) {
    if (other.manifestKey === bundle.manifestKey || ours.has(other.manifestKey)) {
      users.add(other.imageId);
      continue;
    }
    let parts: string[];
    try {
      parts = (await readBundle(s3, `${bundle.bucket}/${other.manifestKey}`)).partKeys;
    } catch (err) {
      throw new StorageDeleteError(
        `s3://${bundleLocation(bundle)}`,
        "error",
        `cannot read the manifest s3://${bundle.bucket}/${other.manifestKey} of ${other.imageId}, which may list the same parts (${errorMessage(err)})`,
        `Check that image (deregister it if it is broken), then run destroy again; or set deleteBundle: false`,
        { cause: err },
      );
    }
    if (parts.some((key) => ours.has(key))) users.add(other.imageId);
  }
  return [...users].sort();
}

/**
 * Delete exactly the bundle's recorded manifest and part keys, unless another registered image uses
 * any of them (see imagesUsingBundle; the verdict is confirmed by id). Keys already gone count as
 * deleted; per-key failures throw one `StorageDeleteError` per key (as an AggregateError when several).
 * S3 cannot refuse a delete, so a registration between this check and DeleteObjects is not caught.
 */
export async function deleteBundleSafely(
  ec2: Ec2,
  s3: S3,
  bundle: OwnedBundle,
  opts: Pick<SafeDeleteOptions, "ignoreImageIds"> = {},
): Promise<BundleOutcome> {
  const location = bundleLocation(bundle);
  let usedBy: string[];
  try {
    usedBy = await confirmUsers(ec2, await imagesUsingBundle(ec2, s3, bundle, opts.ignoreImageIds ?? []));
  } catch (err) {
    throw explainFailure(`s3://${location}`, "DescribeImages", err);
  }
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
