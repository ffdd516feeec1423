import assert from "node:assert/strict";
import {
  amiDerivedStorageOwned,
  amiStorageOwned,
  managedAmiDeletesStorage,
  snapshotSingleOwner,
} from "../../../policy/policies/storage";
import { TYPES } from "../../../policy/props";
import {
  resourceMessages,
  runStackPolicy,
  stackArgs,
  stackMessages,
  StackResourceSpec,
  UNKNOWN_VALUE,
  urnOf,
} from "../util";

const PRICE = "about $0.05 per GB-month for standard EBS snapshots";

describe("policy ami-storage-owned", () => {
  const base = {
    type: TYPES.ami,
    name: "web",
    props: {
      name: "web",
      rootDeviceName: "/dev/xvda",
      ebsBlockDevices: [{ deviceName: "/dev/xvda", snapshotId: "snap-0123456789abcdef0" }],
    },
  };
  const ebsMessage =
    'aws.ec2.Ami "web" registers an AMI whose destroy never deletes its EBS snapshots: every destroy or replacement ' +
    `leaves that storage behind, billed every month (${PRICE}) with no resource left to delete it. Use ManagedAmi ` +
    "with fromSnapshots from pulumi-managed-ami, which deregisters the image and deletes exactly the storage it owns.";

  it("is mandatory by default", () => assert.equal(amiStorageOwned.enforcementLevel, "mandatory"));
  it("leaves a ManagedAmi alone", async () => {
    assert.deepEqual(await resourceMessages(amiStorageOwned, { ...base, type: TYPES.managedAmi }), []);
  });
  it("flags an EBS-backed aws.ec2.Ami", async () => {
    assert.deepEqual(await resourceMessages(amiStorageOwned, base), [ebsMessage]);
  });
  it("names the S3 bundle for an instance-store aws.ec2.Ami", async () => {
    const spec = { ...base, props: { name: "web", imageLocation: "bucket/web.manifest.xml" } };
    assert.deepEqual(await resourceMessages(amiStorageOwned, spec), [
      'aws.ec2.Ami "web" registers an AMI whose destroy never deletes its S3 bundle (manifest and parts): every ' +
        "destroy or replacement leaves that storage behind, billed every month (as S3 storage) with no resource left " +
        "to delete it. Use ManagedAmi with fromManifest from pulumi-managed-ami, which deregisters the image and " +
        "deletes exactly the storage it owns.",
    ]);
  });
  it("leaves aws.ec2.AmiCopy to ami-derived-storage-owned", async () => {
    assert.deepEqual(await resourceMessages(amiStorageOwned, { ...base, type: TYPES.amiCopy }), []);
  });
  it("skips a resource listed in ignoreResources by name", async () => {
    assert.deepEqual(await resourceMessages(amiStorageOwned, base, { ignoreResources: ["web"] }), []);
  });
  it("skips a resource listed in ignoreResources by URN", async () => {
    assert.deepEqual(
      await resourceMessages(amiStorageOwned, base, { ignoreResources: [urnOf(TYPES.ami, "web")] }),
      [],
    );
  });
  it("still flags when ignoreResources names another resource", async () => {
    assert.deepEqual(await resourceMessages(amiStorageOwned, base, { ignoreResources: ["other"] }), [
      ebsMessage,
    ]);
  });
});

