/**
 * The delete plan of a ManagedAmi, read top to bottom (spec: "delete — the heart", v2 "Decide by
 * reading state"): look the image up, protection, (in-use guard), fast launch off, read the recorded
 * snapshots' state, deregister, reconcile the snapshots, the bundle, cost warnings, one error naming
 * everything that could not be deleted. Re-running resumes. Decisions: docs/destroy.md.
 */
import type { Image } from "@aws-sdk/client-ec2";
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
import { disableFastLaunch, fastLaunchIsOn, fastLaunchState } from "./aws/fastLaunch";
import {
  deregisterImage,
  describeImage,
  disableDeregistrationProtection,
  isGone,
  lookupImage,
  protectionState,
  snapshotIdsOf,
  type Ec2,
  type ProtectionState,
} from "./aws/images";
import { activeLocks, type SnapshotLock } from "./aws/locks";
import { imageInRecycleBin, snapshotsInRecycleBin } from "./aws/recycleBin";
import { provablyOwnedSnapshots } from "./aws/snapshotOwnership";
import {
  archiveDaysRemaining,
  describeSnapshots,
  existingSnapshots,
  releaseClaims,
  type SnapshotFacts,
} from "./aws/snapshots";
import {
  deleteBundleSafely,
  deleteSnapshotsSafely,
  explainFailure,
  realClock,
  StorageDeleteError,
  type BundleOutcome,
  type Clock,
  type SnapshotOutcome,
} from "./safety";
import { guardInUse, ImageInUseError } from "./inUse";

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
  /** Bound on waiting for Windows fast launch to turn off; default 10 minutes. */
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

/** Bound on waiting for fast launch to turn off before deregistering; default 10 minutes. */
export const DEFAULT_FAST_LAUNCH_TIMEOUT_MS = 600_000;

