/**
 * diff: a recorded state per source, then one change per row — replace (with or without
 * delete-before-replace), update in place, or nothing. Unknowns at preview count as changes.
 */
import assert from "node:assert/strict";
import type { DiffResult } from "@pulumi/pulumi/dynamic";
import { diffManagedAmi, STABLE_OUTPUTS } from "../../provider/diff";
import { ManagedAmiInputs, ManagedAmiOutputs, SourceKey } from "../../provider/types";
import { UNKNOWN as U } from "../../provider/validation/unknown";

/** Loose access for rows. */
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SNAP1 = "snap-0123456789abcdef0";
const SNAP2 = "snap-89abcdef";
const IMAGE = "ami-0aaaaaaaaaaaaaaaa";

/** What the user wrote, per source. */
const INPUTS: Record<SourceKey, Any> = {
  fromSnapshots: {
    name: "web",
    description: "Web server",
    tags: { Name: "web", team: "infra" },
    fromSnapshots: {
      rootDeviceName: "/dev/xvda",
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", snapshotId: SNAP1, volumeSize: 8 },
        { deviceName: "/dev/xvdb", snapshotId: SNAP2, volumeType: "st1" },
      ],
    },
  },
  fromInstance: {
    name: "from-instance",
    region: "eu-west-1",
    fromInstance: { instanceId: "i-0123456789abcdef0" },
  },
  copyOf: {
    name: "copied",
    region: "eu-central-2",
    copyOf: { sourceImageId: "ami-0123456789abcdef0", sourceRegion: "us-west-2" },
  },
  fromManifest: { name: "bundle", fromManifest: { imageLocation: "my-bundles/web/image.manifest.xml" } },
  adopt: { adopt: { imageId: IMAGE }, tags: { Name: "packer" } },
};

/** The recorded state of each: every input, the resolved region and what was read from AWS. */
function state(kind: SourceKey): Any {
  const inputs = structuredClone(INPUTS[kind]);
  const ebs = kind !== "fromManifest";
  return {
    ...inputs,
    ...(kind === "adopt" ? { name: "packer-web-1717171717" } : {}),
    region: inputs.region ?? "us-east-1",
    imageId: IMAGE,
    ownerId: "111122223333",
    state: "available",
    rootDeviceType: ebs ? "ebs" : "instance-store",
    snapshotIds: kind === "fromSnapshots" ? [SNAP1, SNAP2] : ebs ? ["snap-0bbbbbbbbbbbbbbbb"] : [],
    ...(ebs
      ? {}
      : {
          bundle: {
            bucket: "my-bundles",
            manifestKey: "web/image.manifest.xml",
            partKeys: ["web/image.part.0"],
          },
        }),
    creationDate: "2024-06-01T00:00:00.000Z",
    architecture: "x86_64",
    __provider: "exports.handler = old",
  };
}

function news(kind: SourceKey): Any {
  return { ...structuredClone(INPUTS[kind]), __provider: "exports.handler = new" };
}

function diff(olds: Any, next: Any): DiffResult {
  return diffManagedAmi(olds.imageId, olds as ManagedAmiOutputs, next as ManagedAmiInputs);
}

type Expect =
  | { kind: "none" }
  | { kind: "update" }
  | { kind: "replace"; replaces: string[]; deleteBeforeReplace: boolean };

interface Row {
  title: string;
  source: SourceKey;
  /** Change the new inputs. */
  change?: (n: Any) => void;
  /** Change the recorded state. */
  old?: (o: Any) => void;
  expect: Expect;
}

const NONE: Expect = { kind: "none" };
const UPDATE: Expect = { kind: "update" };
const replace = (replaces: string[], deleteBeforeReplace: boolean): Expect => ({
  kind: "replace",
  replaces,
  deleteBeforeReplace,
});
const fs = (n: Any) => n.fromSnapshots;
const map = (n: Any, i: number) => n.fromSnapshots.blockDeviceMappings[i];