describe("policy ami-derived-storage-owned", () => {
  const message = (type: string, name: string, replacement: string) =>
    `${type} "${name}" deletes its snapshots only when a destroy succeeds in one go: after a failed or interrupted ` +
    "teardown, or when a snapshot is shared, locked or the image has deregistration protection, the snapshots stay " +
    `behind and keep billing (${PRICE}). Use ${replacement} from pulumi-managed-ami: its destroy resumes where it ` +
    "stopped and never deletes storage another image uses.";

  it("is advisory by default", () => assert.equal(amiDerivedStorageOwned.enforcementLevel, "advisory"));
  it("leaves a ManagedAmi alone", async () => {
    assert.deepEqual(
      await resourceMessages(amiDerivedStorageOwned, { type: TYPES.managedAmi, name: "c", props: {} }),
      [],
    );
  });
  it("flags aws.ec2.AmiCopy", async () => {
    const spec = {
      type: TYPES.amiCopy,
      name: "c",
      props: { sourceAmiId: "ami-12345678", sourceAmiRegion: "us-east-1" },
    };
    assert.deepEqual(await resourceMessages(amiDerivedStorageOwned, spec), [
      message("aws.ec2.AmiCopy", "c", "ManagedAmi with copyOf"),
    ]);
  });
  it("flags aws.ec2.AmiFromInstance", async () => {
    const spec = { type: TYPES.amiFromInstance, name: "i", props: { sourceInstanceId: "i-12345678" } };
    assert.deepEqual(await resourceMessages(amiDerivedStorageOwned, spec), [
      message("aws.ec2.AmiFromInstance", "i", "ManagedAmi with fromInstance"),
    ]);
  });
  it("leaves aws.ec2.Ami to ami-storage-owned", async () => {
    assert.deepEqual(
      await resourceMessages(amiDerivedStorageOwned, { type: TYPES.ami, name: "a", props: {} }),
      [],
    );
  });
  it("skips ignored resources", async () => {
    const spec = { type: TYPES.amiCopy, name: "c", props: {} };
    assert.deepEqual(await resourceMessages(amiDerivedStorageOwned, spec, { ignoreResources: ["c"] }), []);
  });
});

const SNAP = "snap-0123456789abcdef0";
function managed(
  name: string,
  props: Record<string, unknown>,
  extra: Partial<StackResourceSpec> = {},
): StackResourceSpec {
  return { type: TYPES.managedAmi, name, props, ...extra };
}
function fromSnapshots(snapshotId: unknown, more: Record<string, unknown> = {}) {
  return {
    name: "web",
    fromSnapshots: {
      rootDeviceName: "/dev/xvda",
      blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId }],
    },
    ...more,
  };
}
function snapshot(name: string, id: unknown, type: string = TYPES.snapshot): StackResourceSpec {
  return { type, name, props: { id, volumeId: "vol-0123456789abcdef0" } };
}

