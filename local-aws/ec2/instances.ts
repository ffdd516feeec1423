import { Ec2Error, invalidValue } from "../protocol/errors";
import { readFilters } from "../protocol/query";
import { checkDryRun, iso, tagSpecs, type Ec2Context, type Ec2Handler } from "./context";
import { applyFilters, type FilterFields } from "./filters";
import { checkId, newId } from "./ids";
import { visibleImage } from "./images";
import { paginate, validatePaging } from "./pagination";
import { instanceState, renderInstance, renderVolume } from "./render";
import type { InstanceRecord, VolumeRecord } from "./state";

/** Instances and volumes: just enough to have something to image and snapshot. */

const zoneOf = (ctx: Ec2Context, az?: string): string => {
  const zone = az ?? `${ctx.region}a`;
  if (!zone.startsWith(ctx.region) || !/^[a-z]$/.test(zone.slice(ctx.region.length))) {
    throw new Ec2Error("InvalidParameterValue", `Invalid availability zone: [${zone}]`);
  }
  return zone;
};

export const runInstances: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const image = visibleImage(ctx, p.required("ImageId"));
  if (image.state !== "available") {
    throw new Ec2Error(
      "InvalidAMIID.Unavailable",
      `The image id '[${image.imageId}]' is not available (state: ${image.state})`,
    );
  }
  const min = p.int("MinCount") ?? 1;
  const max = p.int("MaxCount") ?? min;
  if (min < 1 || max < min) throw invalidValue("MinCount must be >= 1 and MaxCount >= MinCount.");
  const az = zoneOf(ctx, p.str("Placement.AvailabilityZone"));
  const tags = tagSpecs(ctx, ["instance", "volume"]);
  checkDryRun(ctx);
  const now = ctx.store.clock.now();
  image.lastLaunchedTime = now;
  const reservationId = newId("r");
  const created: InstanceRecord[] = [];
  for (let n = 0; n < max; n++) {
    const instanceId = newId("i");
    const volumes = image.blockDeviceMappings
      .filter((b) => b.snapshotId !== undefined || b.volumeSize !== undefined)
      .map((b) => {
        const vol: VolumeRecord = {
          volumeId: newId("vol"),
          region: ctx.region,
          ownerId: ctx.accountId,
          size: b.volumeSize ?? 8,
          snapshotId: b.snapshotId,
          availabilityZone: az,
          volumeType: b.volumeType ?? "gp3",
          state: "in-use",
          createTime: now,
          encrypted: b.encrypted ?? false,
          tags: tags.volume ?? [],
          attachedTo: {
            instanceId,
            device: b.deviceName,
            deleteOnTermination: b.deleteOnTermination ?? true,
          },
        };
        ctx.store.volumes.set(vol.volumeId, vol);
        return { deviceName: b.deviceName, volumeId: vol.volumeId };
      });
    const inst: InstanceRecord = {
      instanceId,
      reservationId,
      region: ctx.region,
      ownerId: ctx.accountId,
      imageId: image.imageId,
      instanceType: p.str("InstanceType") ?? "m1.small",
      state: "pending",
      launchTime: now,
      availabilityZone: az,
      rootDeviceName: image.rootDeviceName ?? "/dev/xvda",
      architecture: image.architecture,
      volumes,
      tags: tags.instance ?? [],
      clientToken: p.str("ClientToken"),
    };
    ctx.store.instances.set(instanceId, inst);
    created.push(inst);
  }
  return { reservationId, ownerId: ctx.accountId, groupSet: [], instancesSet: created.map(renderInstance) };
};

const INSTANCE_FILTERS: FilterFields<InstanceRecord> = {
  "instance-id": (i) => i.instanceId,
  "instance-state-name": (i) => i.state,
  "instance-state-code": (i) => String((instanceState(i.state) as { code: number }).code),
  "image-id": (i) => i.imageId,
  "instance-type": (i) => i.instanceType,
  "availability-zone": (i) => i.availabilityZone,
  "reservation-id": (i) => i.reservationId,
  "owner-id": (i) => i.ownerId,
  "launch-time": (i) => iso(i.launchTime),
};

function ownInstance(ctx: Ec2Context, id: string): InstanceRecord {
  checkId("i", id);
  const inst = ctx.store.instances.get(id);
  if (!inst || inst.region !== ctx.region || inst.ownerId !== ctx.accountId) {
    throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
  }
  return inst;
}

