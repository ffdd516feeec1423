/**
 * The delete plan of a ManagedAmi, read top to bottom (spec: "delete — the heart"):
 * 1 look the image up, 2 handle deregistration protection, 3 deregister, 4 reconcile the recorded
 * storage, 5 fail with one error naming everything that could not be deleted. Re-running resumes.
 */
import type { Image } from "@aws-sdk/client-ec2";
import type { ManagedAmiOutputs } from "./types";
import { bundleKeys, existingKeys, type S3 } from "./aws/bundles";
import { ec2Client, s3Client } from "./aws/clients";
import { errorCode, errorMessage, isAccessDenied, isDeregistrationProtected, isThrottling, isTransient } from "./aws/errors";
import {
  deregisterImage,
  describeImage,
  disableDeregistrationProtection,
  isGone,
  protectionState,
  snapshotIdsOf,
  type Ec2,
  type ProtectionState,
} from "./aws/images";
import { existingSnapshots } from "./aws/snapshots";
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
  const result: TeardownResult = { imageId, image: "already-gone", snapshots: [], warnings: [] };
  const fail = (what: string, err: unknown): never => {
    throw new TeardownError(`${label}: ${what}`, imageId, [], { cause: err });
  };
  const failInUse = (err: ImageInUseError): never => {
    throw new TeardownError(err.message, imageId, [], { cause: err });
  };

  // 1. Look the image up. NotFound, Unavailable, an empty answer or `deregistered`: already gone.
  const image: Image | undefined = await describeImage(ec2, imageId).catch((err: unknown) =>
    fail(`${describeCall("DescribeImages", err)}; nothing was deleted. ${fixFor(err)}`, err),
  );

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
        fail(`${describeCall("DisableImageDeregistrationProtection", err)}; nothing was deleted. ${fixFor(err)}`, err),
      );
    }
    if (protection.kind !== "off") {
      const lifts = protection.kind === "cooldown" && protection.liftsAt ? protection.liftsAt.toISOString() : undefined;
      fail(
        `deregistration protection is off but its cooldown keeps the image protected ` +
          `${lifts ? `until ${lifts}` : `(${protection.text})`}; nothing was deleted. ` +
          `Run destroy again ${lifts ? `after ${lifts}` : "when the cooldown has passed"}.`,
        undefined,
      );
    }

    // 2b. In-use guard (spec v2): a blocking reference fails here under whenInUse "fail" (see inUse.ts).
    const inUse = await guardInUse(ec2, imageId, outputs.whenInUse ?? "fail", label).catch((err: unknown) =>
      err instanceof ImageInUseError
        ? failInUse(err)
        : fail(`${describeCall("DescribeImageReferences", err)}; nothing was deleted. ${fixFor(err)}`, err),
    );
    result.warnings.push(...inUse);

    // 3. Deregister. AWS's DeleteAssociatedSnapshots is asked for only when every snapshot of the
    //    image is one we recorded (it must never delete a snapshot we do not own).
    const imageSnapshots = image ? snapshotIdsOf(image) : [];
    const useAssociated =
      deleteSnapshots && imageSnapshots.length > 0 && imageSnapshots.every((id) => recordedSnapshots.includes(id));
    const dereg = await deregisterImage(ec2, imageId, { deleteAssociatedSnapshots: useAssociated }).catch((err: unknown) => {
      if (isDeregistrationProtected(err)) {
        return fail(
          `DeregisterImage was refused because deregistration protection is on (${errorMessage(err)}); nothing was deleted. ` +
            `Set disableDeregistrationProtection: true and run pulumi up, then destroy again.`,
          err,
        );
      }
      return fail(`${describeCall("DeregisterImage", err)}; nothing was deleted. ${fixFor(err)}`, err);
    });
    result.image = dereg.deregistered ? "deregistered" : "already-gone";
    result.deleteSnapshotResults = dereg.deleteSnapshotResults?.map((r) => ({
      snapshotId: r.SnapshotId ?? "",
      returnCode: r.ReturnCode ?? "",
    }));
  }

  // 4. Reconcile the recorded storage: whatever still exists is deleted unless another registered
  //    image uses it (our own, now deregistered image is not counted).
  const failures: StorageDeleteError[] = [];
  const safeOpts = { ignoreImageIds: [imageId], inUseTimeoutMs: deps.inUseTimeoutMs, clock };
  if (deleteSnapshots && recordedSnapshots.length > 0) {
    const reported = new Map((result.deleteSnapshotResults ?? []).map((r) => [r.snapshotId, r.returnCode]));
    let remaining: string[] = [];
    try {
      remaining = await existingSnapshots(ec2, recordedSnapshots);
    } catch (err) {
      failures.push(explainFailure(`snapshots ${recordedSnapshots.join(", ")}`, "DescribeSnapshots", err));
    }
    const checked = failures.length === 0;
    for (const id of recordedSnapshots) {
      if (checked && !remaining.includes(id)) {
        result.snapshots.push({ snapshotId: id, outcome: reported.get(id) === "success" ? "deleted" : "already-gone" });
      }
    }
    const settled = await Promise.allSettled(remaining.map((id) => deleteSnapshotSafely(ec2, id, safeOpts)));
    settled.forEach((s, i) => {
      if (s.status === "rejected") failures.push(explainFailure(`snapshot ${remaining[i]}`, "DeleteSnapshot", s.reason));
      else result.snapshots.push(s.value);
    });
    for (const outcome of result.snapshots) {
      if (outcome.outcome !== "in-use") continue;
      const users = (outcome.usedBy ?? []).join(", ");
      result.warnings.push(
        `${label}: snapshot ${outcome.snapshotId} is still used by ${users}; left in place. ` +
          `Deregister ${users} or set deleteSnapshots: false.`,
      );
    }
  }
  if (deleteBundle && outputs.bundle) {
    try {
      const s3 = deps.s3 ?? s3Client(outputs.region);
      result.bundle = await deleteBundleSafely(ec2, s3, outputs.bundle, safeOpts);
      if (result.bundle.outcome === "in-use") {
        const users = (result.bundle.usedBy ?? []).join(", ");
        result.warnings.push(
          `${label}: bundle s3://${outputs.bundle.bucket}/${outputs.bundle.manifestKey} is still used by ${users}; left in place. ` +
            `Deregister ${users} or set deleteBundle: false.`,
        );
      }
    } catch (err) {
      const errors = err instanceof AggregateError ? err.errors : [err];
      for (const e of errors) failures.push(explainFailure(`s3://${outputs.bundle.bucket}/${outputs.bundle.manifestKey}`, "DeleteObjects", e));
    }
  }
  for (const warning of result.warnings) log.warn(warning);

  // 5. Anything that could not be deleted fails the delete, naming the image, each item, cause and fix.
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

/** "DescribeImages failed (Code: message)", or the throttling/budget wording. */
function describeCall(action: string, err: unknown): string {
  const code = errorCode(err) || "Error";
  if (isThrottling(err) || isTransient(err)) return `${action} kept failing with ${code} for the whole retry budget`;
  return `${action} failed (${code}: ${errorMessage(err)})`;
}

function fixFor(err: unknown): string {
  if (isAccessDenied(err)) return "Grant the missing EC2 permission to the identity running destroy, then run destroy again.";
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
    ? await existingKeys(deps.s3 ?? s3Client(outputs.region), outputs.bundle.bucket, bundleKeys(outputs.bundle))
    : [];
  return { snapshotIds, bundleKeys: keys };
}
