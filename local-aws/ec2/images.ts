import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import type { QueryParams } from "../protocol/query";
import { readFilters } from "../protocol/query";
import { checkDryRun, tagSpecs, type Ec2Context, type Ec2Handler } from "./context";
import { applyFilters, type FilterFields } from "./filters";
import { checkId, newId } from "./ids";
import { paginate, validatePaging } from "./pagination";
import { renderImage } from "./render";
import type { BlockDevice, ImageRecord } from "./state";

/** EC2 image actions: CreateImage, RegisterImage, CopyImage, DescribeImages, DeregisterImage. */

const NAME_RE = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

export function notFoundImage(id: string): Ec2Error {
  return new Ec2Error("InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`);
}

/** The image `id` in the caller's region if the caller can see it; else InvalidAMIID.NotFound. */
export function visibleImage(ctx: Ec2Context, id: string, region = ctx.region): ImageRecord {
  checkId("ami", id);
  ctx.store.ensureRegion(region);
  const img = ctx.store.images.get(id);
  if (!img || img.region !== region || !ctx.store.canSee(img, ctx.accountId)) throw notFoundImage(id);
  return img;
}

/** Like visibleImage, but the caller must own it, and it must not be deregistered. */
export function ownImage(ctx: Ec2Context, id: string): ImageRecord {
  const img = visibleImage(ctx, id);
  if (img.ownerId !== ctx.accountId) {
    throw new Ec2Error("AuthFailure", `Not authorized for image:${id}`, 400);
  }
  if (img.state === "deregistered") {
    throw new Ec2Error("InvalidAMIID.Unavailable", `The image ID '${id}' is no longer available`);
  }
  return img;
}

function checkName(ctx: Ec2Context, name: string | undefined, region = ctx.region): string {
  if (name === undefined || name === "") throw missing("Name");
  if (!NAME_RE.test(name)) {
    throw new Ec2Error(
      "InvalidAMIName.Malformed",
      "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, " +
        "'(', ')', '.', '-', '/', '[', ']', ' ', '@', ''' and '_'",
    );
  }
  for (const img of ctx.store.images.values()) {
    if (
      img.region === region &&
      img.ownerId === ctx.accountId &&
      img.name === name &&
      img.state !== "deregistered"
    ) {
      throw new Ec2Error(
        "InvalidAMIName.Duplicate",
        `AMI name ${name} is already in use by AMI ${img.imageId}`,
      );
    }
  }
  return name;
}

function newImage(
  ctx: Ec2Context,
  fields: Partial<ImageRecord> & Pick<ImageRecord, "name" | "rootDeviceType">,
  region = ctx.region,
): ImageRecord {
  const now = ctx.store.clock.now();
  const after = ctx.store.timing.imageAvailableAfterMs;
  const img: ImageRecord = {
    imageId: newId("ami"),
    region,
    ownerId: ctx.accountId,
    state: after > 0 ? "pending" : "available",
    creationDate: now,
    availableAt: now + after,
    architecture: "x86_64",
    virtualizationType: "hvm",
    blockDeviceMappings: [],
    tags: [],
    isPublic: false,
    launchPermissions: new Set(),
    protection: { enabled: false, withCooldown: false },
    ...fields,
  };
  return img;
}

export const createImage: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const instanceId = checkId("i", p.required("InstanceId"));
  const inst = ctx.store.instances.get(instanceId);
  if (!inst || inst.region !== ctx.region || inst.ownerId !== ctx.accountId) {
    throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
  }
  if (inst.state === "terminated" || inst.state === "shutting-down") {
    throw new Ec2Error(
      "IncorrectInstanceState",
      `The instance '${instanceId}' is not in a state from which it can be imaged.`,
    );
  }
  const name = checkName(ctx, p.str("Name"));
  const tags = tagSpecs(ctx, ["image", "snapshot"]);
  checkDryRun(ctx);
  const img = newImage(ctx, {
    name,
    description: p.str("Description"),
    rootDeviceType: "ebs",
    rootDeviceName: inst.rootDeviceName,
    architecture: inst.architecture,
    enaSupport: true,
    bootMode: "uefi-preferred",
    sourceInstanceId: instanceId,
    tags: tags.image ?? [],
  });
  img.blockDeviceMappings = inst.volumes.map((v) => {
    const vol = ctx.store.volumes.get(v.volumeId);
    const snap = ctx.store.addSnapshot({
      region: ctx.region,
      ownerId: ctx.accountId,
      volumeId: v.volumeId,
      volumeSize: vol?.size ?? 8,
      description: `Created by CreateImage(${instanceId}) for ${img.imageId}`,
      encrypted: vol?.encrypted ?? false,
      tags: tags.snapshot,
    });
    return {
      deviceName: v.deviceName,
      snapshotId: snap.snapshotId,
      volumeSize: snap.volumeSize,
      volumeType: vol?.volumeType ?? "gp3",
      deleteOnTermination: true,
      encrypted: snap.encrypted,
    };
  });
  ctx.store.images.set(img.imageId, img);
  return { imageId: img.imageId };
};