// prettier-ignore
const ROWS: Row[] = [
  // nothing changed
  ...(["fromSnapshots", "fromInstance", "copyOf", "fromManifest", "adopt"] as const).map(
    (source): Row => ({ title: "same inputs, different serialized provider", source, expect: NONE }),
  ),
  { title: "mappings in another order", source: "fromSnapshots", change: (n) => fs(n).blockDeviceMappings.reverse(), expect: NONE },
  { title: "documented defaults written out", source: "fromSnapshots", change: (n) => { Object.assign(fs(n), { architecture: "x86_64", virtualizationType: "hvm", enaSupport: true }); Object.assign(map(n, 0), { volumeType: "gp3", deleteOnTermination: true }); }, expect: NONE },
  { title: "noReboot: false written out", source: "fromInstance", change: (n) => (n.fromInstance.noReboot = false), expect: NONE },
  { title: "encrypted: false written out", source: "copyOf", change: (n) => (n.copyOf.encrypted = false), expect: NONE },
  { title: "architecture x86_64 written out for a manifest", source: "fromManifest", change: (n) => (n.fromManifest.architecture = "x86_64"), expect: NONE },
  { title: "null fields in the new inputs", source: "fromInstance", change: (n) => { n.description = null; n.tags = null; }, expect: NONE },
  { title: "tags in another key order", source: "fromSnapshots", change: (n) => (n.tags = { team: "infra", Name: "web" }), expect: NONE },
  { title: "no tags vs an empty map", source: "fromInstance", change: (n) => (n.tags = {}), expect: NONE },
  { title: "no description vs an empty one", source: "fromInstance", change: (n) => (n.description = ""), expect: NONE },
  { title: "deleteSnapshots: true written out (the default)", source: "fromSnapshots", change: (n) => (n.deleteSnapshots = true), expect: NONE },
  { title: "deleteBundle: true written out (the default)", source: "fromManifest", change: (n) => (n.deleteBundle = true), expect: NONE },
  { title: "disableDeregistrationProtection: false written out", source: "adopt", change: (n) => (n.disableDeregistrationProtection = false), expect: NONE },
  { title: "the flag's default removed from the inputs", source: "fromSnapshots", old: (o) => (o.deleteSnapshots = true), expect: NONE },
  // region: only an explicit different region moves the image
  { title: "region never set (state has the resolved one)", source: "fromSnapshots", expect: NONE },
  { title: "region set to the resolved one", source: "fromSnapshots", change: (n) => (n.region = "us-east-1"), expect: NONE },
  { title: "region removed from the inputs", source: "fromInstance", change: (n) => delete n.region, expect: NONE },
  { title: "region set to another", source: "fromSnapshots", change: (n) => (n.region = "us-west-2"), expect: replace(["region"], false) },
  { title: "region changed", source: "copyOf", change: (n) => (n.region = "eu-west-1"), expect: replace(["region"], false) },
  { title: "region unknown", source: "fromInstance", change: (n) => (n.region = U), expect: replace(["region"], false) },
  // name
  { title: "name changed", source: "fromSnapshots", change: (n) => (n.name = "web-2"), expect: replace(["name"], false) },
  { title: "name changed together with region", source: "fromInstance", change: (n) => { n.name = "x-2"; n.region = "eu-west-2"; }, expect: replace(["name", "region"], false) },
  { title: "name unknown", source: "copyOf", change: (n) => (n.name = U), expect: replace(["name"], false) },
  { title: "adopt: no name in inputs, the image's name in state", source: "adopt", expect: NONE },
  // sources: same name and region -> delete before replace, unless the new image needs the old storage
  { title: "instance id changed", source: "fromInstance", change: (n) => (n.fromInstance.instanceId = "i-0fedcba9876543210"), expect: replace(["fromInstance"], true) },
  { title: "noReboot changed", source: "fromInstance", change: (n) => (n.fromInstance.noReboot = true), expect: replace(["fromInstance"], true) },
  { title: "instance id unknown", source: "fromInstance", change: (n) => (n.fromInstance.instanceId = U), expect: replace(["fromInstance"], true) },
  { title: "source image changed", source: "copyOf", change: (n) => (n.copyOf.sourceImageId = "ami-0fedcba9876543210"), expect: replace(["copyOf"], true) },
  { title: "source region changed", source: "copyOf", change: (n) => (n.copyOf.sourceRegion = "us-east-2"), expect: replace(["copyOf"], true) },
  { title: "encryption turned on", source: "copyOf", change: (n) => (n.copyOf.encrypted = true), expect: replace(["copyOf"], true) },
  { title: "KMS key added", source: "copyOf", change: (n) => Object.assign(n.copyOf, { encrypted: true, kmsKeyId: "alias/k" }), expect: replace(["copyOf"], true) },
  { title: "whole source unknown", source: "copyOf", change: (n) => (n.copyOf = U), expect: replace(["copyOf"], false) },
  { title: "all snapshots replaced by new ones", source: "fromSnapshots", change: (n) => (fs(n).blockDeviceMappings = [{ deviceName: "/dev/xvda", snapshotId: "snap-0cccccccccccccccc" }]), expect: replace(["fromSnapshots"], true) },
  { title: "volume size changed (same snapshots: create first)", source: "fromSnapshots", change: (n) => (map(n, 0).volumeSize = 16), expect: replace(["fromSnapshots"], false) },
  { title: "volume type changed (same snapshots)", source: "fromSnapshots", change: (n) => (map(n, 1).volumeType = "sc1"), expect: replace(["fromSnapshots"], false) },
  { title: "deleteOnTermination changed (same snapshots)", source: "fromSnapshots", change: (n) => (map(n, 0).deleteOnTermination = false), expect: replace(["fromSnapshots"], false) },
  { title: "root device changed (same snapshots)", source: "fromSnapshots", change: (n) => (fs(n).rootDeviceName = "/dev/xvdb"), expect: replace(["fromSnapshots"], false) },
  { title: "architecture changed (same snapshots)", source: "fromSnapshots", change: (n) => (fs(n).architecture = "arm64"), expect: replace(["fromSnapshots"], false) },
  { title: "boot mode set (same snapshots)", source: "fromSnapshots", change: (n) => (fs(n).bootMode = "uefi"), expect: replace(["fromSnapshots"], false) },
  { title: "ENA turned off (same snapshots)", source: "fromSnapshots", change: (n) => (fs(n).enaSupport = false), expect: replace(["fromSnapshots"], false) },
  { title: "virtualization type changed (same snapshots)", source: "fromSnapshots", change: (n) => (fs(n).virtualizationType = "paravirtual"), expect: replace(["fromSnapshots"], false) },
  { title: "a mapping added (old snapshots kept)", source: "fromSnapshots", change: (n) => fs(n).blockDeviceMappings.push({ deviceName: "/dev/xvdc", snapshotId: "snap-0dddddddddddddddd" }), expect: replace(["fromSnapshots"], false) },
  { title: "same snapshots but the old resource keeps them", source: "fromSnapshots", old: (o) => (o.deleteSnapshots = false), change: (n) => { n.deleteSnapshots = false; map(n, 0).volumeSize = 16; }, expect: replace(["fromSnapshots"], true) },
  { title: "a snapshot id unknown", source: "fromSnapshots", change: (n) => (map(n, 0).snapshotId = U), expect: replace(["fromSnapshots"], false) },
  { title: "the mapping list unknown", source: "fromSnapshots", change: (n) => (fs(n).blockDeviceMappings = U), expect: replace(["fromSnapshots"], false) },
  { title: "same manifest, new architecture (bundle reused)", source: "fromManifest", change: (n) => (n.fromManifest.architecture = "i386"), expect: replace(["fromManifest"], false) },
  { title: "same manifest, old bundle kept", source: "fromManifest", old: (o) => (o.deleteBundle = false), change: (n) => { n.deleteBundle = false; n.fromManifest.architecture = "i386"; }, expect: replace(["fromManifest"], true) },
  { title: "another manifest", source: "fromManifest", change: (n) => (n.fromManifest.imageLocation = "my-bundles/web/v2.manifest.xml"), expect: replace(["fromManifest"], true) },
  { title: "manifest unknown", source: "fromManifest", change: (n) => (n.fromManifest.imageLocation = U), expect: replace(["fromManifest"], false) },
  { title: "adopted image changed", source: "adopt", change: (n) => (n.adopt.imageId = "ami-0fedcba9876543210"), expect: replace(["adopt"], false) },
  // a switch of source kind
  { title: "fromInstance -> copyOf, same name", source: "fromInstance", change: (n) => { delete n.fromInstance; n.copyOf = INPUTS.copyOf.copyOf; }, expect: replace(["fromInstance", "copyOf"], true) },
  { title: "fromSnapshots -> adopt (no image is created)", source: "fromSnapshots", change: (n) => { delete n.fromSnapshots; delete n.name; n.adopt = { imageId: "ami-0fedcba9876543210" }; }, expect: replace(["fromSnapshots", "adopt"], false) },
  { title: "adopt -> fromInstance under the adopted image's name", source: "adopt", change: (n) => { delete n.adopt; n.name = "packer-web-1717171717"; n.fromInstance = INPUTS.fromInstance.fromInstance; }, expect: replace(["fromInstance", "adopt"], true) },
  { title: "adopt -> fromInstance under a new name", source: "adopt", change: (n) => { delete n.adopt; n.name = "new"; n.fromInstance = INPUTS.fromInstance.fromInstance; }, expect: replace(["fromInstance", "adopt", "name"], false) },
  { title: "adopt -> fromSnapshots of the adopted image's snapshot, same name", source: "adopt", change: (n) => { delete n.adopt; n.name = "packer-web-1717171717"; n.fromSnapshots = { rootDeviceName: "/dev/xvda", blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: "snap-0bbbbbbbbbbbbbbbb" }] }; }, expect: replace(["fromSnapshots", "adopt"], false) },
  { title: "adopt -> copyOf of the adopted image itself, same name", source: "adopt", change: (n) => { delete n.adopt; n.name = "packer-web-1717171717"; n.copyOf = { sourceImageId: IMAGE, sourceRegion: "us-east-1" }; }, expect: replace(["copyOf", "adopt"], false) },
  // in place
  { title: "description changed", source: "fromSnapshots", change: (n) => (n.description = "v2"), expect: UPDATE },
  { title: "description removed", source: "fromSnapshots", change: (n) => delete n.description, expect: UPDATE },
  { title: "description added to an adopted image", source: "adopt", change: (n) => (n.description = "from packer"), expect: UPDATE },
  { title: "description unknown", source: "fromInstance", change: (n) => (n.description = U), expect: UPDATE },
  { title: "a tag value changed", source: "fromSnapshots", change: (n) => (n.tags.team = "web"), expect: UPDATE },
  { title: "a tag added", source: "fromSnapshots", change: (n) => (n.tags.cost = "42"), expect: UPDATE },
  { title: "a tag removed", source: "fromSnapshots", change: (n) => delete n.tags.team, expect: UPDATE },
  { title: "all tags removed", source: "adopt", change: (n) => delete n.tags, expect: UPDATE },
  { title: "a tag value unknown", source: "fromSnapshots", change: (n) => (n.tags.team = U), expect: UPDATE },
  { title: "the tags map unknown", source: "fromInstance", change: (n) => (n.tags = U), expect: UPDATE },
  { title: "deleteSnapshots: false", source: "fromSnapshots", change: (n) => (n.deleteSnapshots = false), expect: UPDATE },
  { title: "deleteSnapshots back to the default", source: "fromSnapshots", old: (o) => (o.deleteSnapshots = false), expect: UPDATE },
  { title: "deleteBundle: false", source: "fromManifest", change: (n) => (n.deleteBundle = false), expect: UPDATE },
  { title: "disableDeregistrationProtection: true", source: "copyOf", change: (n) => (n.disableDeregistrationProtection = true), expect: UPDATE },
  { title: "a delete flag unknown", source: "fromInstance", change: (n) => (n.deleteSnapshots = U), expect: UPDATE },
  { title: "a create that stopped while pending is finished by update", source: "fromInstance", old: (o) => (o.state = "pending"), expect: UPDATE },
  // replace wins over update
  { title: "name and tags changed", source: "fromSnapshots", change: (n) => { n.name = "web-2"; n.tags = {}; }, expect: replace(["name"], false) },
];

