/**
 * The delete plan of a ManagedAmi, read top to bottom (spec: "delete — the heart", v2 "Decide by
 * reading state"): 1 look the image up, 2 handle deregistration protection, 3 read snapshot locks and
 * turn Windows fast launch off, 4 deregister, 5 reconcile the recorded storage (a Recycle Bin keeping
 * the image keeps its snapshots; what is left in place loses its ownership tags), 6 fail with one
 * error naming everything that could not be deleted. Re-running resumes.
 */
import { DeleteTagsCommand, type Image } from "@aws-sdk/client-ec2";
import type { ManagedAmiOutputs } from "./types";
import { bundleKeys, existingKeys, type S3 } from "./aws/bundles";
import { ec2Client, s3Client } from "./aws/clients";
import {
  errorCode,
  errorMessage,
  isAccessDenied,
  isDeregistrationProtected,
  isThrottling,
  isTransient,
} from "./aws/errors";
import { disableFastLaunch, fastLaunchState } from "./aws/fastLaunch";
import {
  deregisterImage,
  describeImage,
  disableDeregistrationProtection,
  imagesUsingSnapshots,
  isGone,
  protectionState,
  snapshotIdsOf,
  type Ec2,
  type ProtectionState,
} from "./aws/images";
import { activeLocks, describeLock } from "./aws/locks";
import { imageInRecycleBin, snapshotsInRecycleBin } from "./aws/recycleBin";
import { provablyOwnedSnapshots } from "./aws/snapshotOwnership";
import { archivedSince, existingSnapshotRecords, existingSnapshots } from "./aws/snapshots";
import { CREATE_TOKEN_TAG, MANAGED_AMI_IMAGE_TAG } from "./aws/tags";
import { trackDeregistration } from "./deregistrations";
import {
  deleteBundleSafely,
  deleteSnapshotSafely,
  explainFailure,
  realClock,
  StorageDeleteError,
  type BundleOutcome,
  type Clock,
  type SnapshotOutcome,
} from "./safety";

export interface TeardownDeps {
  /** EC2 client for the recorded region; default `ec2Client(outputs.region)`. */
  ec2?: Ec2;
  /** S3 client; default `s3Client(outputs.region)` (created only for instance-store bundles). */
  s3?: S3;
  /** Where warnings go; default console. The provider routes them to pulumi.log. */
  log?: { warn(message: string): void };
  /** The Pulumi resource name for messages; default the AMI name. */
  resourceName?: string;
  /** Bound on retrying a lingering `InvalidSnapshot.InUse`; default 3 minutes. */
  inUseTimeoutMs?: number;
  /** Bound on waiting for Windows fast launch to turn off before deregistering; default 10 minutes. */
  fastLaunchTimeoutMs?: number;
  clock?: Clock;
}

export interface TeardownResult {
  imageId: string;
  /** What step 1 found: the image was registered (and this run deregistered it) or was already gone. */
  image: "deregistered" | "already-gone";
  /** Per-snapshot results of `DeleteAssociatedSnapshots` (undefined when not asked for or not supported). */
  deleteSnapshotResults?: { snapshotId: string; returnCode: string }[];
  /** Outcome of every recorded snapshot (empty when `deleteSnapshots` is false). */
  snapshots: SnapshotOutcome[];
  /** Outcome of the recorded bundle (undefined when none or `deleteBundle` is false). */
  bundle?: BundleOutcome;
  /** Recorded snapshots left in place on purpose (flag off, in use, kept for a Recycle Bin restore); their ownership tags are removed unless kept for the bin. */
  kept: string[];
  warnings: string[];
}