function readMappings(ctx: Ec2Context, p: QueryParams): BlockDevice[] {
  return p.structs("BlockDeviceMapping").map((m) => {
    const deviceName = m.str("DeviceName");
    if (!deviceName) throw missing("BlockDeviceMapping.DeviceName");
    const b: BlockDevice = { deviceName, virtualName: m.str("VirtualName") };
    if (m.has("NoDevice")) b.noDevice = true;
    if (m.has("Ebs")) {
      const e = m.sub("Ebs");
      b.snapshotId = e.str("SnapshotId");
      b.volumeSize = e.int("VolumeSize");
      b.volumeType = e.str("VolumeType") ?? "gp2";
      b.deleteOnTermination = e.bool("DeleteOnTermination") ?? true;
      b.iops = e.int("Iops");
      b.throughput = e.int("Throughput");
      b.kmsKeyId = e.str("KmsKeyId");
      if (b.snapshotId !== undefined) {
        checkId("snap", b.snapshotId);
        const snap = ctx.store.snapshots.get(b.snapshotId);
        if (!snap || snap.region !== ctx.region || snap.ownerId !== ctx.accountId) {
          throw new Ec2Error("InvalidSnapshot.NotFound", `The snapshot '${b.snapshotId}' does not exist.`);
        }
        if (b.volumeSize === undefined) b.volumeSize = snap.volumeSize;
        if (b.volumeSize < snap.volumeSize) {
          throw new Ec2Error(
            "InvalidBlockDeviceMapping",
            `Volume of size ${b.volumeSize}GB is smaller than snapshot '${snap.snapshotId}', expect size >= ${snap.volumeSize}GB`,
          );
        }
        b.encrypted = e.bool("Encrypted") ?? snap.encrypted;
      } else if (b.volumeSize === undefined) {
        throw new Ec2Error(
          "InvalidBlockDeviceMapping",
          `The block device mapping for ${deviceName} needs a SnapshotId or a VolumeSize.`,
        );
      }
    }
    return b;
  });
}

