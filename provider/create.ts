/**
 * create: issue the source's call (tagged with a fresh per-create token), wait until the image is
 * `available`, then record the storage it owns (the caller-owned EBS snapshots of its mappings, or
 * its S3 bundle) and, when destroy will delete them (`deleteSnapshots` not false), tag those
 * snapshots `managed-ami:image-id`. A failure once the image exists throws `ManagedAmiPartialError`.
 */
import { EC2Client, Image } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { readBundle } from "./aws/bundles";
import { ec2Client, s3Client } from "./aws/clients";
import {
  errorCode,
  errorMessage,
  httpStatus,
  isAccessDenied,
  isDuplicateImageName,
  isThrottling,
  isTransient,
} from "./aws/errors";
import {
  ImageBasics,
  ImageFailedError,
  WaitOptions,
  copyImage,
  createFromInstance,
  findOwnImage,
  findRetriedImage,
  registerFromManifest,
  registerFromSnapshots,
  setImageDescription,
  waitForImageAvailable,
} from "./aws/imageSources";
import { describeImage, snapshotIdsOf } from "./aws/images";
import { resolveRegion } from "./aws/region";
import { withLifecycle } from "./aws/lifecycle";
import { checkInputs } from "./check";
import {
  CREATE_TOKEN_TAG,
  finishedToken,
  newCreateToken,
  ownedSnapshotTags,
  tagResources,
  withBookkeepingTag,
} from "./aws/tags";
import { partitionOwnSnapshots, provablyOwnedSnapshots } from "./aws/snapshotOwnership";
import type { CallerAccount } from "./aws/identity";
import { ManagedAmiInputs, ManagedAmiOutputs, OwnedBundle } from "./types";

/** What the provider's create/read/update need from the outside world; tests substitute clients. */
export interface ProviderDeps {
  /** An EC2 client for a region; default `ec2Client(region)` (SDK chain for credentials and endpoint). */
  ec2(region: string): Pick<EC2Client, "send">;
  /** An S3 client for a region; default `s3Client(region)`. */
  s3(region: string): Pick<S3Client, "send">;
  /** Tuning of the wait for `available`; default 40 minutes, real clock. */
  wait?: WaitOptions;
  /** Where warnings go; default: none (the runtime passes the engine's log). */
  log?: ProviderLog;
  /** The caller's account (STS); default `callerAccount(region)`. */
  callerAccount?(region: string): Promise<CallerAccount>;
}

/** Warnings and debug notes for the engine (the runtime routes them to the host's `@pulumi/pulumi`). */
export interface ProviderLog {
  warn(message: string): void;
  debug?(message: string): void;
}

/** The real clients, created per call from the given region. */
export function defaultDeps(): ProviderDeps {
  return { ec2: (region) => ec2Client(region), s3: (region) => s3Client(region) };
}

/**
 * A create that failed after the image came into existence. The dynamic-provider host turns an
 * error with `id` into ErrorResourceInitFailed, so the engine keeps the resource (and its
 * `properties`) in state; a later `up` finishes it and `destroy` removes it.
 */
export class ManagedAmiPartialError extends Error {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ManagedAmiPartialError";
    this.reasons = [message];
  }
}

/** The inputs without the host's `__provider` (the host adds it back to the outputs). */
export function withoutProvider<T extends object>(props: T): T {
  const copy = { ...props } as Record<string, unknown>;
  delete copy.__provider;
  return copy as T;
}

/** The outputs for an image: every input, the resolved region, what AWS reports, the owned storage. */
export function outputsFor(
  inputs: ManagedAmiInputs,
  region: string,
  image: Image,
  storage: { snapshotIds: string[]; bundle?: OwnedBundle; unownedSnapshotIds?: string[] },
  createToken?: string,
): ManagedAmiOutputs {
  const outs: ManagedAmiOutputs = {
    ...inputs,
    region,
    imageId: image.ImageId as string,
    ownerId: image.OwnerId ?? "",
    state: image.State ?? "unknown",
    rootDeviceType: image.RootDeviceType === "instance-store" ? "instance-store" : "ebs",
    snapshotIds: storage.snapshotIds,
    creationDate: image.CreationDate,
    architecture: image.Architecture,
    createToken,
  };
  if (storage.bundle) outs.bundle = storage.bundle;
  if (storage.unownedSnapshotIds && storage.unownedSnapshotIds.length > 0)
    outs.unownedSnapshotIds = storage.unownedSnapshotIds;
  return dropUndefined(outs);
}