/** The error a failed teardown throws: every failure named, the resource stays in state. */
export class TeardownError extends Error {
  constructor(
    message: string,
    readonly imageId: string,
    readonly failures: StorageDeleteError[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TeardownError";
  }
}

/** Delete the image and its recorded, unshared storage. Throws one TeardownError naming every failure. */
export async function teardown(outputs: ManagedAmiOutputs, deps: TeardownDeps = {}): Promise<TeardownResult> {
  const imageId = outputs.imageId;
  const ec2 = deps.ec2 ?? ec2Client(outputs.region);
  const log = deps.log ?? { warn: (message: string) => console.warn(message) };
  const clock = deps.clock ?? realClock;
  const label = `ManagedAmi "${deps.resourceName ?? outputs.name ?? imageId}" (${imageId})`;
  const deleteSnapshots = outputs.deleteSnapshots !== false;
  const deleteBundle = outputs.deleteBundle !== false;
  const recordedSnapshots = [...new Set(outputs.snapshotIds ?? [])];
  const result: TeardownResult = { imageId, image: "already-gone", snapshots: [], kept: [], warnings: [] };
  const fail = (what: string, err: unknown): never => {
    throw new TeardownError(`${label}: ${what}`, imageId, [], { cause: err });
  };

  // 1. Look the image up. NotFound, Unavailable or `deregistered` prove it gone. An empty answer does
  //    not: the reference checks below then still count the image as a user of its own storage.
  let provenGone = false;
  const image: Image | undefined = await describeImage(ec2, imageId, {
    onNotFound: () => (provenGone = true),
  }).catch((err: unknown) =>
    fail(`${describeCall("DescribeImages", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  if (image?.State === "deregistered") provenGone = true;

  // A create that stopped before its image could be read left a pending record with no snapshots:
  // find the ones provably its own (its create token, or AWS's "Created by CreateImage(…) for <id>").
  if (
    recordedSnapshots.length === 0 &&
    outputs.rootDeviceType !== "instance-store" &&
    (outputs.state ?? "pending") === "pending"
  ) {
    const found = await provablyOwnedSnapshots(ec2, imageId, outputs.createToken).catch((err: unknown) =>
      fail(
        `${describeCall("DescribeSnapshots", err)} while looking for the snapshots of an unfinished create; nothing was deleted. ${fixFor(err)}`,
        err,
      ),
    );
    recordedSnapshots.push(...found);
  }

  if (!isGone(image)) {
    // 2. Deregistration protection: turn it off when allowed, else fail before anything is deleted.
    let protection: ProtectionState = protectionState(image?.DeregistrationProtection, clock.now());
    if (protection.kind === "on") {
      if (!outputs.disableDeregistrationProtection) {
        fail(
          `deregistration protection is on (${protection.text}); nothing was deleted. ` +
            `Set disableDeregistrationProtection: true and run pulumi up, then destroy again; ` +
            `or run: aws ec2 disable-image-deregistration-protection --image-id ${imageId}`,
          undefined,
        );
      }
      protection = await disableDeregistrationProtection(ec2, imageId, clock.now).catch((err: unknown) =>
        fail(
          `${describeCall("DisableImageDeregistrationProtection", err)}; nothing was deleted. ${fixFor(err)}`,
          err,
        ),
      );
    }
    if (protection.kind !== "off") {
      const lifts =
        protection.kind === "cooldown" && protection.liftsAt ? protection.liftsAt.toISOString() : undefined;
      fail(
        `deregistration protection is off but its cooldown keeps the image protected ` +
          `${lifts ? `until ${lifts}` : `(${protection.text})`}; nothing was deleted. ` +
          `Run destroy again ${lifts ? `after ${lifts}` : "when the cooldown has passed"}.`,
        undefined,
      );
    }

    // 3. State AWS documents no error code for: a locked snapshot is never attempted (fail now, before
    //    deregistering), and Windows fast launch is turned off before the image goes.
    if (deleteSnapshots && recordedSnapshots.length > 0)
      await refuseLockedSnapshots(ec2, label, imageId, recordedSnapshots, fail);
    if (image?.RootDeviceType !== "instance-store") {
      await turnOffFastLaunch(ec2, imageId, clock, deps.fastLaunchTimeoutMs ?? 600_000, fail);
    }

    // 4. Deregister. AWS's DeleteAssociatedSnapshots is asked for only when every snapshot of the
    //    image is one we recorded (it must never delete a snapshot we do not own).
    const imageSnapshots = image ? snapshotIdsOf(image) : [];
    const useAssociated =
      deleteSnapshots &&
      imageSnapshots.length > 0 &&
      imageSnapshots.every((id) => recordedSnapshots.includes(id));
    const dereg = await deregister(ec2, imageId, useAssociated, fail);
    result.image = dereg.deregistered ? "deregistered" : "already-gone";
    provenGone = true;
    result.deleteSnapshotResults = dereg.deleteSnapshotResults?.map((r) => ({
      snapshotId: r.SnapshotId ?? "",
      returnCode: r.ReturnCode ?? "",
    }));
  }

  // 5. Reconcile the recorded storage: whatever still exists is deleted unless another registered
  //    image uses it. Our own image is not counted only once it is proven gone (defect: a lagging
  //    empty answer must not let its storage be deleted under it).
  const failures: StorageDeleteError[] = [];
  const ignore = provenGone ? [imageId] : [];
  if (recordedSnapshots.length > 0) {
    await reconcileSnapshots();
  }
  if (deleteBundle && outputs.bundle) await reconcileBundle(outputs.bundle);
  for (const warning of result.warnings) log.warn(warning);

  // 6. Anything that could not be deleted fails the delete, naming the image, each item, cause and fix.
  if (failures.length > 0) {
    const lines = failures.map((f) => `  - ${f.message}`);
    throw new TeardownError(
      `${label}: ${result.image === "deregistered" ? "the image was deregistered, but " : ""}` +
        `${failures.length === 1 ? "1 item" : `${failures.length} items`} of its storage could not be deleted; ` +
        `the resource stays in state and running destroy again resumes:\n${lines.join("\n")}`,
      imageId,
      failures,
    );
  }
  return result;

  async function reconcileSnapshots(): Promise<void> {
    const reported = new Map((result.deleteSnapshotResults ?? []).map((r) => [r.snapshotId, r.returnCode]));
    let records;
    try {
      records = await existingSnapshotRecords(ec2, recordedSnapshots);
    } catch (err) {
      failures.push(explainFailure(`snapshots ${recordedSnapshots.join(", ")}`, "DescribeSnapshots", err));
      return;
    }
    const remaining = records.map((r) => r.SnapshotId as string);
    for (const id of recordedSnapshots) {
      if (!remaining.includes(id)) {
        result.snapshots.push({
          snapshotId: id,
          outcome: reported.get(id) === "success" ? "deleted" : "already-gone",
        });
      }
    }
    if (remaining.length === 0) return;
    if (!deleteSnapshots) {
      result.kept.push(...remaining);
      await releaseClaims(remaining);
      return;
    }
    // A Recycle Bin rule that keeps the image exists to allow a restore, which needs its snapshots:
    // keep them (still ours: the ownership tag stays, so `managed-ami audit` finds them once the image leaves the bin).
    if (result.image === "deregistered") {
      const binned = await imageInRecycleBin(ec2, imageId).catch(() => undefined);
      if (binned) {
        result.kept.push(...remaining);
        const gib = records.reduce((sum, r) => sum + (r.VolumeSize ?? 0), 0);
        result.warnings.push(
          `${label}: a Recycle Bin rule keeps the image until ${binned.exitTime?.toISOString() ?? "its retention ends"}; ` +
            `its ${remaining.length} snapshot(s) (${gib} GiB: ${remaining.join(", ")}) are kept so it can be restored, and are still billed. ` +
            `After that time, delete them with: managed-ami audit --delete (they carry the ${MANAGED_AMI_IMAGE_TAG} tag).`,
        );
        return;
      }
    }
    let users: Map<string, string[]>;
    try {
      users = await imagesUsingSnapshots(ec2, remaining, ignore);
    } catch (err) {
      failures.push(explainFailure(`snapshots ${remaining.join(", ")}`, "DescribeImages", err));
      return;
    }
    // Our own image still listed as registered (the first answer was empty but stale): deregister it, or fail.
    if (!provenGone && [...users.values()].some((u) => u.includes(imageId))) {
      await deregister(ec2, imageId, false, fail);
      result.image = "deregistered";
      provenGone = true;
      ignore.push(imageId);
      for (const [id, list] of users)
        users.set(
          id,
          list.filter((u) => u !== imageId),
        );
    }
    const archived = await archivedSince(
      ec2,
      records.filter((r) => r.StorageTier === "archive").map((r) => r.SnapshotId as string),
    ).catch(() => new Map<string, Date>());
    const outcomes = await mapLimit(remaining, 4, (id) =>
      deleteSnapshotSafely(ec2, id, {
        ignoreImageIds: ignore,
        inUseTimeoutMs: deps.inUseTimeoutMs,
        clock,
        knownUsers: users.get(id) ?? [],
      }),
    );
    const left: string[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === "rejected") {
        failures.push(explainFailure(`snapshot ${remaining[i]}`, "DeleteSnapshot", o.reason));
        return;
      }
      result.snapshots.push(o.value);
      if (o.value.outcome !== "in-use") return;
      left.push(o.value.snapshotId);
      const by = (o.value.usedBy ?? []).join(", ");
      result.warnings.push(
        `${label}: snapshot ${o.value.snapshotId} is still used by ${by}; left in place and no longer tagged as this resource's. ` +
          `Deregister ${by} or set deleteSnapshots: false.`,
      );
    });
    result.kept.push(...left);
    await releaseClaims(left);
    const deleted = result.snapshots.filter((o) => o.outcome === "deleted").map((o) => o.snapshotId);
    warnEarlyArchiveDeletion(deleted, archived);
    await warnRecycleBin(deleted, records);
  }

  async function reconcileBundle(bundle: NonNullable<ManagedAmiOutputs["bundle"]>): Promise<void> {
    try {
      const s3 = deps.s3 ?? s3Client(outputs.region);
      let outcome = await deleteBundleSafely(ec2, s3, bundle, { ignoreImageIds: ignore });
      if (outcome.outcome === "in-use" && !provenGone && outcome.usedBy?.includes(imageId)) {
        await deregister(ec2, imageId, false, fail);
        result.image = "deregistered";
        provenGone = true;
        ignore.push(imageId);
        outcome = await deleteBundleSafely(ec2, s3, bundle, { ignoreImageIds: ignore });
      }
      result.bundle = outcome;
      if (outcome.outcome === "in-use") {
        const users = (outcome.usedBy ?? []).join(", ");
        result.warnings.push(
          `${label}: bundle s3://${bundle.bucket}/${bundle.manifestKey} is still used by ${users}; left in place. ` +
            `Deregister ${users} or set deleteBundle: false.`,
        );
      }
    } catch (err) {
      if (err instanceof TeardownError) throw err;
      const errors = err instanceof AggregateError ? err.errors : [err];
      for (const e of errors)
        failures.push(explainFailure(`s3://${bundle.bucket}/${bundle.manifestKey}`, "DeleteObjects", e));
    }
  }

  /** Removes this resource's ownership tags from snapshots it leaves in place (only where the value is ours). */
  async function releaseClaims(snapshotIds: string[]): Promise<void> {
    if (snapshotIds.length === 0) return;
    const tags = [{ Key: MANAGED_AMI_IMAGE_TAG, Value: imageId }];
    if (outputs.createToken) tags.push({ Key: CREATE_TOKEN_TAG, Value: outputs.createToken });
    try {
      await ec2.send(new DeleteTagsCommand({ Resources: snapshotIds, Tags: tags }));
    } catch (err) {
      failures.push(
        new StorageDeleteError(
          `snapshots ${snapshotIds.join(", ")}`,
          isAccessDenied(err) ? "access-denied" : "error",
          `they are left in place, but removing this resource's ownership tag failed (${errorCode(err) || "Error"}: ${errorMessage(err)})`,
          "Grant ec2:DeleteTags to the identity running destroy and run destroy again, so no later tool treats them as this resource's",
          { cause: err },
        ),
      );
    }
  }

  function warnEarlyArchiveDeletion(deleted: string[], archived: Map<string, Date>): void {
    for (const id of deleted) {
      const since = archived.get(id);
      if (!since) continue;
      const days = Math.ceil(90 - (clock.now() - since.getTime()) / 86_400_000);
      if (days > 0) {
        result.warnings.push(
          `${label}: snapshot ${id} was archived on ${since.toISOString().slice(0, 10)}; deleting it before 90 days in the archive tier ` +
            `is billed for the remaining ${days} day(s) (AWS's SnapshotArchiveEarlyDelete).`,
        );
      }
    }
  }

  async function warnRecycleBin(
    deleted: string[],
    records: { SnapshotId?: string; VolumeSize?: number }[],
  ): Promise<void> {
    const binned = await snapshotsInRecycleBin(ec2, deleted).catch(() => []);
    if (binned.length === 0) return;
    const gib = binned.reduce(
      (sum, b) => sum + (records.find((r) => r.SnapshotId === b.id)?.VolumeSize ?? 0),
      0,
    );
    const exits = binned.map((b) => b.exitTime?.getTime() ?? 0).filter((t) => t > 0);
    const until = exits.length
      ? new Date(Math.max(...exits)).toISOString()
      : "the end of the rule's retention period";
    result.warnings.push(
      `${label}: ${binned.length} deleted snapshot(s) (${gib} GiB: ${binned.map((b) => b.id).join(", ")}) are kept by a Recycle Bin ` +
        `retention rule and billed until they leave the bin (latest ${until}). Not a failure.`,
    );
  }
}