describe("diffManagedAmi", () => {
  for (const row of ROWS) {
    it(`${row.source}: ${row.title}`, () => {
      const olds = state(row.source);
      row.old?.(olds);
      const next = news(row.source);
      row.change?.(next);
      const result = diff(olds, next);
      const e = row.expect;
      if (e.kind === "none") {
        assert.equal(result.changes, false);
        assert.deepEqual(result.replaces, []);
      } else if (e.kind === "update") {
        assert.equal(result.changes, true);
        assert.deepEqual(result.replaces, []);
        assert.equal(result.deleteBeforeReplace, false);
      } else {
        assert.equal(result.changes, true);
        assert.deepEqual([...(result.replaces ?? [])].sort(), [...e.replaces].sort());
        assert.equal(result.deleteBeforeReplace, e.deleteBeforeReplace);
      }
    });
  }

  it("lists the outputs an update cannot change as stables, and none when replacing", () => {
    const update = diff(state("fromSnapshots"), { ...news("fromSnapshots"), description: "v2" });
    const stables: string[] = update.stables ?? [];
    for (const p of ["imageId", "ownerId", "snapshotIds", "bundle", "rootDeviceType", "creationDate"]) {
      assert.ok(stables.includes(p), p);
    }
    assert.deepEqual(stables, [...STABLE_OUTPUTS]);
    const replacing = diff(state("fromSnapshots"), { ...news("fromSnapshots"), name: "web-2" });
    assert.deepEqual(replacing.stables, []);
  });

  it("is pure: does not change its arguments", () => {
    const olds = state("fromSnapshots");
    const next = news("fromSnapshots");
    fs(next).blockDeviceMappings.reverse();
    const [o, n] = [structuredClone(olds), structuredClone(next)];
    diff(olds, next);
    assert.deepEqual(olds, o);
    assert.deepEqual(next, n);
  });

  it("covers every input property with at least one changing row", () => {
    const changed = new Set<string>();
    for (const row of ROWS.filter((r) => r.expect.kind !== "none")) {
      const olds = state(row.source);
      row.old?.(olds);
      const next = news(row.source);
      row.change?.(next);
      for (const k of new Set([...Object.keys(olds), ...Object.keys(next)])) {
        if (JSON.stringify(olds[k]) !== JSON.stringify(next[k])) changed.add(k);
      }
    }
    const inputs = [
      "name",
      "description",
      "tags",
      "region",
      "fromSnapshots",
      "fromInstance",
      "copyOf",
      "fromManifest",
      "adopt",
      "deleteSnapshots",
      "deleteBundle",
      "disableDeregistrationProtection",
    ];
    for (const p of inputs) assert.ok(changed.has(p), `no row changes ${p}`);
  });
});