/** Removes keys whose value is `undefined` (they cannot be represented in state anyway). */
export function dropUndefined<T extends object>(obj: T): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Label for messages: `ManagedAmi "name"` plus the image id when known. */
export function label(name: string | undefined, imageId?: string): string {
  return `ManagedAmi${name ? ` "${name}"` : ""}${imageId ? ` (${imageId})` : ""}`;
}

/** Creates (or adopts) the image described by `inputs` and returns its id and outputs. */
export async function createManagedAmi(
  rawInputs: ManagedAmiInputs,
  deps: ProviderDeps = defaultDeps(),
): Promise<{ id: string; outs: ManagedAmiOutputs }> {
  const inputs = withoutProvider(rawInputs);
  // The engine runs check first; this keeps any other caller from sending bad input to AWS.
  const { failures } = checkInputs({}, inputs);
  if (failures && failures.length > 0) {
    const list = failures.map((f) => (f.property ? `${f.property}: ${f.reason}` : f.reason)).join("; ");
    throw new Error(`${label(inputs.name)}: invalid inputs, nothing was sent to AWS: ${list}`);
  }
  const region = await resolveRegion(inputs.region);
  if (inputs.adopt) return adoptImage(rawInputs, inputs, region, deps);

  const ec2 = deps.ec2(region);
  const name = inputs.name;
  if (!name) throw new Error(`${label(undefined)}: name is required for every source but adopt. Set name.`);
  // Destroy deletes the snapshots only with deleteSnapshots (default true): only then are they claimed.
  const claim = inputs.deleteSnapshots !== false;
  const basics: ImageBasics = {
    name,
    description: inputs.description,
    tags: inputs.tags,
    token: newCreateToken(claimKeyOf(rawInputs)),
    tokenOnSnapshots: claim,
  };

  let imageId = await issueCreate(ec2, region, basics, inputs);
  try {
    let image: Image;
    for (let attempt = 1; ; attempt++) {
      try {
        image = await waitForImageAvailable(ec2, imageId, deps.wait);
        break;
      } catch (err) {
        if (!inputs.copyOf || attempt > 2 || !goneBeforeAvailable(err)) throw err;
        // The copy this create made was deregistered before it became available: copy again under
        // a salted token (AWS would answer the same token with the deregistered copy).
        imageId = await copyImage(ec2, region, basics, inputs.copyOf, attempt);
      }
    }
    const storage = await ownedStorage(inputs, region, image, deps);
    if (claim) await tagResources(ec2, storage.snapshotIds, ownedSnapshotTags(inputs.tags, imageId));
    await markFinished(ec2, imageId, basics.token, inputs.tags);
    warnUnowned(deps, inputs.name, imageId, storage.unownedSnapshotIds);
    // Lifecycle inputs (deregistrationProtection, deprecationTime, disabled): applied, then read back.
    return {
      id: imageId,
      outs: await withLifecycle(ec2, outputsFor(inputs, region, image, storage, basics.token), image),
    };
  } catch (err) {
    throw await partialError(rawInputs, inputs, region, imageId, err, deps, basics.token);
  }
}

/**
 * The resource's claim key: `ManagedAmi` passes `__claimKey` (a digest of project, stack, parent and
 * name) so a re-run after an interrupted `up` can claim the image that run made; absent = none.
 */
function claimKeyOf(inputs: ManagedAmiInputs): string | undefined {
  const key = (inputs as { __claimKey?: unknown }).__claimKey;
  return typeof key === "string" ? key : undefined;
}

/** Marks the image's token finished: a later create of the same resource no longer claims it. */
export async function markFinished(
  ec2: Pick<EC2Client, "send">,
  imageId: string,
  token: string | undefined,
  tags: Record<string, string> | undefined,
): Promise<void> {
  // No token tag was written when the user's tags take all 50 places.
  if (!token || !(CREATE_TOKEN_TAG in withBookkeepingTag(tags, CREATE_TOKEN_TAG, token))) return;
  await tagResources(ec2, [imageId], { [CREATE_TOKEN_TAG]: finishedToken(token) });
}