describe("policy managed-ami-deletes-storage", () => {
  const keepSnapshots =
    'ManagedAmi "web" sets deleteSnapshots: false, so destroy deregisters the image and leaves its EBS snapshots ' +
    `behind, billed every month (${PRICE}) with no resource left to delete them. Remove deleteSnapshots: false (the ` +
    "default deletes exactly the snapshots this AMI owns), or list the resource in this policy's ignoreResources if " +
    "something outside Pulumi deletes them.";
  const keepBundle =
    'ManagedAmi "web" sets deleteBundle: false, so destroy deregisters the image and leaves its S3 bundle (manifest ' +
    "and parts) behind, billed every month as S3 storage with no resource left to delete it. Remove deleteBundle: " +
    "false (the default deletes exactly the manifest and parts this AMI owns), or list the resource in this " +
    "policy's ignoreResources if something outside Pulumi deletes them.";
  const instance = { name: "web", fromInstance: { instanceId: "i-0123456789abcdef0" } };
  const manifest = { name: "web", fromManifest: { imageLocation: "bucket/web.manifest.xml" } };

  it("passes a ManagedAmi with the default flags", async () => {
    assert.deepEqual(await stackMessages(managedAmiDeletesStorage, [managed("web", instance)]), []);
  });
  it("flags deleteSnapshots: false", async () => {
    const args = stackArgs([managed("web", { ...instance, deleteSnapshots: false })]);
    assert.deepEqual(await runStackPolicy(managedAmiDeletesStorage, args), [
      { message: keepSnapshots, urn: urnOf(TYPES.managedAmi, "web") },
    ]);
  });
  it("flags deleteBundle: false on an instance-store source", async () => {
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [managed("web", { ...manifest, deleteBundle: false })]),
      [keepBundle],
    );
  });
  it("ignores deleteBundle: false on an EBS-only source", async () => {
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [managed("web", { ...instance, deleteBundle: false })]),
      [],
    );
  });
  it("ignores deleteSnapshots: false on fromManifest", async () => {
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [
        managed("web", { ...manifest, deleteSnapshots: false }),
      ]),
      [],
    );
  });
  it("flags both flags on copyOf, which can be either kind", async () => {
    const props = {
      name: "web",
      copyOf: { sourceImageId: "ami-12345678", sourceRegion: "us-east-1" },
      deleteSnapshots: false,
      deleteBundle: false,
    };
    assert.deepEqual(await stackMessages(managedAmiDeletesStorage, [managed("web", props)]), [
      keepSnapshots,
      keepBundle,
    ]);
  });
  it("passes deleteSnapshots: false when an aws.ebs.Snapshot in the stack owns the snapshot", async () => {
    const specs = [snapshot("root", SNAP), managed("web", fromSnapshots(SNAP, { deleteSnapshots: false }))];
    assert.deepEqual(await stackMessages(managedAmiDeletesStorage, specs), []);
  });
  it("passes deleteSnapshots: false at preview when fromSnapshots depends on the snapshot resource", async () => {
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", fromSnapshots(UNKNOWN_VALUE, { deleteSnapshots: false }), {
        propertyDependsOn: { fromSnapshots: ["root"] },
      }),
    ];
    assert.deepEqual(await stackMessages(managedAmiDeletesStorage, specs), []);
  });
  it("flags deleteSnapshots: false when only some registered snapshots are owned in the stack", async () => {
    const props = fromSnapshots(SNAP, { deleteSnapshots: false });
    props.fromSnapshots.blockDeviceMappings.push({
      deviceName: "/dev/xvdb",
      snapshotId: "snap-0fedcba9876543210",
    });
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [snapshot("root", SNAP), managed("web", props)]),
      [keepSnapshots],
    );
  });
  it("flags deleteSnapshots: false on fromSnapshots when no resource in the stack owns the snapshot", async () => {
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [
        managed("web", fromSnapshots(SNAP, { deleteSnapshots: false })),
      ]),
      [keepSnapshots],
    );
  });
  it("does not guess when deleteSnapshots is unknown", async () => {
    assert.deepEqual(
      await stackMessages(managedAmiDeletesStorage, [
        managed("web", { ...instance, deleteSnapshots: UNKNOWN_VALUE }),
      ]),
      [],
    );
  });
  it("skips ignored resources", async () => {
    const specs = [managed("web", { ...instance, deleteSnapshots: false })];
    assert.deepEqual(await stackMessages(managedAmiDeletesStorage, specs, { ignoreResources: ["web"] }), []);
  });
});