/** Delete the image and its recorded, unshared storage. Throws one TeardownError naming every failure. */
export async function teardown(outputs: ManagedAmiOutputs, deps: TeardownDeps = {}): Promise<TeardownResult> {
  const imageId = outputs.imageId;
  const ec2 = deps.ec2 ?? ec2Client(outputs.region);
  const log = deps.log ?? { warn: (message: string) => console.warn(message) };
  const clock = deps.clock ?? realClock;
  const label = `ManagedAmi "${deps.resourceName ?? outputs.name ?? imageId}" (${imageId})`;
  const deleteSnapshots = outputs.deleteSnapshots !== false;
  const deleteBundle = outputs.deleteBundle !== false;
  const result: TeardownResult = { imageId, image: "already-gone", snapshots: [], warnings: [] };
  const fail = (what: string, err: unknown): never => {
    throw new TeardownError(`${label}: ${what}`, imageId, [], { cause: err });
  };
  const failInUse = (err: ImageInUseError): never => {
    throw new TeardownError(err.message, imageId, [], { cause: err });
  };

  // 1. Look the image up. NotFound or state `deregistered`: AWS says it is gone. An empty answer
  //    proves nothing (it may lag): the image is deregistered anyway in step 6.
  const found = await lookupImage(ec2, imageId).catch((err: unknown) =>
    fail(`${describeCall("DescribeImages", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  const image: Image | undefined = found.image;
  let sawGone = found.notFound || image?.State === "deregistered";
  const registered = !isGone(image);

  // 2. Deregistration protection: turn it off when allowed, else fail before anything is deleted.
  if (registered) await handleProtection(ec2, image, outputs, clock, fail);

  // 3. In-use guard (spec v2): a blocking reference (launch template $Default/$Latest, SSM parameter,
  //    Image Builder recipe) fails here under whenInUse "fail", before anything changes (see inUse.ts).
  if (registered) {
    const inUse = await guardInUse(ec2, imageId, outputs.whenInUse ?? "fail", label).catch((err: unknown) =>
      err instanceof ImageInUseError
        ? failInUse(err)
        : fail(`${describeCall("DescribeImageReferences", err)}; nothing was deleted. ${fixFor(err)}`, err),
    );
    result.warnings.push(...inUse);
  }

  // 4. Windows fast launch: turn it off and wait (bounded) until it is off, before deregistering.
  if (registered && (image?.RootDeviceType ?? outputs.rootDeviceType) !== "instance-store")
    await turnOffFastLaunch(
      ec2,
      imageId,
      deps.fastLaunchTimeoutMs ?? DEFAULT_FAST_LAUNCH_TIMEOUT_MS,
      clock,
      fail,
    );

  // 5. Read the recorded snapshots' state before anything is deleted: which exist (size, tier, claim
  //    tags), which are locked, which archived ones are inside the 90-day minimum.
  const recorded = await recordedSnapshots(ec2, outputs, deleteSnapshots).catch((err: unknown) =>
    fail(
      `${describeCall("DescribeSnapshots", err)} while looking for the snapshots of an unfinished create; nothing was deleted. ${fixFor(err)}`,
      err,
    ),
  );
  const facts = await describeSnapshots(ec2, recorded).catch((err: unknown) =>
    fail(`${describeCall("DescribeSnapshots", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );
  const locks = deleteSnapshots
    ? await activeLocks(ec2, [...facts.keys()]).catch((err: unknown) =>
        fail(`${describeCall("DescribeLockedSnapshots", err)}; nothing was deleted. ${fixFor(err)}`, err),
      )
    : new Map<string, SnapshotLock>();
  const archived = [...facts.values()].filter((f) => f.storageTier === "archive").map((f) => f.snapshotId);
  const archiveDays =
    deleteSnapshots && archived.length > 0
      ? await archiveDaysRemaining(ec2, archived, clock.now()).catch(() => new Map<string, number>())
      : new Map<string, number>();

  // 6. Deregister — also after an empty answer (NotFound then means gone). AWS's DeleteAssociatedSnapshots
  //    is asked for only when every snapshot of the image is recorded and none is locked.
  let deregisteredHere = false;
  if (!sawGone) {
    const imageSnapshots = image ? snapshotIdsOf(image) : [];
    const useAssociated =
      deleteSnapshots &&
      registered &&
      imageSnapshots.length > 0 &&
      imageSnapshots.every((id) => recorded.includes(id)) &&
      locks.size === 0;
    const dereg = await deregisterImage(ec2, imageId, { deleteAssociatedSnapshots: useAssociated }).catch(
      (err: unknown) => deregistrationFailed(ec2, imageId, err, fail),
    );
    deregisteredHere = dereg.deregistered;
    sawGone = true; // deregistered now, or AWS answered NotFound
    result.image = dereg.deregistered ? "deregistered" : "already-gone";
    result.deleteSnapshotResults = dereg.deleteSnapshotResults?.map((r) => ({
      snapshotId: r.SnapshotId ?? "",
      returnCode: r.ReturnCode ?? "",
    }));
  }

  // 7. Reconcile the recorded snapshots (see reconcileSnapshots): delete what is ours and unused; leave
  //    what is kept, in use or locked, removing our ownership claim from it.
  const failures: StorageDeleteError[] = [];
  const ignoreImageIds = sawGone ? [imageId] : [];
  await reconcileSnapshots({
    ec2,
    outputs,
    label,
    clock,
    deps,
    result,
    failures,
    facts,
    locks,
    deleteSnapshots,
    deregisteredHere,
    ignoreImageIds,
  });

  // 8. The bundle: exactly the recorded keys, unless another registered image uses the manifest or a part.
  if (deleteBundle && outputs.bundle) {
    try {
      const s3 = deps.s3 ?? s3Client(outputs.region);
      result.bundle = await deleteBundleSafely(ec2, s3, outputs.bundle, { ignoreImageIds });
      if (result.bundle.outcome === "in-use") {
        const users = (result.bundle.usedBy ?? []).join(", ");
        result.warnings.push(
          `${label}: bundle s3://${outputs.bundle.bucket}/${outputs.bundle.manifestKey} (or one of its parts) is still used by ${users}; left in place. ` +
            `Deregister ${users} or set deleteBundle: false.`,
        );
      }
    } catch (err) {
      const errors = err instanceof AggregateError ? err.errors : [err];
      for (const e of errors)
        failures.push(
          explainFailure(`s3://${outputs.bundle.bucket}/${outputs.bundle.manifestKey}`, "DeleteObjects", e),
        );
    }
  }

  // 9. What deleting cost or kept: snapshots a Recycle Bin rule retains, archived ones deleted early.
  if (deleteSnapshots) await costWarnings(ec2, label, result, facts, archiveDays);
  for (const warning of result.warnings) log.warn(warning);

  // 10. Anything that could not be deleted fails the delete, naming the image, each item, cause and fix.
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
}

type Fail = (what: string, err: unknown) => never;

/** Step 2: protection on → turn it off when allowed (a cooldown fails with its end), else fail. */
async function handleProtection(
  ec2: Ec2,
  image: Image | undefined,
  outputs: ManagedAmiOutputs,
  clock: Clock,
  fail: Fail,
): Promise<void> {
  const imageId = outputs.imageId;
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
}

/** Step 4: DescribeFastLaunchImages; when on, DisableFastLaunch and poll until it is gone, bounded. */
async function turnOffFastLaunch(
  ec2: Ec2,
  imageId: string,
  timeoutMs: number,
  clock: Clock,
  fail: Fail,
): Promise<void> {
  const read = () =>
    fastLaunchState(ec2, imageId).catch((err: unknown) =>
      fail(`${describeCall("DescribeFastLaunchImages", err)}; nothing was deleted. ${fixFor(err)}`, err),
    );
  let state = await read();
  if (state === undefined) return;
  if (fastLaunchIsOn(state)) {
    await disableFastLaunch(ec2, imageId).catch((err: unknown) =>
      fail(
        `fast launch is ${state} and ${describeCall("DisableFastLaunch", err)}; nothing was deleted. ${fixFor(err)}`,
        err,
      ),
    );
  }
  const deadline = clock.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    state = await read();
    if (state === undefined) return;
    if (state === "disabling-failed" || clock.now() >= deadline) {
      fail(
        `Windows fast launch is still ${state} ${state === "disabling-failed" ? "(AWS could not turn it off)" : `after ${Math.round(timeoutMs / 1000)}s`}; ` +
          `nothing was deregistered or deleted. Check aws ec2 describe-fast-launch-images --image-ids ${imageId}, then run destroy again.`,
        undefined,
      );
    }
    await clock.sleep(
      Math.min(15_000, 2_000 * 2 ** Math.min(attempt, 3), Math.max(0, deadline - clock.now())),
    );
  }
}

/**
 * DeregisterImage failed: read the image again and decide by its state (protection on → that
 * message, whatever the code); the error code is only the second line.
 */
async function deregistrationFailed(ec2: Ec2, imageId: string, err: unknown, fail: Fail): Promise<never> {
  const now = await describeImage(ec2, imageId).catch(() => undefined);
  const protection = protectionState(now?.DeregistrationProtection);
  if (protection.kind !== "off" || isDeregistrationProtected(err)) {
    return fail(
      `DeregisterImage was refused because deregistration protection is on (${protection.kind !== "off" ? protection.text : errorMessage(err)}); ` +
        `nothing was deleted. Set disableDeregistrationProtection: true and run pulumi up, then destroy again.`,
      err,
    );
  }
  return fail(`${describeCall("DeregisterImage", err)}; nothing was deleted. ${fixFor(err)}`, err);
}

/**
 * The snapshots this resource owns: the record; for a create that stopped before its image could be
 * described (state `pending`, empty record), the ones provably made for it (token tag or AWS's description).
 */
async function recordedSnapshots(
  ec2: Ec2,
  outputs: ManagedAmiOutputs,
  deleteSnapshots: boolean,
): Promise<string[]> {
  const recorded = [...new Set(outputs.snapshotIds ?? [])];
  // An EBS record with no snapshot at all comes from a create that stopped before it could read them
  // (still pending, or throttled after the image became available): look for the ones provably its own.
  if (
    recorded.length > 0 ||
    !deleteSnapshots ||
    outputs.rootDeviceType === "instance-store" ||
    (outputs.unownedSnapshotIds?.length ?? 0) > 0
  )
    return recorded;
  return provablyOwnedSnapshots(ec2, outputs.imageId, outputs.createToken);
}

interface ReconcileContext {
  ec2: Ec2;
  outputs: ManagedAmiOutputs;
  label: string;
  clock: Clock;
  deps: TeardownDeps;
  result: TeardownResult;
  failures: StorageDeleteError[];
  facts: Map<string, SnapshotFacts>;
  locks: Map<string, SnapshotLock>;
  deleteSnapshots: boolean;
  deregisteredHere: boolean;
  ignoreImageIds: string[];
}

/**
 * Step 7. deleteSnapshots false → every recorded snapshot is kept, its claim removed. Otherwise:
 * snapshots AWS already deleted are done; if the image went into the Recycle Bin, the ones left are
 * kept for a restore (claims kept, a warning with the exit time); locked ones are not attempted (a
 * failure; claim removed); the rest go through the shared safety check, and any left in use are kept
 * with a warning naming the users (claim removed).
 */
async function reconcileSnapshots(c: ReconcileContext): Promise<void> {
  const { ec2, outputs, label, result, failures, facts } = c;
  const kept: SnapshotFacts[] = [];
  const release = async () => {
    await releaseClaims(ec2, kept, outputs.imageId, outputs.createToken).catch((err: unknown) => {
      failures.push(
        explainFailure(`snapshots ${kept.map((k) => k.snapshotId).join(", ")}`, "DeleteTags", err),
      );
    });
  };
  if (!c.deleteSnapshots) {
    kept.push(...facts.values());
    return release();
  }
  const reported = new Map((result.deleteSnapshotResults ?? []).map((r) => [r.snapshotId, r.returnCode]));
  const recorded = [...new Set([...(outputs.snapshotIds ?? []), ...facts.keys()])];
  for (const id of recorded) {
    if (!facts.has(id)) result.snapshots.push({ snapshotId: id, outcome: "already-gone" });
    else if (reported.get(id) === "success") result.snapshots.push({ snapshotId: id, outcome: "deleted" });
  }
  const remaining = [...facts.keys()].filter((id) => reported.get(id) !== "success");
  if (remaining.length === 0) return;

  if (c.deregisteredHere) {
    const binned = await imageInRecycleBin(ec2, outputs.imageId).catch(() => undefined);
    if (binned) {
      result.warnings.push(
        `${label}: the image is in the Recycle Bin${binned.exitTime ? ` until ${binned.exitTime.toISOString()}` : ""}; ` +
          `its snapshots ${remaining.join(", ")} are kept so it can be restored (restoring an AMI needs its snapshots). ` +
          `They keep the managed-ami:image-id tag; once the image has left the bin, managed-ami audit --delete removes them.`,
      );
      for (const id of remaining)
        result.snapshots.push({ snapshotId: id, outcome: "in-use", usedBy: [outputs.imageId] });
      return;
    }
  }

  const settled = await deleteSnapshotsSafely(ec2, remaining, {
    ignoreImageIds: c.ignoreImageIds,
    accountId: outputs.ownerId,
    locks: c.locks,
    inUseTimeoutMs: c.deps.inUseTimeoutMs,
    clock: c.clock,
  }).catch((err: unknown) =>
    remaining.map((): PromiseSettledResult<SnapshotOutcome> => ({ status: "rejected", reason: err })),
  );
  settled.forEach((s, i) => {
    if (s.status === "rejected") {
      const failure = explainFailure(`snapshot ${remaining[i]}`, "DeleteSnapshot", s.reason);
      if (!failures.includes(failure)) failures.push(failure);
      if (failure.reason === "locked") kept.push(facts.get(remaining[i]) as SnapshotFacts);
      return;
    }
    result.snapshots.push(s.value);
    if (s.value.outcome !== "in-use") return;
    kept.push(facts.get(remaining[i]) as SnapshotFacts);
    const users = (s.value.usedBy ?? []).join(", ");
    result.warnings.push(
      `${label}: snapshot ${s.value.snapshotId} is still used by ${users}; left in place. ` +
        `Deregister ${users} or set deleteSnapshots: false.`,
    );
  });
  await release();
}

/** Step 9: deleted snapshots a Recycle Bin rule keeps (count, GiB, exit time); archived ones deleted before 90 days. */
async function costWarnings(
  ec2: Ec2,
  label: string,
  result: TeardownResult,
  facts: Map<string, SnapshotFacts>,
  archiveDays: Map<string, number>,
): Promise<void> {
  const deleted = result.snapshots
    .filter((s) => s.outcome === "deleted" && facts.has(s.snapshotId))
    .map((s) => s.snapshotId);
  if (deleted.length === 0) return;
  const binned = await snapshotsInRecycleBin(ec2, deleted).catch(() => []);
  if (binned.length > 0) {
    const gib = binned.reduce((sum, b) => sum + (facts.get(b.id)?.sizeGiB ?? 0), 0);
    const exits = binned.map((b) => b.exitTime?.getTime()).filter((t): t is number => t !== undefined);
    const last = exits.length ? new Date(Math.max(...exits)).toISOString() : undefined;
    result.warnings.push(
      `${label}: ${binned.length} deleted snapshot${binned.length === 1 ? " is" : "s are"} (${gib} GiB) kept by a Recycle Bin retention rule ` +
        `and still billed${last ? ` until ${last}` : ""}: ${binned.map((b) => b.id).join(", ")}. Restore with aws ec2 restore-snapshot-from-recycle-bin if that was a mistake.`,
    );
  }
  for (const id of deleted) {
    const days = archiveDays.get(id);
    if (days === undefined) continue;
    result.warnings.push(
      `${label}: snapshot ${id} was in the archive tier for less than 90 days; AWS charges the ${days} remaining day${days === 1 ? "" : "s"} of the minimum (early deletion).`,
    );
  }
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
