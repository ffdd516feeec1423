import assert from "node:assert/strict";
import type { Snapshot } from "@aws-sdk/client-ec2";
import { ClassifyContext, amiOfSnapshot, classifySnapshot, isExcluded } from "../../cli/audit/classify";
import { MANAGED_AMI_IMAGE_TAG } from "../../cli/audit/ownership";

const NOW = new Date("2026-06-30T00:00:00Z");
const DAY = 86_400_000;
const GONE = "ami-0aaaaaaaaaaaaaaaa";
const LIVE = "ami-0bbbbbbbbbbbbbbbb";

/** A valid base case: a completed CreateImage snapshot of a gone AMI, 40 days old. */
const base: Snapshot = {
  SnapshotId: "snap-0123456789abcdef0",
  State: "completed",
  StartTime: new Date(NOW.getTime() - 40 * DAY),
  VolumeSize: 8,
  Description: `Created by CreateImage(i-0123456789abcdef0) for ${GONE}`,
  Tags: [],
};
const ctx: ClassifyContext = {
  region: "eu-west-1",
  accountId: "111111111111",
  referencedSnapshots: new Set(["snap-0ffffffffffffffff"]),
  registeredImages: new Set([LIVE]),
  now: NOW,
};

describe("classifySnapshot", () => {
  it("lists the base case with region, size, age, reason and AMI", () => {
    assert.deepEqual(classifySnapshot(base, ctx), {
      kind: "orphan",
      storageTier: "standard",
      orphan: {
        snapshotId: base.SnapshotId,
        region: "eu-west-1",
        accountId: "111111111111",
        sizeGiB: 8,
        ageDays: 40,
        reason: "create-image-ami-gone",
        imageId: GONE,
      },
    });
  });

  it("records AWS's full snapshot size when reported", () => {
    const c = classifySnapshot({ ...base, FullSnapshotSizeInBytes: 3 * 1024 ** 3 }, ctx);
    assert.equal(c.kind === "orphan" && c.orphan.fullSnapshotSizeBytes, 3 * 1024 ** 3);
  });

  it("does not list a snapshot of an AMI in the Recycle Bin (a restore needs it)", () => {
    assert.deepEqual(classifySnapshot(base, { ...ctx, binnedImages: new Set([GONE]) }), {
      kind: "skip",
      why: "image-in-recycle-bin",
    });
  });

  // Service-managed snapshots: even with a CreateImage description of a gone AMI, they are the service's.
  const services: Array<[string, Partial<Snapshot>, string]> = [
    [
      "AWS Backup's description",
      { Description: "This snapshot is created by the AWS Backup service." },
      "aws-backup",
    ],
    [
      "an aws:backup: tag",
      {
        Tags: [
          { Key: "aws:backup:source-resource", Value: "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1" },
        ],
      },
      "aws-backup",
    ],
    [
      "DLM's tag",
      { Tags: [{ Key: "aws:dlm:lifecycle-policy-id", Value: "policy-0123456789abcdef0" }] },
      "dlm",
    ],
    [
      "DLM's description",
      { Description: "Created for policy: policy-0123456789abcdef0 schedule: Default Schedule" },
      "dlm",
    ],
    [
      "Image Builder's CreatedBy tag",
      { Tags: [{ Key: "CreatedBy", Value: "EC2 Image Builder" }] },
      "image-builder",
    ],
    [
      "Image Builder's ARN tag",
      {
        Tags: [
          { Key: "Ec2ImageBuilderArn", Value: "arn:aws:imagebuilder:eu-west-1:111111111111:image/r/1.0.0/1" },
        ],
      },
      "image-builder",
    ],
    [
      "fast launch's CreatedBy tag",
      { Tags: [{ Key: "CreatedBy", Value: "EC2 Fast Launch" }] },
      "fast-launch",
    ],
    [
      "fast launch's description",
      { Description: `This is Fast Launch snapshot for image ${GONE}` },
      "fast-launch",
    ],
  ];
  for (const [name, snap, service] of services) {
    it(`excludes a snapshot with ${name} as ${service}`, () => {
      assert.deepEqual(classifySnapshot({ ...base, ...snap }, ctx), { kind: "service", service });
    });
  }

  it("does not take a user's CreatedBy tag for a service", () => {
    assert.equal(
      classifySnapshot({ ...base, Tags: [{ Key: "CreatedBy", Value: "alice" }] }, ctx).kind,
      "orphan",
    );
  });

  const cases: Array<[string, Partial<Snapshot>, Partial<ClassifyContext>, string]> = [
    ["referenced by a registered image", { SnapshotId: "snap-0ffffffffffffffff" }, {}, "referenced"],
    ["still pending", { State: "pending" }, {}, "not-completed"],
    ["in error", { State: "error" }, {}, "not-completed"],
    ["a manual snapshot with free text", { Description: "db before upgrade" }, {}, "not-ami-storage"],
    ["no description", { Description: undefined }, {}, "not-ami-storage"],
    [
      "an AMI quoted mid-text",
      { Description: `copy of Created by CreateImage(i-0123456789abcdef0) for ${GONE}` },
      {},
      "not-ami-storage",
    ],
    [
      "its AMI still registered",
      { Description: `Created by CreateImage(i-0123456789abcdef0) for ${LIVE}` },
      {},
      "image-exists",
    ],
    ["younger than --older-than", {}, { olderThanMs: 41 * DAY }, "too-new"],
    [
      "excluded by tag",
      { Tags: [{ Key: "keep", Value: "yes" }] },
      { excludeTags: [{ key: "keep", value: "yes" }] },
      "excluded",
    ],
  ];
  for (const [name, snap, extra, why] of cases) {
    it(`skips a snapshot ${name} (${why})`, () => {
      assert.deepEqual(classifySnapshot({ ...base, ...snap }, { ...ctx, ...extra }), { kind: "skip", why });
    });
  }

  it("lists a snapshot exactly as old as --older-than", () => {
    assert.equal(classifySnapshot(base, { ...ctx, olderThanMs: 40 * DAY }).kind, "orphan");
  });

  it("keeps the archive tier for pricing", () => {
    const c = classifySnapshot({ ...base, StorageTier: "archive" }, ctx);
    assert.equal(c.kind === "orphan" && c.storageTier, "archive");
  });

  it("clamps the age of a snapshot stamped in the future (clock skew) to 0", () => {
    const c = classifySnapshot({ ...base, StartTime: new Date(NOW.getTime() + 5000) }, ctx);
    assert.equal(c.kind === "orphan" && c.orphan.ageDays, 0);
  });
});

