// Bad input reaches no AWS endpoint. tests/provider/check.test.ts proves each row's message; this
// table runs every malformed input through ManagedAmiProvider.check AND .create (as the host calls
// them: create may be reached by a program or tool that skips check) with the SDK environment
// pointed at local-aws, and asserts that the endpoint's request log stays empty (invariant 6).
import assert from "node:assert/strict";
import type { ManagedAmiInputs } from "../../provider/types";
import { UNKNOWN } from "../../provider/validation/unknown";
import { useEndpoint } from "./support";

const SNAP = "snap-0123456789abcdef0";
const AMI = "ami-0123456789abcdef0";
const INSTANCE = "i-0123456789abcdef0";
const SNAPSHOTS = {
  rootDeviceName: "/dev/xvda",
  blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: SNAP }],
};
const long = (n: number, c = "a"): string => c.repeat(n);
const tags = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));

/** [what, inputs, the property the failure must name]. Inputs are deliberately ill-typed. */
const BAD: [string, unknown, string][] = [
  ["no source", { name: "web" }, "source"],
  ["two sources", { name: "web", fromInstance: { instanceId: INSTANCE }, adopt: { imageId: AMI } }, "adopt"],
  [
    "snapshot id without hex",
    {
      name: "web",
      fromSnapshots: {
        ...SNAPSHOTS,
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: "snap-xyz" }],
      },
    },
    "fromSnapshots",
  ],
  [
    "snapshot id with 9 hex digits",
    {
      name: "web",
      fromSnapshots: {
        ...SNAPSHOTS,
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: "snap-012345678" }],
      },
    },
    "fromSnapshots",
  ],
  [
    "snapshot id in upper case",
    {
      name: "web",
      fromSnapshots: {
        ...SNAPSHOTS,
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: "SNAP-0123456789ABCDEF0" }],
      },
    },
    "fromSnapshots",
  ],
  [
    "an AMI id where a snapshot id belongs",
    {
      name: "web",
      fromSnapshots: { ...SNAPSHOTS, blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: AMI }] },
    },
    "fromSnapshots",
  ],
  [
    "empty blockDeviceMappings",
    { name: "web", fromSnapshots: { rootDeviceName: "/dev/xvda", blockDeviceMappings: [] } },
    "fromSnapshots",
  ],
  [
    "rootDeviceName not among the mappings",
    { name: "web", fromSnapshots: { ...SNAPSHOTS, rootDeviceName: "/dev/sda1" } },
    "fromSnapshots",
  ],
  [
    "the same device twice",
    {
      name: "web",
      fromSnapshots: {
        ...SNAPSHOTS,
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", snapshotId: SNAP },
          { deviceName: "/dev/xvda", snapshotId: SNAP },
        ],
      },
    },
    "fromSnapshots",
  ],
  [
    "instance id with 16 hex digits",
    { name: "web", fromInstance: { instanceId: "i-0123456789abcdef" } },
    "fromInstance",
  ],
  [
    "instance id without the i- prefix",
    { name: "web", fromInstance: { instanceId: "0123456789abcdef0" } },
    "fromInstance",
  ],
  [
    "copyOf with a malformed source image",
    { name: "web", copyOf: { sourceImageId: "ami-", sourceRegion: "us-west-2" } },
    "copyOf",
  ],
  [
    "copyOf with a bad source region",
    { name: "web", copyOf: { sourceImageId: AMI, sourceRegion: "us-west" } },
    "copyOf",
  ],
  ["copyOf without sourceRegion", { name: "web", copyOf: { sourceImageId: AMI } }, "copyOf"],
  ["adopt with a snapshot id", { adopt: { imageId: SNAP } }, "adopt"],
  ["adopt with an empty id", { adopt: { imageId: "" } }, "adopt"],
  ["adopt with a name", { name: "web", adopt: { imageId: AMI } }, "name"],
  [
    "manifest location without .manifest.xml",
    { name: "web", fromManifest: { imageLocation: "bucket/image.xml" } },
    "fromManifest",
  ],
  [
    "manifest location without a bucket",
    { name: "web", fromManifest: { imageLocation: "image.manifest.xml" } },
    "fromManifest",
  ],
  [
    "manifest location as an s3:// URL",
    { name: "web", fromManifest: { imageLocation: "s3://bucket/image.manifest.xml" } },
    "fromManifest",
  ],
  [
    "manifest location with an invalid bucket",
    { name: "web", fromManifest: { imageLocation: "Bad_Bucket/image.manifest.xml" } },
    "fromManifest",
  ],
  ["name too short", { name: "ab", fromInstance: { instanceId: INSTANCE } }, "name"],
  ["name too long", { name: long(129), fromInstance: { instanceId: INSTANCE } }, "name"],
  ["name with a forbidden character", { name: "web:prod", fromInstance: { instanceId: INSTANCE } }, "name"],
  // v2: a missing name is auto-named (tests/provider/lifecycle.test.ts); a bad lifecycle input is refused.
  [
    "whenInUse not fail/warn",
    { name: "web", fromInstance: { instanceId: INSTANCE }, whenInUse: "never" },
    "whenInUse",
  ],
  [
    "deprecationTime in the past",
    { name: "web", fromInstance: { instanceId: INSTANCE }, deprecationTime: "2020-01-01T00:00:00Z" },
    "deprecationTime",
  ],
  [
    "deprecationTime not ISO 8601",
    { name: "web", fromInstance: { instanceId: INSTANCE }, deprecationTime: "soon" },
    "deprecationTime",
  ],
  [
    "region that is not a region",
    { name: "web", region: "us-east", fromInstance: { instanceId: INSTANCE } },
    "region",
  ],
  [
    "region as an availability zone",
    { name: "web", region: "us-east-1a", fromInstance: { instanceId: INSTANCE } },
    "region",
  ],
  [
    "region in upper case",
    { name: "web", region: "US-EAST-1", fromInstance: { instanceId: INSTANCE } },
    "region",
  ],
  ["51 tags", { name: "web", tags: tags(51), fromInstance: { instanceId: INSTANCE } }, "tags"],
  [
    "a 129-character tag key",
    { name: "web", tags: { [long(129)]: "v" }, fromInstance: { instanceId: INSTANCE } },
    "tags",
  ],
  [
    "a 257-character tag value",
    { name: "web", tags: { k: long(257) }, fromInstance: { instanceId: INSTANCE } },
    "tags",
  ],
  [
    "an aws: tag key",
    { name: "web", tags: { "aws:cloudformation:stack": "x" }, fromInstance: { instanceId: INSTANCE } },
    "tags",
  ],
  ["a non-string tag value", { name: "web", tags: { n: 1 }, fromInstance: { instanceId: INSTANCE } }, "tags"],
  [
    "deleteSnapshots as a string",
    { name: "web", deleteSnapshots: "false", fromInstance: { instanceId: INSTANCE } },
    "deleteSnapshots",
  ],
  [
    "an output passed as input",
    { name: "web", snapshotIds: [SNAP], fromInstance: { instanceId: INSTANCE } },
    "snapshotIds",
  ],
  ["a misspelt input", { name: "web", fromSnapshot: SNAPSHOTS }, "fromSnapshot"],
  [
    "a real problem beside an unknown",
    { name: UNKNOWN, region: "moon-1", fromInstance: { instanceId: INSTANCE } },
    "region",
  ],
];

