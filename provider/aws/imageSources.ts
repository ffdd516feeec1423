/**
 * Image creation for the five sources: RegisterImage (EBS snapshots or an S3 manifest),
 * CreateImage (an instance), CopyImage (another region), each tagged at creation, and a bounded
 * wait until the image is `available`. Adopting an existing image is a lookup (`findOwnImage`).
 */
import { createHash } from "node:crypto";
import {
  ArchitectureValues,
  BootModeValues,
  CopyImageCommand,
  CreateImageCommand,
  DescribeImagesCommand,
  EC2Client,
  Image,
  ModifyImageAttributeCommand,
  paginateDescribeImages,
  RegisterImageCommand,
  TagSpecification,
  VolumeType,
} from "@aws-sdk/client-ec2";
import { CopyOfSource, FromInstanceSource, FromManifestSource, FromSnapshotsSource } from "../types";
import { isNotFoundImage } from "./errors";
import { forPaginator } from "./clients";
import { describeImage } from "./images";
import { CREATE_TOKEN_TAG, finishedToken, tagSpecifications, withBookkeepingTag } from "./tags";

type Ec2 = Pick<EC2Client, "send">;

/** What every create call shares: the AMI name, description and tags, and this create's token. */
export interface ImageBasics {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  /** This create's token (`managed-ami:create-token`), fresh per create; unset = no token tag. */
  token?: string;
  /** Also write the token on the snapshots CreateImage/CopyImage make; default false (they are not ours to delete). */
  tokenOnSnapshots?: boolean;
}

/** TagSpecifications for a create call: user tags + the token on the image (and snapshots if asked). */
function createTagSpecs(basics: ImageBasics, withSnapshots: boolean): TagSpecification[] | undefined {
  const imageTags = basics.token
    ? withBookkeepingTag(basics.tags, CREATE_TOKEN_TAG, basics.token)
    : basics.tags;
  const specs = tagSpecifications(imageTags, ["image"]) ?? [];
  if (withSnapshots) {
    const snapTags =
      basics.token && basics.tokenOnSnapshots
        ? withBookkeepingTag(basics.tags, CREATE_TOKEN_TAG, basics.token)
        : basics.tags;
    specs.push(...(tagSpecifications(snapTags, ["snapshot"]) ?? []));
  }
  return specs.length > 0 ? specs : undefined;
}

/** RegisterImage of an EBS-backed image; defaults: x86_64, hvm, ENA on, gp3, delete on termination. */
export async function registerFromSnapshots(
  ec2: Ec2,
  basics: ImageBasics,
  src: FromSnapshotsSource,
): Promise<string> {
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: basics.name,
      Description: basics.description,
      RootDeviceName: src.rootDeviceName,
      BlockDeviceMappings: src.blockDeviceMappings.map((m) => ({
        DeviceName: m.deviceName,
        Ebs: {
          SnapshotId: m.snapshotId,
          VolumeSize: m.volumeSize,
          VolumeType: (m.volumeType ?? "gp3") as VolumeType,
          DeleteOnTermination: m.deleteOnTermination ?? true,
        },
      })),
      Architecture: (src.architecture ?? "x86_64") as ArchitectureValues,
      VirtualizationType: src.virtualizationType ?? "hvm",
      EnaSupport: src.enaSupport ?? true,
      BootMode: src.bootMode as BootModeValues | undefined,
      // RegisterImage accepts only `image` tag specifications; the snapshots are tagged afterwards.
      TagSpecifications: createTagSpecs(basics, false),
    }),
  );
  return requireImageId(out.ImageId, "RegisterImage", basics.name);
}

/** RegisterImage of an instance-store image from `bucket/path/x.manifest.xml`; default x86_64. */
export async function registerFromManifest(
  ec2: Ec2,
  basics: ImageBasics,
  src: FromManifestSource,
): Promise<string> {
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: basics.name,
      Description: basics.description,
      ImageLocation: src.imageLocation,
      Architecture: (src.architecture ?? "x86_64") as ArchitectureValues,
      TagSpecifications: createTagSpecs(basics, false),
    }),
  );
  return requireImageId(out.ImageId, "RegisterImage", basics.name);
}

/** CreateImage from an instance; the AMI and the new snapshots are tagged in the same call. */
export async function createFromInstance(
  ec2: Ec2,
  basics: ImageBasics,
  src: FromInstanceSource,
): Promise<string> {
  const out = await ec2.send(
    new CreateImageCommand({
      InstanceId: src.instanceId,
      Name: basics.name,
      Description: basics.description,
      NoReboot: src.noReboot ?? false,
      TagSpecifications: createTagSpecs(basics, true),
    }),
  );
  return requireImageId(out.ImageId, "CreateImage", basics.name);
}

/**
 * The ClientToken of a CopyImage: a digest of everything the request sends, the target region and
 * this create's token (fresh per create, kept in state), so the SDK's retries of one create return
 * the same copy while every new create (destroy, then up again) makes a new one. `attempt` > 0
 * salts it, for when AWS hands back a copy of this create that has since been deregistered.
 */