/** Warn about mapped snapshots another account owns: they are left out of the record. */
function warnUnowned(
  deps: ProviderDeps,
  name: string | undefined,
  imageId: string,
  ids: string[] | undefined,
): void {
  if (!ids || ids.length === 0) return;
  deps.log?.warn(
    `${label(name, imageId)}: snapshot(s) ${ids.join(", ")} in the image's block device mappings are not owned by ` +
      "the caller's account (shared by another account, or gone). They are not recorded, tagged or deleted by this resource " +
      "(see the output unownedSnapshotIds).",
  );
}

/**
 * The source's create call. A lost answer makes the SDK retry a call that already took effect; the
 * retry then fails with `InvalidAMIName.Duplicate`, and the image carrying this create's token tag
 * (written by the first attempt through TagSpecifications) is ours. Any other image is a clash.
 */
async function issueCreate(
  ec2: Pick<EC2Client, "send">,
  region: string,
  basics: ImageBasics,
  inputs: ManagedAmiInputs,
): Promise<string> {
  const { fromSnapshots, fromManifest, fromInstance, copyOf } = inputs;
  let action: string;
  let call: () => Promise<string>;
  if (fromSnapshots) {
    [action, call] = ["RegisterImage", () => registerFromSnapshots(ec2, basics, fromSnapshots)];
  } else if (fromManifest) {
    [action, call] = ["RegisterImage", () => registerFromManifest(ec2, basics, fromManifest)];
  } else if (fromInstance) {
    [action, call] = ["CreateImage", () => createFromInstance(ec2, basics, fromInstance)];
  } else if (copyOf) {
    [action, call] = ["CopyImage", () => copyImage(ec2, region, basics, copyOf)];
  } else {
    throw new Error(
      `${label(basics.name)}: no source. Set exactly one of fromSnapshots, fromInstance, copyOf, fromManifest, adopt.`,
    );
  }
  try {
    return await call();
  } catch (err) {
    if (!isDuplicateImageName(err)) {
      // A lost answer retried until the budget ran out: the call may have taken effect. Look for an
      // image carrying this create's token (a fresh call, a fresh budget) before giving up without an id.
      if ((isThrottling(err) || isTransient(err)) && basics.token) {
        const found = await findRetriedImage(ec2, basics.name, basics.token).catch(() => undefined);
        if (found?.imageId) return found.imageId;
      }
      throw new Error(`${label(basics.name)}: ${awsFailure(action, err)}`, { cause: err });
    }
    const retried = basics.token ? await findRetriedImage(ec2, basics.name, basics.token) : { clash: [] };
    if (retried.imageId) return retried.imageId;
    const existing =
      retried.clash.map((i) => i.ImageId).join(", ") || "another account's or a just-deregistered image";
    throw new Error(
      `${label(basics.name)}: an image named "${basics.name}" already exists in ${region} (${existing}); AMI names are unique per region. ` +
        "Choose another name, or take the existing image over with adopt: { imageId }.",
      { cause: err },
    );
  }
}

/**
 * An AWS failure as "Action failed (Code: message)" plus the fix: throttling and transient errors
 * are only surfaced once the retry budget is spent.
 */
export function awsFailure(action: string, err: unknown): string {
  const status = httpStatus(err);
  const code = errorCode(err) || (status ? `HTTP ${status}` : "Error");
  const message = errorMessage(err);
  if (isThrottling(err) || isTransient(err)) {
    return (
      `${action} kept failing with ${code} (${message}) for the whole retry budget. Run pulumi up again; ` +
      "with many resources use a lower --parallel or raise MANAGED_AMI_RETRY_BUDGET_MS."
    );
  }
  if (isAccessDenied(err)) {
    return `${action} was refused (${code}: ${message}). Grant the permission for ${action} to the identity running Pulumi.`;
  }
  return `${action} failed (${code}: ${message}). Fix the cause and run pulumi up again.`;
}