export const registerImage: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const name = checkName(ctx, p.str("Name"));
  const tags = tagSpecs(ctx, ["image"]);
  const location = p.str("ImageLocation");
  const common = {
    name,
    description: p.str("Description"),
    architecture: p.str("Architecture") ?? "x86_64",
    virtualizationType: p.str("VirtualizationType") ?? "paravirtual",
    enaSupport: p.bool("EnaSupport"),
    bootMode: p.str("BootMode"),
    tags: tags.image ?? [],
  };
  let img: ImageRecord;
  if (location !== undefined && location !== "") {
    const slash = location.indexOf("/");
    if (slash <= 0 || slash === location.length - 1) {
      throw invalidValue(
        `Invalid value '${location}' for ImageLocation. Expected 'bucket/path/name.manifest.xml'.`,
      );
    }
    const bucket = location.slice(0, slash);
    const key = location.slice(slash + 1);
    const manifest = ctx.manifests?.read(bucket, key);
    if (manifest === "missing" || manifest === "unparsable") {
      throw new Ec2Error(
        "InvalidManifest",
        manifest === "missing"
          ? `Unable to read manifest ${location}: the object does not exist or you cannot access it.`
          : `The manifest ${location} is not a valid AMI bundle manifest.`,
      );
    }
    if (manifest?.architecture && !p.str("Architecture")) common.architecture = manifest.architecture;
    const mappings = p.has("BlockDeviceMapping") ? readMappings(ctx, p) : [];
    checkDryRun(ctx);
    img = newImage(ctx, {
      ...common,
      rootDeviceType: "instance-store",
      imageLocation: location,
      rootDeviceName: p.str("RootDeviceName"),
      blockDeviceMappings: mappings,
    });
  } else {
    const mappings = readMappings(ctx, p);
    if (mappings.length === 0) throw missing("BlockDeviceMapping or ImageLocation");
    const root = p.str("RootDeviceName");
    if (!root) throw missing("RootDeviceName");
    const rootMapping = mappings.find((m) => m.deviceName === root);
    if (!rootMapping || rootMapping.snapshotId === undefined) {
      throw new Ec2Error(
        "InvalidBlockDeviceMapping",
        `The root device name ${root} must have a block device mapping with a snapshot id.`,
      );
    }
    checkDryRun(ctx);
    img = newImage(ctx, {
      ...common,
      rootDeviceType: "ebs",
      rootDeviceName: root,
      blockDeviceMappings: mappings,
    });
  }
  ctx.store.images.set(img.imageId, img);
  return { imageId: img.imageId };
};