export function copyClientToken(
  targetRegion: string,
  basics: ImageBasics,
  src: CopyOfSource,
  attempt = 0,
): string {
  const material = JSON.stringify([
    "managed-ami/copy/v1",
    targetRegion,
    basics.name,
    basics.description ?? null,
    Object.entries(basics.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    src.sourceImageId,
    src.sourceRegion,
    src.encrypted ?? false,
    src.kmsKeyId ?? null,
    attempt,
    basics.token ?? null,
  ]);
  // ClientToken: up to 64 ASCII characters.
  return `mami-${createHash("sha256").update(material).digest("hex").slice(0, 59)}`;
}

/**
 * CopyImage, sent by a client of the TARGET region, with SourceRegion and a stable ClientToken; the
 * AMI and its new snapshots are tagged in the same call.
 */
export async function copyImage(
  ec2: Ec2,
  targetRegion: string,
  basics: ImageBasics,
  src: CopyOfSource,
  attempt = 0,
): Promise<string> {
  const out = await ec2.send(
    new CopyImageCommand({
      Name: basics.name,
      Description: basics.description,
      SourceImageId: src.sourceImageId,
      SourceRegion: src.sourceRegion,
      Encrypted: src.encrypted || src.kmsKeyId ? true : undefined,
      KmsKeyId: src.kmsKeyId,
      ClientToken: copyClientToken(targetRegion, basics, src, attempt),
      TagSpecifications: createTagSpecs(basics, true),
    }),
  );
  return requireImageId(out.ImageId, "CopyImage", basics.name);
}

function requireImageId(id: string | undefined, action: string, name: string): string {
  if (!id) {
    throw new Error(
      `ManagedAmi "${name}": ${action} returned no ImageId; nothing to manage. Check the endpoint and retry.`,
    );
  }
  return id;
}

/** The image as DescribeImages with `Owners: ["self"]` shows it; undefined when the caller does not own it. */
async function describeOwnImage(ec2: Ec2, imageId: string): Promise<Image | undefined> {
  try {
    const out = await ec2.send(
      new DescribeImagesCommand({
        ImageIds: [imageId],
        Owners: ["self"],
        IncludeDeprecated: true,
        IncludeDisabled: true,
      }),
    );
    return (out.Images ?? []).find((i) => i.ImageId === imageId);
  } catch (err) {
    if (isNotFoundImage(err)) return undefined;
    throw err;
  }
}

/** The caller's own images named `name` (at most one is registered: names are unique per region). */
export async function ownImagesNamed(ec2: Ec2, name: string): Promise<Image[]> {
  const found: Image[] = [];
  const pages = paginateDescribeImages(
    { client: forPaginator(EC2Client, ec2) },
    { Owners: ["self"], Filters: [{ Name: "name", Values: [name] }] },
  );
  for await (const page of pages) found.push(...(page.Images ?? []).filter((i) => i.Name === name));
  return found;
}

/**
 * After `InvalidAMIName.Duplicate`: the image an earlier attempt of THIS create made (its answer was
 * lost and the SDK retried), or one an interrupted create of the SAME resource (same stack, same
 * resource: the token's claim-key part) made and never finished. Only the caller's registered images
 * carrying such a token are claimed; every other image (another stack's, a finished one) is a clash.
 */
export async function findRetriedImage(
  ec2: Ec2,
  name: string,
  token: string,
): Promise<{ imageId?: string; clash: Image[] }> {
  const images = (await ownImagesNamed(ec2, name)).filter((i) => i.State !== "deregistered");
  const mine =
    images.find((i) => hasCreateToken(i, token)) ?? images.find((i) => interruptedBySameResource(i, token));
  return { imageId: mine?.ImageId, clash: images };
}

/** Whether an image carries `managed-ami:create-token` = `token` (finished or not). */
export function hasCreateToken(image: Image, token: string): boolean {
  return (image.Tags ?? []).some(
    (t) => t.Key === CREATE_TOKEN_TAG && (t.Value === token || t.Value === finishedToken(token)),
  );
}

/** An unfinished create's image whose token has the same claim key (`mami-<key>-…`) as `token`. */
function interruptedBySameResource(image: Image, token: string): boolean {
  const key = /^(mami-[0-9a-f]{16}-)[0-9a-f]{24}$/.exec(token)?.[1];
  if (!key) return false;
  return (image.Tags ?? []).some(
    (t) =>
      t.Key === CREATE_TOKEN_TAG &&
      t.Value !== undefined &&
      t.Value.startsWith(key) &&
      !t.Value.endsWith(".done"),
  );
}

/** Whether an image was made from these snapshots (same root device, same snapshot set). */
export function madeFromSnapshots(image: Image, src: FromSnapshotsSource): boolean {
  const mapped = (image.BlockDeviceMappings ?? [])
    .map((m) => m.Ebs?.SnapshotId)
    .filter((id): id is string => !!id);
  const wanted = src.blockDeviceMappings.map((m) => m.snapshotId);
  return (
    image.RootDeviceName === src.rootDeviceName &&
    mapped.length === wanted.length &&
    wanted.every((id) => mapped.includes(id))
  );
}

/** Whether an image was registered from this manifest. */
export function madeFromManifest(image: Image, src: FromManifestSource): boolean {
  return image.ImageLocation === src.imageLocation;
}

/** Whether an image was created from this instance (AWS reports `SourceInstanceId`). */
export function madeFromInstance(image: Image, src: FromInstanceSource): boolean {
  return image.SourceInstanceId === src.instanceId;
}

/** Why an image may not be adopted. */
export type AdoptRefusal = "not-found" | "not-owned" | "deregistered";

/**
 * The image to adopt, if it exists and is owned by the caller's account: it must be returned by
 * DescribeImages with `Owners: ["self"]`. Read-only: never changes anything.
 */
export async function findOwnImage(
  ec2: Ec2,
  imageId: string,
): Promise<{ image: Image; refusal?: undefined } | { image?: Image; refusal: AdoptRefusal }> {
  const visible = await describeImage(ec2, imageId);
  if (!visible) return { refusal: "not-found" };
  if (visible.State === "deregistered") return { image: visible, refusal: "deregistered" };
  const own = await describeOwnImage(ec2, imageId);
  if (!own) return { image: visible, refusal: "not-owned" };
  return { image: own };
}

/** A clock for waits: tests pass a fake one so they do not wait real minutes. */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const realClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Options of `waitForImageAvailable`. */
export interface WaitOptions {
  /** Give up after this long; default 40 minutes (env `MANAGED_AMI_WAIT_TIMEOUT_MS`). */
  timeoutMs?: number;
  /** First pause between polls, doubled up to `maxPollMs`; default 1000 (env `MANAGED_AMI_WAIT_POLL_MS`). */
  pollMs?: number;
  /** Longest pause between polls; default 15000. */
  maxPollMs?: number;
  /** A new image AWS has never described for this long counts as gone (not just slow to appear); default 120000. */
  notFoundGraceMs?: number;
  /** default: the real clock. */
  clock?: WaitClock;
}

/** The image reached a state it cannot leave (`failed`, `invalid`, `error`, `deregistered`, …). */
export class ImageFailedError extends Error {
  constructor(
    readonly imageId: string,
    readonly state: string,
    readonly reason: string | undefined,
  ) {
    super(`image ${imageId} is ${state}${reason ? ` (${reason})` : ""}`);
    this.name = "ImageFailedError";
  }
}

/** The image was still not `available` when the wait's time ran out. */
export class ImageWaitTimeoutError extends Error {
  constructor(
    readonly imageId: string,
    readonly lastState: string,
    readonly timeoutMs: number,
  ) {
    super(`image ${imageId} was still ${lastState} after ${Math.round(timeoutMs / 1000)} s`);
    this.name = "ImageWaitTimeoutError";
  }
}

const FAILED_STATES = new Set(["failed", "invalid", "error", "deregistered", "disabled"]);

/**
 * Polls DescribeImages until the image is `available` and returns it. A terminal state throws
 * `ImageFailedError`; running out of time (default 40 minutes) throws `ImageWaitTimeoutError`. A new
 * image not yet visible counts as pending for `notFoundGraceMs`, then fails with state `not found`.
 */
export async function waitForImageAvailable(
  ec2: Ec2,
  imageId: string,
  options: WaitOptions = {},
): Promise<Image> {
  const clock = options.clock ?? realClock;
  const timeoutMs = options.timeoutMs ?? envMs("MANAGED_AMI_WAIT_TIMEOUT_MS") ?? 40 * 60_000;
  const maxPollMs = options.maxPollMs ?? 15_000;
  let pause = options.pollMs ?? envMs("MANAGED_AMI_WAIT_POLL_MS") ?? 1000;
  const graceMs = options.notFoundGraceMs ?? 120_000;
  const started = clock.now();
  const deadline = started + timeoutMs;
  let lastState = "not yet visible";
  let seen = false;
  for (;;) {
    const image = await describeImage(ec2, imageId);
    if (image) {
      seen = true;
      lastState = image.State ?? "unknown";
      if (lastState === "available") return image;
      if (FAILED_STATES.has(lastState))
        throw new ImageFailedError(imageId, lastState, image.StateReason?.Message);
    } else if (seen || clock.now() - started >= graceMs) {
      throw new ImageFailedError(imageId, "not found", "DescribeImages does not know it");
    }
    const left = deadline - clock.now();
    if (left <= 0) throw new ImageWaitTimeoutError(imageId, lastState, timeoutMs);
    await clock.sleep(Math.min(pause, left));
    pause = Math.min(maxPollMs, pause * 2);
  }
}

function envMs(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** ModifyImageAttribute of the description (an empty string clears it). */
export async function setImageDescription(ec2: Ec2, imageId: string, description: string): Promise<void> {
  await ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, Description: { Value: description } }));
}