export const describeInstances: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("InstanceId");
  validatePaging(p, { range: [5, 1000], idsParam: "InstanceId", idsGiven: ids.length > 0 });
  let list = ids.length
    ? ids.map((id) => ownInstance(ctx, id))
    : [...ctx.store.instances.values()].filter((i) => i.region === ctx.region && i.ownerId === ctx.accountId);
  list = applyFilters(list, readFilters(p), INSTANCE_FILTERS);
  const { page, nextToken } = paginate(list, p, "DescribeInstances", {
    range: [5, 1000],
    idsParam: "InstanceId",
    idsGiven: ids.length > 0,
  });
  checkDryRun(ctx);
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const i of page)
    byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
  return {
    reservationSet: [...byReservation.entries()].map(([reservationId, insts]) => ({
      reservationId,
      ownerId: ctx.accountId,
      groupSet: [],
      instancesSet: insts.map(renderInstance),
    })),
    nextToken,
  };
};

export const terminateInstances: Ec2Handler = (ctx) => {
  const ids = ctx.params.list("InstanceId");
  if (!ids.length)
    throw new Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  const list = ids.map((id) => ownInstance(ctx, id));
  checkDryRun(ctx);
  return {
    instancesSet: list.map((inst) => {
      const previous = inst.state;
      if (previous !== "terminated") {
        inst.state = "shutting-down";
        for (const v of inst.volumes) {
          const vol = ctx.store.volumes.get(v.volumeId);
          if (vol && vol.attachedTo?.deleteOnTermination) ctx.store.volumes.delete(v.volumeId);
          else if (vol) {
            vol.attachedTo = undefined;
            vol.state = "available";
          }
        }
      }
      return {
        instanceId: inst.instanceId,
        previousState: instanceState(previous),
        currentState: instanceState(inst.state),
      };
    }),
  };
};

export const createVolume: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const az = zoneOf(ctx, p.required("AvailabilityZone"));
  const snapshotId = p.str("SnapshotId");
  let size = p.int("Size");
  if (snapshotId !== undefined) {
    checkId("snap", snapshotId);
    const snap = ctx.store.snapshots.get(snapshotId);
    if (!snap || snap.region !== ctx.region || snap.ownerId !== ctx.accountId) {
      throw new Ec2Error("InvalidSnapshot.NotFound", `The snapshot '${snapshotId}' does not exist.`);
    }
    size = size ?? snap.volumeSize;
  }
  if (size === undefined)
    throw new Ec2Error("MissingParameter", "The request must contain the parameter size or snapshotId");
  if (size < 1 || size > 16384) throw invalidValue(`Volume size ${size} is out of range 1-16384 GiB.`);
  const tags = tagSpecs(ctx, ["volume"]);
  checkDryRun(ctx);
  const vol: VolumeRecord = {
    volumeId: newId("vol"),
    region: ctx.region,
    ownerId: ctx.accountId,
    size,
    snapshotId,
    availabilityZone: az,
    volumeType: p.str("VolumeType") ?? "gp2",
    state: "creating",
    createTime: ctx.store.clock.now(),
    encrypted: p.bool("Encrypted") ?? false,
    tags: tags.volume ?? [],
  };
  ctx.store.volumes.set(vol.volumeId, vol);
  return renderVolume(vol) as ReturnType<Ec2Handler>;
};

const VOLUME_FILTERS: FilterFields<VolumeRecord> = {
  "volume-id": (v) => v.volumeId,
  status: (v) => v.state,
  "snapshot-id": (v) => v.snapshotId,
  size: (v) => String(v.size),
  "availability-zone": (v) => v.availabilityZone,
  "attachment.instance-id": (v) => v.attachedTo?.instanceId,
  "volume-type": (v) => v.volumeType,
};

function ownVolume(ctx: Ec2Context, id: string): VolumeRecord {
  checkId("vol", id);
  const v = ctx.store.volumes.get(id);
  if (!v || v.region !== ctx.region || v.ownerId !== ctx.accountId) {
    throw new Ec2Error("InvalidVolume.NotFound", `The volume '${id}' does not exist.`);
  }
  return v;
}

export const describeVolumes: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("VolumeId");
  validatePaging(p, { range: [5, 500], idsParam: "VolumeId", idsGiven: ids.length > 0 });
  let list = ids.length
    ? ids.map((id) => ownVolume(ctx, id))
    : [...ctx.store.volumes.values()].filter((v) => v.region === ctx.region && v.ownerId === ctx.accountId);
  list = applyFilters(list, readFilters(p), VOLUME_FILTERS);
  const { page, nextToken } = paginate(list, p, "DescribeVolumes", {
    range: [5, 500],
    idsParam: "VolumeId",
    idsGiven: ids.length > 0,
  });
  checkDryRun(ctx);
  return { volumeSet: page.map(renderVolume), nextToken };
};

export const deleteVolume: Ec2Handler = (ctx) => {
  const v = ownVolume(ctx, ctx.params.required("VolumeId"));
  if (v.attachedTo)
    throw new Ec2Error(
      "VolumeInUse",
      `Volume ${v.volumeId} is currently attached to ${v.attachedTo.instanceId}`,
    );
  checkDryRun(ctx);
  ctx.store.volumes.delete(v.volumeId);
  return { return: true };
};