/**
 * Fails before anything changes when a recorded snapshot is locked (read with DescribeLockedSnapshots):
 * the image stays registered and launchable, and no other storage is deleted while one piece cannot be.
 */
async function refuseLockedSnapshots(
  ec2: Ec2,
  label: string,
  imageId: string,
  snapshotIds: string[],
  fail: (what: string, err: unknown) => never,
): Promise<void> {
  const locks = await activeLocks(ec2, snapshotIds).catch((err: unknown) =>
    fail(`${describeCall("DescribeLockedSnapshots", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  if (!locks || locks.size === 0) return;
  const failures = [...locks.values()].map((lock) => {
    const { cause, fix } = describeLock(lock);
    return new StorageDeleteError(`snapshot ${lock.snapshotId}`, "locked", cause, fix);
  });
  throw new TeardownError(
    `${label}: ${failures.length === 1 ? "1 item" : `${failures.length} items`} of its storage ${failures.length === 1 ? "is" : "are"} ` +
      `locked (read with DescribeLockedSnapshots); nothing was deregistered or deleted, the resource stays in state and ` +
      `running destroy again resumes:\n${failures.map((f) => `  - ${f.message}`).join("\n")}`,
    imageId,
    failures,
  );
}

/** Turns Windows fast launch off (and waits) before deregistering; fails before deregistering if it will not turn off. */
async function turnOffFastLaunch(
  ec2: Ec2,
  imageId: string,
  clock: Clock,
  timeoutMs: number,
  fail: (what: string, err: unknown) => never,
): Promise<void> {
  const state = await fastLaunchState(ec2, imageId).catch((err: unknown) =>
    fail(`${describeCall("DescribeFastLaunchImages", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  if (state === undefined) return;
  const after = await disableFastLaunch(ec2, imageId, clock, timeoutMs).catch((err: unknown) =>
    fail(`${describeCall("DisableFastLaunch", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  if (after !== undefined) {
    fail(
      `Windows fast launch is still ${after} after DisableFastLaunch; nothing was deregistered. ` +
        `Check it with: aws ec2 describe-fast-launch-images --image-ids ${imageId}, then run destroy again.`,
      undefined,
    );
  }
}

/** DeregisterImage, remembered for this process (see deregistrations.ts); a refusal fails the delete. */
async function deregister(
  ec2: Ec2,
  imageId: string,
  deleteAssociatedSnapshots: boolean,
  fail: (what: string, err: unknown) => never,
) {
  let answer: Awaited<ReturnType<typeof deregisterImage>> | undefined;
  await trackDeregistration(imageId, async () => {
    answer = await deregisterImage(ec2, imageId, { deleteAssociatedSnapshots });
    return answer.deregistered;
  }).catch((err: unknown) => {
    if (isDeregistrationProtected(err)) {
      return fail(
        `DeregisterImage was refused because deregistration protection is on (${errorMessage(err)}); nothing was deleted. ` +
          `Set disableDeregistrationProtection: true and run pulumi up, then destroy again.`,
        err,
      );
    }
    return fail(`${describeCall("DeregisterImage", err)}; nothing was deleted. ${fixFor(err)}`, err);
  });
  return answer as Awaited<ReturnType<typeof deregisterImage>>;
}

/** Runs `fn` over `items` with at most `limit` at once; settles like Promise.allSettled, in order. */
async function mapLimit<T, R>(
  items: T[],
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

/** "DescribeImages failed (Code: message)", or the throttling/budget wording. */
function describeCall(action: string, err: unknown): string {
  const code = errorCode(err) || "Error";
  if (isThrottling(err) || isTransient(err))
    return `${action} kept failing with ${code} for the whole retry budget`;
  return `${action} failed (${code}: ${errorMessage(err)})`;
}

function fixFor(err: unknown): string {
  if (isAccessDenied(err))
    return "Grant the missing EC2 permission to the identity running destroy, then run destroy again.";
  if (isThrottling(err) || isTransient(err)) {
    return "Run destroy again (it resumes); with many resources use a lower --parallel or raise MANAGED_AMI_RETRY_BUDGET_MS.";
  }
  return "Fix the cause, then run destroy again (it resumes).";
}

/** Which recorded storage still exists (for read/refresh): snapshot ids and S3 keys, each in record order. */
export async function storageStillExists(
  outputs: Pick<ManagedAmiOutputs, "region" | "snapshotIds" | "bundle">,
  deps: Pick<TeardownDeps, "ec2" | "s3"> = {},
): Promise<{ snapshotIds: string[]; bundleKeys: string[] }> {
  const snapshotIds = outputs.snapshotIds?.length
    ? await existingSnapshots(deps.ec2 ?? ec2Client(outputs.region), outputs.snapshotIds)
    : [];
  const keys = outputs.bundle
    ? await existingKeys(
        deps.s3 ?? s3Client(outputs.region),
        outputs.bundle.bucket,
        bundleKeys(outputs.bundle),
      )
    : [];
  return { snapshotIds, bundleKeys: keys };
}