/** The millisecond epoch with thousands separators, as AWS prints it in CopyImage snapshot descriptions. */
function commaNumber(n: number): string {
  return Math.floor(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export const copyImage: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const sourceRegion = p.required("SourceRegion");
  const sourceImageId = checkId("ami", p.required("SourceImageId"));
  const token = p.str("ClientToken");
  const fingerprint = JSON.stringify(
    Object.entries(p.raw)
      .filter(([k]) => k !== "ClientToken" && k !== "DryRun")
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const tokenKey = `${ctx.accountId}/${ctx.region}/${token}`;
  if (token) {
    const prior = ctx.store.clientTokens.get(tokenKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        throw new Ec2Error(
          "IdempotentParameterMismatch",
          "Client token already used before with different parameters.",
        );
      }
      checkDryRun(ctx);
      return { imageId: prior.imageId };
    }
  }
  const src = visibleImage(ctx, sourceImageId, sourceRegion);
  if (src.state !== "available") {
    throw new Ec2Error(
      "IncorrectState",
      `Image ${sourceImageId} is not in a valid state for copying: ${src.state}`,
    );
  }
  if (src.rootDeviceType !== "ebs") {
    throw new Ec2Error("UnsupportedOperation", "local-aws copies EBS-backed images only.");
  }
  const name = checkName(ctx, p.str("Name"));
  const tags = tagSpecs(ctx, ["image", "snapshot"]);
  checkDryRun(ctx);
  const encrypted = p.bool("Encrypted");
  const imageTags = [...(p.bool("CopyImageTags") ? src.tags.filter((t) => !t.key.startsWith("aws:")) : [])];
  for (const t of tags.image ?? []) {
    const i = imageTags.findIndex((x) => x.key === t.key);
    if (i >= 0) imageTags.splice(i, 1);
    imageTags.push(t);
  }
  const img = newImage(ctx, {
    name,
    description: p.str("Description") ?? src.description,
    rootDeviceType: "ebs",
    rootDeviceName: src.rootDeviceName,
    architecture: src.architecture,
    virtualizationType: src.virtualizationType,
    enaSupport: src.enaSupport,
    bootMode: src.bootMode,
    sourceImageId,
    sourceImageRegion: sourceRegion,
    tags: imageTags,
    clientToken: token,
  });
  const created = ctx.store.clock.now();
  img.blockDeviceMappings = src.blockDeviceMappings.map((b) => {
    if (b.snapshotId === undefined) return { ...b };
    const srcSnap = ctx.store.snapshots.get(b.snapshotId);
    const snap = ctx.store.addSnapshot({
      region: ctx.region,
      ownerId: ctx.accountId,
      volumeId: "vol-ffffffff",
      volumeSize: srcSnap?.volumeSize ?? b.volumeSize ?? 8,
      description:
        `Copied for DestinationAmi ${img.imageId} from SourceAmi ${sourceImageId} for SourceSnapshot ${b.snapshotId}. ` +
        `Task created on ${commaNumber(created)}.`,
      encrypted: encrypted || (srcSnap?.encrypted ?? false),
      tags: tags.snapshot,
    });
    return { ...b, snapshotId: snap.snapshotId, encrypted: snap.encrypted };
  });
  ctx.store.images.set(img.imageId, img);
  if (token) ctx.store.clientTokens.set(tokenKey, { imageId: img.imageId, fingerprint });
  return { imageId: img.imageId };
};

const IMAGE_FILTERS: FilterFields<ImageRecord> = {
  name: (i) => i.name,
  "image-id": (i) => i.imageId,
  "owner-id": (i) => i.ownerId,
  "owner-alias": (i) => i.ownerAlias,
  state: (i) => i.state,
  description: (i) => i.description,
  "manifest-location": (i) => i.imageLocation ?? `${i.ownerId}/${i.name}`,
  "block-device-mapping.snapshot-id": (i) => i.blockDeviceMappings.map((b) => b.snapshotId),
  "block-device-mapping.device-name": (i) => i.blockDeviceMappings.map((b) => b.deviceName),
  "block-device-mapping.volume-size": (i) => i.blockDeviceMappings.map((b) => b.volumeSize?.toString()),
  "block-device-mapping.volume-type": (i) => i.blockDeviceMappings.map((b) => b.volumeType),
  "block-device-mapping.encrypted": (i) => i.blockDeviceMappings.map((b) => (b.encrypted ? "true" : "false")),
  "is-public": (i) => String(i.isPublic),
  architecture: (i) => i.architecture,
  "root-device-type": (i) => i.rootDeviceType,
  "root-device-name": (i) => i.rootDeviceName,
  "image-type": () => "machine",
  "virtualization-type": (i) => i.virtualizationType,
  "source-instance-id": (i) => i.sourceInstanceId,
  "source-image-id": (i) => i.sourceImageId,
  "creation-date": (i) => new Date(i.creationDate).toISOString(),
};

export const describeImages: Ec2Handler = (ctx) => {
  const p = ctx.params;
  ctx.store.ensureRegion(ctx.region);
  const ids = p.list("ImageId");
  validatePaging(p, { range: [5, 1000], idsParam: "ImageId", idsGiven: ids.length > 0 });
  const owners = p.list("Owner");
  const executableBy = p.list("ExecutableBy");
  const filters = readFilters(p);
  const includeDisabled = p.bool("IncludeDisabled") ?? false;
  const includeDeprecated = p.bool("IncludeDeprecated") ?? false;
  let images: ImageRecord[];
  if (ids.length) {
    // An explicit id is answered whatever its state (a disabled one reads State=disabled).
    for (const id of ids) checkId("ami", id);
    const unknown = ids.filter((id) => {
      const img = ctx.store.images.get(id);
      return !img || img.region !== ctx.region || !ctx.store.canSee(img, ctx.accountId);
    });
    if (unknown.length === 1) throw notFoundImage(unknown[0]);
    if (unknown.length > 1) {
      throw new Ec2Error("InvalidAMIID.NotFound", `The image ids '[${unknown.join(", ")}]' do not exist`);
    }
    images = ids.map((id) => visibleImage(ctx, id));
    images = images.filter((img, i) => images.indexOf(img) === i);
  } else {
    images = [...ctx.store.images.values()].filter(
      (i) =>
        i.region === ctx.region &&
        ctx.store.canSee(i, ctx.accountId) &&
        (includeDisabled || i.state !== "disabled") &&
        (includeDeprecated || i.ownerId === ctx.accountId || !ctx.store.isDeprecated(i)),
    );
  }
  if (owners.length) {
    images = images.filter((i) =>
      owners.some((o) =>
        o === "self"
          ? i.ownerId === ctx.accountId
          : o === i.ownerId || (i.ownerAlias !== undefined && o === i.ownerAlias),
      ),
    );
  }
  if (executableBy.length) {
    images = images.filter((i) =>
      executableBy.some((e) =>
        e === "all"
          ? i.isPublic
          : e === "self"
            ? i.ownerId === ctx.accountId || i.launchPermissions.has(ctx.accountId) || i.isPublic
            : i.launchPermissions.has(e) || i.isPublic || i.ownerId === e,
      ),
    );
  }
  images = applyFilters(images, filters, IMAGE_FILTERS);
  const { page, nextToken } = paginate(images, p, "DescribeImages", {
    range: [5, 1000],
    idsParam: "ImageId",
    idsGiven: ids.length > 0,
  });
  checkDryRun(ctx);
  return { imagesSet: page.map((i) => renderImage(i, ctx.store)), nextToken };
};

export const deregisterImage: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const id = p.required("ImageId");
  const img = visibleImage(ctx, id);
  if (img.ownerId !== ctx.accountId) throw new Ec2Error("AuthFailure", `Not authorized for image:${id}`, 400);
  if (img.state === "deregistered") {
    throw new Ec2Error("InvalidAMIID.Unavailable", `The image ID '${id}' is no longer available`);
  }
  const now = ctx.store.clock.now();
  const prot = img.protection;
  if (prot.enabled || (prot.disabledUntil !== undefined && now < prot.disabledUntil)) {
    if (ctx.store.settings.errorCodes === "alternate") {
      throw new Ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", 403);
    }
    const until = prot.enabled ? "" : ` until ${new Date(prot.disabledUntil as number).toISOString()}`;
    throw new Ec2Error(
      "OperationNotPermitted",
      `The image ${id} has deregistration protection enabled${until}. Disable deregistration protection first.`,
    );
  }
  const deleteAssociated =
    p.bool("DeleteAssociatedSnapshots") === true && ctx.supportsDeleteAssociatedSnapshots;
  checkDryRun(ctx);
  img.state = "deregistered";
  img.deregisteredAt = now;
  ctx.store.binImage(img);
  if (!deleteAssociated) return { return: true };
  const results: { snapshotId: string; returnCode: string }[] = [];
  for (const b of img.blockDeviceMappings) {
    if (b.snapshotId === undefined) continue;
    const snap = ctx.store.snapshots.get(b.snapshotId);
    if (!snap) continue;
    if (snap.ownerId !== ctx.accountId) {
      results.push({ snapshotId: b.snapshotId, returnCode: "missing-permissions" });
    } else if (
      ctx.store
        .imagesUsingSnapshot(b.snapshotId, ctx.region, img.imageId)
        .some((o) => o.state !== "deregistered")
    ) {
      results.push({ snapshotId: b.snapshotId, returnCode: "skipped" });
    } else if (isLocked(ctx, snap.lock)) {
      results.push({ snapshotId: b.snapshotId, returnCode: "client-error" });
    } else {
      ctx.store.removeSnapshot(snap);
      results.push({ snapshotId: b.snapshotId, returnCode: "success" });
    }
  }
  return { return: true, deleteSnapshotResultSet: results };
};

/** A snapshot lock that still blocks deletion (not expired). */
export function isLocked(ctx: Ec2Context, lock: { expiresOn: number } | undefined): boolean {
  return lock !== undefined && ctx.store.clock.now() < lock.expiresOn;
}