/** The image disappeared (or was deregistered) before it ever became available. */
function goneBeforeAvailable(err: unknown): boolean {
  return err instanceof ImageFailedError && (err.state === "deregistered" || err.state === "not found");
}

/** The storage an available image owns: its EBS snapshots, or (instance-store) its S3 bundle. */
async function ownedStorage(
  inputs: ManagedAmiInputs,
  region: string,
  image: Image,
  deps: ProviderDeps,
): Promise<{ snapshotIds: string[]; bundle?: OwnedBundle; unownedSnapshotIds?: string[] }> {
  const mapped = snapshotIdsOf(image);
  // Only the caller's own snapshots are recorded (a partner's shared snapshot can be a data volume).
  const { owned: snapshotIds, notOwned } =
    mapped.length > 0 ? await partitionOwnSnapshots(deps.ec2(region), mapped) : { owned: [], notOwned: [] };
  const unownedSnapshotIds = notOwned.length > 0 ? notOwned : undefined;
  if (image.RootDeviceType !== "instance-store") return { snapshotIds, unownedSnapshotIds };
  const location = image.ImageLocation ?? inputs.fromManifest?.imageLocation;
  if (!location) return { snapshotIds, unownedSnapshotIds };
  return { snapshotIds, unownedSnapshotIds, bundle: await readBundle(deps.s3(region), location) };
}

/**
 * The error for a create that failed after the image exists: carries the id and the best outputs
 * that can be read now (so destroy can still clean up), plus `__provider` for the host. The describe
 * is tried twice, each on a fresh retry budget; snapshots are recorded only when the caller owns them.
 */
async function partialError(
  rawInputs: ManagedAmiInputs,
  inputs: ManagedAmiInputs,
  region: string,
  imageId: string,
  cause: unknown,
  deps: ProviderDeps,
  createToken?: string,
): Promise<ManagedAmiPartialError> {
  let image: Image | undefined;
  for (let attempt = 0; attempt < 2 && !image; attempt++) {
    image = await describeImage(deps.ec2(region), imageId).catch(() => undefined);
  }
  const known: Image = image ?? {
    ImageId: imageId,
    State: "pending",
    RootDeviceType: inputs.fromManifest ? "instance-store" : "ebs",
  };
  const candidates = new Set(snapshotIdsOf(known));
  if (candidates.size === 0 && inputs.fromSnapshots) {
    for (const m of inputs.fromSnapshots.blockDeviceMappings) candidates.add(m.snapshotId);
  }
  const notes: string[] = [];
  const owned = new Set<string>();
  const ec2 = deps.ec2(region);
  // Snapshots CreateImage/CopyImage made for this image, found by token tag or AWS's description.
  await provablyOwnedSnapshots(ec2, imageId, createToken)
    .then((ids) => ids.forEach((id) => owned.add(id)))
    .catch(() => notes.push("its snapshots could not be looked up"));
  let unowned: string[] = [];
  if (candidates.size > 0) {
    await partitionOwnSnapshots(ec2, [...candidates])
      .then((p) => {
        p.owned.forEach((id) => owned.add(id));
        unowned = p.notOwned.filter((id) => !owned.has(id));
      })
      .catch(() =>
        notes.push(
          `the ownership of ${[...candidates].join(", ")} could not be checked, so they are not recorded`,
        ),
      );
  }
  let bundle: OwnedBundle | undefined;
  if (inputs.fromManifest) {
    try {
      bundle = await readBundle(deps.s3(region), inputs.fromManifest.imageLocation);
    } catch {
      bundle = undefined;
    }
  }
  const storage = { snapshotIds: [...owned].sort(), bundle, unownedSnapshotIds: unowned };
  const props: Record<string, unknown> = { ...outputsFor(inputs, region, known, storage, createToken) };
  const provider = (rawInputs as { __provider?: unknown }).__provider;
  if (provider !== undefined) props.__provider = provider;
  const message =
    `${label(inputs.name, imageId)}: the image was created but did not become ready: ${causeText(cause)}. ` +
    (notes.length > 0 ? `Also, ${notes.join("; ")}. ` : "") +
    "It is kept in state: run `pulumi up` again to finish it, or `pulumi destroy` to remove it and its storage.";
  return new ManagedAmiPartialError(message, imageId, props);
}