describe("policy snapshot-single-owner", () => {
  const known = (owner: string, id: string) =>
    `ManagedAmi "web" and ${owner} both delete snapshot ${id} on destroy. With two owners the ManagedAmi can ` +
    "delete the snapshot out from under the snapshot resource (a same-name replacement deletes it before " +
    "registering the new image from it), and destroying the snapshot resource first fails while the image uses " +
    `it, leaving storage billed (${PRICE}). Give it one owner: set deleteSnapshots: false on ManagedAmi "web" so ` +
    `${owner} deletes the snapshot after the image is deregistered.`;
  const unknown = (owner: string) =>
    `ManagedAmi "web" and ${owner} both delete the snapshot ${owner} creates (its id is known only after the ` +
    "update; matched through the dependency of fromSnapshots) on destroy. With two owners the ManagedAmi can " +
    "delete the snapshot out from under the snapshot resource (a same-name replacement deletes it before " +
    "registering the new image from it), and destroying the snapshot resource first fails while the image uses " +
    `it, leaving storage billed (${PRICE}). Give it one owner: set deleteSnapshots: false on ManagedAmi "web" so ` +
    `${owner} deletes the snapshot after the image is deregistered.`;
  const other = "snap-0fedcba9876543210";
  const base = () => [snapshot("root", other), managed("web", fromSnapshots(SNAP))];

  it("is a mandatory stack policy", () => {
    assert.equal(snapshotSingleOwner.enforcementLevel, "mandatory");
    assert.equal(typeof snapshotSingleOwner.validateStack, "function");
  });
  it("passes when the stack's snapshot is a different one", async () => {
    assert.deepEqual(await stackMessages(snapshotSingleOwner, base()), []);
  });
  it("flags a snapshot id registered by a ManagedAmi and managed by aws.ebs.Snapshot, on the ManagedAmi's URN", async () => {
    const args = stackArgs([snapshot("root", SNAP), managed("web", fromSnapshots(SNAP))]);
    assert.deepEqual(await runStackPolicy(snapshotSingleOwner, args), [
      { message: known('aws.ebs.Snapshot "root"', SNAP), urn: urnOf(TYPES.managedAmi, "web") },
    ]);
  });
  it("matches by the snapshot resource's arn when it has no id property", async () => {
    const snap = {
      type: TYPES.snapshot,
      name: "root",
      props: { arn: `arn:aws:ec2:us-east-1::snapshot/${SNAP}` },
    };
    assert.deepEqual(await stackMessages(snapshotSingleOwner, [snap, managed("web", fromSnapshots(SNAP))]), [
      known('aws.ebs.Snapshot "root"', SNAP),
    ]);
  });
  it("flags aws.ebs.SnapshotCopy too", async () => {
    const specs = [snapshot("copy", SNAP, TYPES.snapshotCopy), managed("web", fromSnapshots(SNAP))];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), [
      known('aws.ebs.SnapshotCopy "copy"', SNAP),
    ]);
  });
  it("passes when the ManagedAmi sets deleteSnapshots: false (the snapshot resource is the one owner)", async () => {
    const specs = [snapshot("root", SNAP), managed("web", fromSnapshots(SNAP, { deleteSnapshots: false }))];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), []);
  });
  it("catches it at preview through propertyDependencies when the snapshot id is unknown", async () => {
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", fromSnapshots(UNKNOWN_VALUE), {
        propertyDependsOn: { fromSnapshots: ["root"] },
        dependsOn: ["root"],
      }),
    ];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), [unknown('aws.ebs.Snapshot "root"')]);
  });
  it("catches it at preview when the whole mapping list is unknown", async () => {
    const props = {
      name: "web",
      fromSnapshots: { rootDeviceName: "/dev/xvda", blockDeviceMappings: UNKNOWN_VALUE },
    };
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", props, { propertyDependsOn: { fromSnapshots: ["root"] } }),
    ];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), [unknown('aws.ebs.Snapshot "root"')]);
  });
  it("falls back to dependencies when the engine sent no property dependencies", async () => {
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", fromSnapshots(UNKNOWN_VALUE), { dependsOn: ["root"] }),
    ];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), [unknown('aws.ebs.Snapshot "root"')]);
  });
  it("ignores a snapshot resource that only another property depends on", async () => {
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", fromSnapshots(UNKNOWN_VALUE), {
        propertyDependsOn: { tags: ["root"], fromSnapshots: [] },
        dependsOn: ["root"],
      }),
    ];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), []);
  });
  it("ignores a ManagedAmi of another source that depends on a snapshot resource", async () => {
    const specs = [
      snapshot("root", UNKNOWN_VALUE),
      managed("web", { name: "web", fromInstance: { instanceId: UNKNOWN_VALUE } }, { dependsOn: ["root"] }),
    ];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs), []);
  });
  it("skips ignored resources", async () => {
    const specs = [snapshot("root", SNAP), managed("web", fromSnapshots(SNAP))];
    assert.deepEqual(await stackMessages(snapshotSingleOwner, specs, { ignoreResources: ["web"] }), []);
  });
});
