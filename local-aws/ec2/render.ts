import type { XmlValue } from "../protocol/xml";
import { iso, tagSet } from "./context";
import type {
  BlockDevice,
  Ec2Store,
  ImageRecord,
  InstanceRecord,
  SnapshotRecord,
  VolumeRecord,
} from "./state";

/** Element names follow the SDK's deserializers (`Image$`, `Snapshot$`, …) in @aws-sdk/client-ec2. */

export function renderBlockDevice(b: BlockDevice): XmlValue {
  const ebs =
    b.snapshotId !== undefined || b.volumeSize !== undefined
      ? {
          deleteOnTermination: b.deleteOnTermination ?? true,
          iops: b.iops,
          snapshotId: b.snapshotId,
          volumeSize: b.volumeSize,
          volumeType: b.volumeType ?? "gp3",
          throughput: b.throughput,
          kmsKeyId: b.kmsKeyId,
          encrypted: b.encrypted ?? false,
        }
      : undefined;
  return { deviceName: b.deviceName, virtualName: b.virtualName, noDevice: b.noDevice ? "" : undefined, ebs };
}

export function renderImage(img: ImageRecord, store: Ec2Store): XmlValue {
  return {
    imageId: img.imageId,
    imageLocation: img.imageLocation ?? `${img.ownerId}/${img.name}`,
    imageState: img.state,
    imageOwnerId: img.ownerId,
    creationDate: iso(img.creationDate),
    isPublic: img.isPublic,
    architecture: img.architecture,
    imageType: "machine",
    imageOwnerAlias: img.ownerAlias,
    name: img.name,
    description: img.description,
    rootDeviceType: img.rootDeviceType,
    rootDeviceName: img.rootDeviceName,
    blockDeviceMapping: img.blockDeviceMappings.length
      ? img.blockDeviceMappings.map(renderBlockDevice)
      : undefined,
    virtualizationType: img.virtualizationType,
    hypervisor: "xen",
    enaSupport: img.enaSupport,
    bootMode: img.bootMode,
    platformDetails: "Linux/UNIX",
    usageOperation: "RunInstances",
    tagSet: tagSet(img.tags),
    sourceInstanceId: img.sourceInstanceId,
    sourceImageId: img.sourceImageId,
    sourceImageRegion: img.sourceImageRegion,
    deregistrationProtection: store.protectionText(img),
    deprecationTime: img.deprecationTime !== undefined ? iso(img.deprecationTime) : undefined,
    lastLaunchedTime: img.lastLaunchedTime !== undefined ? iso(img.lastLaunchedTime) : undefined,
    stateReason:
      img.state === "deregistered"
        ? { code: "Client.UserInitiated", message: "Client.UserInitiated" }
        : undefined,
  };
}

export function renderSnapshot(s: SnapshotRecord): XmlValue {
  return {
    snapshotId: s.snapshotId,
    volumeId: s.volumeId,
    status: s.state,
    startTime: iso(s.startTime),
    progress: s.state === "completed" ? "100%" : "0%",
    ownerId: s.ownerId,
    volumeSize: s.volumeSize,
    description: s.description,
    encrypted: s.encrypted,
    storageTier: s.storageTier ?? "standard",
    fullSnapshotSizeInBytes: s.fullSnapshotSizeInBytes,
    tagSet: tagSet(s.tags),
  };
}

export function renderVolume(v: VolumeRecord): XmlValue {
  return {
    volumeId: v.volumeId,
    size: v.size,
    snapshotId: v.snapshotId ?? "",
    availabilityZone: v.availabilityZone,
    status: v.state,
    createTime: iso(v.createTime),
    volumeType: v.volumeType,
    encrypted: v.encrypted,
    multiAttachEnabled: false,
    attachmentSet: v.attachedTo
      ? [
          {
            volumeId: v.volumeId,
            instanceId: v.attachedTo.instanceId,
            device: v.attachedTo.device,
            status: "attached",
            attachTime: iso(v.createTime),
            deleteOnTermination: v.attachedTo.deleteOnTermination,
          },
        ]
      : [],
    tagSet: tagSet(v.tags),
  };
}

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const instanceState = (name: string): XmlValue => ({ code: STATE_CODES[name] ?? 0, name });

export function renderInstance(i: InstanceRecord): XmlValue {
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: instanceState(i.state),
    instanceType: i.instanceType,
    launchTime: iso(i.launchTime),
    placement: { availabilityZone: i.availabilityZone, tenancy: "default" },
    architecture: i.architecture,
    rootDeviceType: "ebs",
    rootDeviceName: i.rootDeviceName,
    virtualizationType: "hvm",
    hypervisor: "xen",
    clientToken: i.clientToken,
    blockDeviceMapping:
      i.state === "terminated"
        ? []
        : i.volumes.map((v) => ({
            deviceName: v.deviceName,
            ebs: {
              volumeId: v.volumeId,
              status: "attached",
              attachTime: iso(i.launchTime),
              deleteOnTermination: true,
            },
          })),
    tagSet: tagSet(i.tags),
  };
}
