import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSnapshotsCommand,
  ModifyImageAttributeCommand,
  paginateDescribeImages,
  paginateDescribeSnapshots,
  type EC2Client,
  type Image,
} from "@aws-sdk/client-ec2";
import { ec2For, expectAwsError, seedEbsImage, withLocalAws } from "../support/localAws";

async function ids(ec2: EC2Client, filters: { Name: string; Values: string[] }[]): Promise<string[]> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ["self"], Filters: filters }));
  return (out.Images ?? []).map((i: Image) => i.Name as string).sort();
}

describe("local-aws EC2 filters, pagination and regions", () => {
  const ctx = withLocalAws();

  describe("DescribeImages filters", () => {
    it("match names with * and ? wildcards, OR values and AND filters", async () => {
      const ec2 = ec2For(ctx.aws);
      const a = await seedEbsImage(ctx.aws, ec2, "web-2024-01");
      await seedEbsImage(ctx.aws, ec2, "web-2024-02");
      await seedEbsImage(ctx.aws, ec2, "db-2024-01");
      await ec2.send(
        new CreateTagsCommand({ Resources: [a.imageId], Tags: [{ Key: "stage", Value: "prod" }] }),
      );
      assert.deepEqual(await ids(ec2, [{ Name: "name", Values: ["web-*"] }]), ["web-2024-01", "web-2024-02"]);
      assert.deepEqual(await ids(ec2, [{ Name: "name", Values: ["???-2024-01"] }]), ["web-2024-01"]);
      assert.deepEqual(await ids(ec2, [{ Name: "name", Values: ["db-*", "web-2024-02"] }]), [
        "db-2024-01",
        "web-2024-02",
      ]);
      assert.deepEqual(
        await ids(ec2, [
          { Name: "name", Values: ["*-01"] },
          { Name: "name", Values: ["web*"] },
        ]),
        ["web-2024-01"],
      );
      assert.deepEqual(await ids(ec2, [{ Name: "name", Values: ["WEB-*"] }]), []);
      assert.deepEqual(await ids(ec2, [{ Name: "tag:stage", Values: ["prod"] }]), ["web-2024-01"]);
      assert.deepEqual(await ids(ec2, [{ Name: "tag-key", Values: ["stage"] }]), ["web-2024-01"]);
      assert.deepEqual(await ids(ec2, [{ Name: "image-id", Values: [a.imageId] }]), ["web-2024-01"]);
      assert.deepEqual(
        await ids(ec2, [{ Name: "block-device-mapping.snapshot-id", Values: [a.snapshotIds[0]] }]),
        ["web-2024-01"],
      );
      assert.deepEqual(await ids(ec2, [{ Name: "state", Values: ["available"] }]), [
        "db-2024-01",
        "web-2024-01",
        "web-2024-02",
      ]);
      assert.deepEqual(await ids(ec2, [{ Name: "state", Values: ["pending"] }]), []);
      const owner = ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE");
      assert.equal((await ids(ec2, [{ Name: "owner-id", Values: [owner] }])).length, 3);
    });

    it("match description and is-public, and reject an unknown filter name", async () => {
      const ec2 = ec2For(ctx.aws);
      const a = await seedEbsImage(ctx.aws, ec2, "described-1");
      await ec2.send(
        new ModifyImageAttributeCommand({
          ImageId: a.imageId,
          Description: { Value: "Built by CI (run 42)" },
        }),
      );
      assert.deepEqual(await ids(ec2, [{ Name: "description", Values: ["*run 4?)"] }]), ["described-1"]);
      assert.deepEqual(await ids(ec2, [{ Name: "is-public", Values: ["false"] }]), ["described-1"]);
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ Filters: [{ Name: "colour", Values: ["x"] }] })),
        "InvalidParameterValue",
      );
    });
  });

  describe("DescribeSnapshots filters", () => {
    it("filter by status, volume-id, description, snapshot-id and tags", async () => {
      const ec2 = ec2For(ctx.aws);
      const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
      const s1 = await ec2.send(
        new CreateSnapshotCommand({
          VolumeId: vol.VolumeId,
          Description: "Created by CreateImage(i-1) for ami-1",
        }),
      );
      const s2 = await ec2.send(
        new CreateSnapshotCommand({
          VolumeId: vol.VolumeId,
          Description: "manual",
          TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "k", Value: "v" }] }],
        }),
      );
      const q = async (Name: string, Values: string[]) =>
        (
          (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name, Values }] })))
            .Snapshots ?? []
        )
          .map((s) => s.SnapshotId)
          .sort();
      assert.deepEqual(await q("status", ["pending"]), [s1.SnapshotId, s2.SnapshotId].sort());
      assert.deepEqual(await q("status", ["completed"]), []);
      assert.deepEqual(await q("description", ["Created by CreateImage(*)*"]), [s1.SnapshotId]);
      assert.deepEqual(await q("volume-id", [vol.VolumeId!]), [s1.SnapshotId, s2.SnapshotId].sort());
      assert.deepEqual(await q("snapshot-id", [s2.SnapshotId!]), [s2.SnapshotId]);
      assert.deepEqual(await q("tag:k", ["v"]), [s2.SnapshotId]);
      ctx.aws.advance(3000);
      assert.deepEqual(await q("status", ["completed"]), [s1.SnapshotId, s2.SnapshotId].sort());
    });

    it("take at most 200 values per filter (FilterLimitExceeded beyond, as AWS answers)", async () => {
      const ec2 = ec2For(ctx.aws);
      const values = (n: number) =>
        Array.from({ length: n }, (_, i) => `snap-${(i + 1).toString(16).padStart(17, "0")}`);
      const q = (n: number) =>
        ec2.send(
          new DescribeSnapshotsCommand({
            OwnerIds: ["self"],
            Filters: [{ Name: "snapshot-id", Values: values(n) }],
          }),
        );
      assert.deepEqual((await q(200)).Snapshots, []);
      await expectAwsError(q(201), "FilterLimitExceeded");
      await expectAwsError(
        ec2.send(
          new DescribeImagesCommand({
            Filters: [{ Name: "block-device-mapping.snapshot-id", Values: values(201) }],
          }),
        ),
        "FilterLimitExceeded",
      );
    });
  });

  describe("pagination", () => {
    it("paginateDescribeImages walks every page of MaxResults", async () => {
      const ec2 = ec2For(ctx.aws);
      for (let i = 0; i < 12; i++) await seedEbsImage(ctx.aws, ec2, `page-${i}`);
      const pages: number[] = [];
      const names: string[] = [];
      for await (const page of paginateDescribeImages({ client: ec2, pageSize: 5 }, { Owners: ["self"] })) {
        pages.push(page.Images?.length ?? 0);
        names.push(...(page.Images ?? []).map((i) => i.Name as string));
      }
      assert.deepEqual(pages, [5, 5, 2]);
      assert.equal(new Set(names).size, 12);
      const calls = ctx.aws.log.filter((l) => l.action === "DescribeImages");
      assert.equal(calls.length, 3);
      assert.equal(calls[1].params.MaxResults, "5");
      assert.ok(calls[1].params.NextToken);
    });

    it("paginateDescribeSnapshots walks every page", async () => {
      const ec2 = ec2For(ctx.aws);
      const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
      for (let i = 0; i < 7; i++) await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
      let count = 0;
      let pages = 0;
      for await (const page of paginateDescribeSnapshots(
        { client: ec2, pageSize: 5 },
        { OwnerIds: ["self"] },
      )) {
        count += page.Snapshots?.length ?? 0;
        pages++;
      }
      assert.equal(count, 7);
      assert.equal(pages, 2);
    });

    it("validates MaxResults ranges, the ids combination and tokens as AWS does", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, ec2, "one");
      await expectAwsError(ec2.send(new DescribeImagesCommand({ MaxResults: 4 })), "InvalidParameterValue");
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ MaxResults: 1001 })),
        "InvalidParameterValue",
      );
      await expectAwsError(
        ec2.send(new DescribeSnapshotsCommand({ MaxResults: 4 })),
        "InvalidParameterValue",
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], MaxResults: 5 })),
        "InvalidParameterCombination",
      );
      await expectAwsError(
        ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds, MaxResults: 5 })),
        "InvalidParameterCombination",
      );
      await expectAwsError(
        ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"], MaxResults: 5 })),
        "InvalidParameterCombination",
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ NextToken: "garbage" })),
        "InvalidPaginationToken",
      );
    });
  });

  it("DescribeRegions lists the default regions and AllRegions adds opt-in ones", async () => {
    const ec2 = ec2For(ctx.aws);
    const out = await ec2.send(new DescribeRegionsCommand({}));
    const names = out.Regions?.map((r) => r.RegionName) ?? [];
    assert.ok(names.includes("us-east-1") && names.includes("eu-west-1"));
    assert.ok(!names.includes("af-south-1"));
    assert.equal(
      out.Regions?.find((r) => r.RegionName === "us-east-1")?.Endpoint,
      "ec2.us-east-1.amazonaws.com",
    );
    const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    assert.ok(all.Regions?.some((r) => r.RegionName === "af-south-1" && r.OptInStatus === "not-opted-in"));
    const one = await ec2.send(new DescribeRegionsCommand({ RegionNames: ["eu-west-1"] }));
    assert.deepEqual(
      one.Regions?.map((r) => r.RegionName),
      ["eu-west-1"],
    );
    await expectAwsError(
      ec2.send(new DescribeRegionsCommand({ RegionNames: ["mars-north-1"] })),
      "InvalidParameterValue",
    );
  });
});