describe("amiOfSnapshot", () => {
  const table: Array<[Pick<Snapshot, "Description" | "Tags">, ReturnType<typeof amiOfSnapshot>]> = [
    [
      { Description: `Created by CreateImage(i-0123abcd) for ami-1234abcd from vol-1234abcd` },
      { imageId: "ami-1234abcd", reason: "create-image-ami-gone" },
    ],
    [
      {
        Description: `Copied for DestinationAmi ${GONE} from SourceAmi ami-0c0c0c0c0c0c0c0c0 for SourceSnapshot snap-0123456789abcdef0. Task created on 1,700,000,000,000.`,
      },
      { imageId: GONE, reason: "copy-image-ami-gone" },
    ],
    [
      { Description: "free text", Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: GONE }] },
      { imageId: GONE, reason: "managed-ami-image-gone" },
    ],
    [
      {
        Description: `Created by CreateImage(i-0123abcd) for ami-1234abcd`,
        Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: GONE }],
      },
      { imageId: GONE, reason: "managed-ami-image-gone" },
    ],
    [{ Description: "free text", Tags: [{ Key: MANAGED_AMI_IMAGE_TAG, Value: "not-an-ami" }] }, undefined],
    [{ Description: "Created by CreateImage for something" }, undefined],
  ];
  for (const [snap, expected] of table) {
    it(`${JSON.stringify(snap).slice(0, 90)} -> ${expected ? expected.reason : "not AMI storage"}`, () => {
      assert.deepEqual(amiOfSnapshot(snap), expected);
    });
  }
});

describe("isExcluded", () => {
  const tags = [{ Key: "env", Value: "prod" }];
  it("matches key and value", () => assert.equal(isExcluded(tags, [{ key: "env", value: "prod" }]), true));
  it("does not match another value", () =>
    assert.equal(isExcluded(tags, [{ key: "env", value: "dev" }]), false));
  it("matches any value when none is given", () => assert.equal(isExcluded(tags, [{ key: "env" }]), true));
  it("does not match another key", () => assert.equal(isExcluded(tags, [{ key: "Env" }]), false));
  it("matches nothing without filters", () => assert.equal(isExcluded(tags, []), false));
});