/** An error as "Code: message" when it carries an AWS code, else its message. */
function causeText(err: unknown): string {
  const code = errorCode(err);
  const message = errorMessage(err);
  return code && code !== "Error" && !code.startsWith("Image") && !message.startsWith(code)
    ? `${code}: ${message}`
    : message;
}

/**
 * adopt: take over an existing image owned by the caller's account. Everything that can refuse
 * (not found, foreign, deregistered, not yet available, an unreadable bundle) runs before any change.
 */
async function adoptImage(
  rawInputs: ManagedAmiInputs,
  inputs: ManagedAmiInputs,
  region: string,
  deps: ProviderDeps,
): Promise<{ id: string; outs: ManagedAmiOutputs }> {
  const ec2 = deps.ec2(region);
  const imageId = (inputs.adopt as { imageId: string }).imageId;
  const found = await findOwnImage(ec2, imageId).catch((err: unknown) => {
    throw new Error(`${label(inputs.name, imageId)}: cannot adopt: ${awsFailure("DescribeImages", err)}`, {
      cause: err,
    });
  });
  if (found.refusal === "not-found") {
    throw new Error(
      `${label(inputs.name, imageId)}: cannot adopt: no image ${imageId} in ${region}. Check adopt.imageId and region; nothing was changed.`,
    );
  }
  if (found.refusal === "deregistered") {
    throw new Error(
      `${label(inputs.name, imageId)}: cannot adopt: image ${imageId} in ${region} is deregistered. Adopt an existing image; nothing was changed.`,
    );
  }
  if (found.refusal === "not-owned") {
    throw new Error(
      `${label(inputs.name, imageId)}: cannot adopt: image ${imageId} is owned by account ${found.image?.OwnerId ?? "unknown"}, ` +
        "not by the caller's account; only your own images can be managed (their storage would be deleted on destroy). " +
        "Copy it with copyOf instead; nothing was changed.",
    );
  }
  let image = found.image as Image;
  if (image.State !== "available") {
    try {
      image = await waitForImageAvailable(ec2, imageId, deps.wait);
    } catch (err) {
      throw new Error(
        `${label(image.Name, imageId)}: cannot adopt: ${errorMessage(err)}. Adopt it once it is available; nothing was changed.`,
      );
    }
  }
  const adopted: ManagedAmiInputs = { ...inputs, name: image.Name };
  const storage = await ownedStorage(adopted, region, image, deps).catch((err: unknown) => {
    throw new Error(
      `${label(image.Name, imageId)}: cannot adopt: ${errorMessage(err)}; nothing was changed.`,
      { cause: err },
    );
  });
  try {
    if (inputs.description !== undefined && inputs.description !== (image.Description ?? "")) {
      await setImageDescription(ec2, imageId, inputs.description);
    }
    await tagResources(ec2, [imageId], inputs.tags);
    if (inputs.deleteSnapshots !== false) {
      await tagResources(ec2, storage.snapshotIds, ownedSnapshotTags(inputs.tags, imageId));
    }
  } catch (err) {
    const props: Record<string, unknown> = { ...outputsFor(adopted, region, image, storage) };
    const provider = (rawInputs as { __provider?: unknown }).__provider;
    if (provider !== undefined) props.__provider = provider;
    throw new ManagedAmiPartialError(
      `${label(image.Name, imageId)}: adopted, but setting its description/tags failed: ${errorMessage(err)}. Run \`pulumi up\` again.`,
      imageId,
      props,
    );
  }
  warnUnowned(deps, image.Name, imageId, storage.unownedSnapshotIds);
  const outs = outputsFor(adopted, region, image, storage);
  try {
    return { id: imageId, outs: await withLifecycle(deps.ec2(region), outs, image) };
  } catch (err) {
    throw new ManagedAmiPartialError(
      `${label(image.Name, imageId)}: adopted, but setting its lifecycle failed: ${errorMessage(err)}. Run \`pulumi up\` again.`,
      imageId,
      dropUndefined({ ...outs, __provider: (rawInputs as { __provider?: unknown }).__provider }),
    );
  }
}