/** Inputs with unknowns at preview: check passes them through, still without any AWS call. */
const UNKNOWNS: [string, ManagedAmiInputs][] = [
  [
    "an unknown snapshot id",
    {
      name: "web",
      fromSnapshots: {
        ...SNAPSHOTS,
        blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: UNKNOWN }],
      },
    },
  ],
  ["an unknown instance id", { name: "web", fromInstance: { instanceId: UNKNOWN } }],
  ["an unknown adopted image", { adopt: { imageId: UNKNOWN } }],
  [
    "an unknown region and tags",
    {
      name: "web",
      region: UNKNOWN,
      tags: UNKNOWN as unknown as Record<string, string>,
      fromInstance: { instanceId: INSTANCE },
    },
  ],
  ["an unknown manifest location", { name: "web", fromManifest: { imageLocation: UNKNOWN } }],
];

describe("bad input makes no AWS call (ManagedAmiProvider.check and .create)", function () {
  this.timeout(60_000);
  const ep = useEndpoint();
  beforeEach(() => ep.aws.reset());

  it(`the table has at least 30 malformed inputs (${BAD.length})`, () => {
    assert.ok(BAD.length >= 30);
  });

  for (const [what, inputs, property] of BAD) {
    it(`${what}: check names ${property}; create refuses; the endpoint sees no request`, async () => {
      const checked = await ep.provider.check({}, inputs as ManagedAmiInputs);
      const failures = checked.failures ?? [];
      assert.ok(failures.length > 0, `check accepted ${JSON.stringify(inputs)}`);
      assert.ok(
        failures.some((f) => f.property.startsWith(property)),
        `no failure names ${property}: ${JSON.stringify(failures)}`,
      );
      await assert.rejects(ep.provider.create(inputs as ManagedAmiInputs), (err: Error) => {
        assert.match(err.message, /ManagedAmi/, `create's error names the resource type: ${err.message}`);
        return true;
      });
      assert.deepEqual(
        ep.aws.log.map((e) => e.action),
        [],
        "bad input reached the endpoint (create must validate before its first call, like check)",
      );
    });
  }

  for (const [what, inputs] of UNKNOWNS) {
    it(`preview with ${what}: check passes it and calls nothing`, async () => {
      const checked = await ep.provider.check({}, inputs);
      assert.deepEqual(checked.failures ?? [], []);
      assert.deepEqual(
        ep.aws.log.map((e) => e.action),
        [],
      );
    });
  }
});
