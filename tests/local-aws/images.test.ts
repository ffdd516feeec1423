import assert from "node:assert/strict";
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  RegisterImageCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { bundleManifestXml } from "../../local-aws/s3";
import {
  OTHER_CREDENTIALS,
  ec2For,
  expectAwsError,
  s3For,
  seedEbsImage,
  withLocalAws,
} from "../support/localAws";

async function snapshotOfSize(ec2: EC2Client, size = 8): Promise<string> {
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: size }));
  const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
  return snap.SnapshotId as string;
}

async function registerFrom(ec2: EC2Client, name: string, snapshotId: string): Promise<string> {
  const out = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      RootDeviceName: "/dev/xvda",
      VirtualizationType: "hvm",
      Architecture: "arm64",
      BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snapshotId, VolumeType: "gp3" } }],
    }),
  );
  return out.ImageId as string;
}

async function describeOne(ec2: EC2Client, imageId: string) {
  const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  assert.equal(out.Images?.length, 1);
  return out.Images![0];
}

describe("local-aws EC2 images", () => {
  const ctx = withLocalAws({ imageAvailableAfterMs: 3000, deregisteredVisibleForMs: 60000 });

  describe("CreateImage", () => {
    it("creates a pending image that becomes available, with snapshots described as AWS does", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId, snapshotIds, instanceId } = await seedEbsImage(ctx.aws, ec2, "web-1");
      const img = await describeOne(ec2, imageId);
      assert.equal(img.State, "available");
      assert.equal(img.Name, "web-1");
      assert.equal(img.RootDeviceType, "ebs");
      assert.equal(img.SourceInstanceId, instanceId);
      assert.equal(img.OwnerId, ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE"));
      assert.equal(img.DeregistrationProtection, "disabled");
      assert.deepEqual(
        img.BlockDeviceMappings?.map((b) => b.Ebs?.SnapshotId),
        snapshotIds,
      );
      const snaps = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }));
      assert.equal(snaps.Snapshots?.[0].Description, `Created by CreateImage(${instanceId}) for ${imageId}`);
    });

    it("is pending until imageAvailableAfterMs of simulated time has passed", async () => {
      const ec2 = ec2For(ctx.aws);
      const { instanceId } = await seedEbsImage(ctx.aws, ec2, "seed");
      const out = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "slow" }));
      assert.equal((await describeOne(ec2, out.ImageId!)).State, "pending");
      ctx.aws.advance(2000);
      assert.equal((await describeOne(ec2, out.ImageId!)).State, "pending");
      ctx.aws.advance(1000);
      assert.equal((await describeOne(ec2, out.ImageId!)).State, "available");
    });

    it("tags the image and its snapshots from TagSpecifications", async () => {
      const ec2 = ec2For(ctx.aws);
      const { instanceId } = await seedEbsImage(ctx.aws, ec2, "seed");
      const out = await ec2.send(
        new CreateImageCommand({
          InstanceId: instanceId,
          Name: "tagged",
          TagSpecifications: [
            { ResourceType: "image", Tags: [{ Key: "team", Value: "a" }] },
            { ResourceType: "snapshot", Tags: [{ Key: "owner", Value: "b" }] },
          ],
        }),
      );
      const img = await describeOne(ec2, out.ImageId!);
      assert.deepEqual(img.Tags, [{ Key: "team", Value: "a" }]);
      const snap = await ec2.send(
        new DescribeSnapshotsCommand({ SnapshotIds: [img.BlockDeviceMappings![0].Ebs!.SnapshotId!] }),
      );
      assert.deepEqual(snap.Snapshots?.[0].Tags, [{ Key: "owner", Value: "b" }]);
    });

    it("rejects an unknown instance, a malformed one, a duplicate name and a malformed name", async () => {
      const ec2 = ec2For(ctx.aws);
      const { instanceId } = await seedEbsImage(ctx.aws, ec2, "taken");
      await expectAwsError(
        ec2.send(new CreateImageCommand({ InstanceId: "i-0123456789abcdef0", Name: "x-1" })),
        "InvalidInstanceID.NotFound",
        400,
      );
      await expectAwsError(
        ec2.send(new CreateImageCommand({ InstanceId: "i-xyz", Name: "x-1" })),
        "InvalidInstanceID.Malformed",
        400,
      );
      await expectAwsError(
        ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "taken" })),
        "InvalidAMIName.Duplicate",
        400,
      );
      await expectAwsError(
        ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "no*stars" })),
        "InvalidAMIName.Malformed",
        400,
      );
      await expectAwsError(
        ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "ab" })),
        "InvalidAMIName.Malformed",
        400,
      );
    });

    it("allows the same name in another region and in another account", async () => {
      const ec2 = ec2For(ctx.aws);
      await seedEbsImage(ctx.aws, ec2, "shared-name");
      await seedEbsImage(ctx.aws, ec2For(ctx.aws, "eu-west-1"), "shared-name");
      await seedEbsImage(ctx.aws, ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId), "shared-name");
    });
  });

  describe("RegisterImage", () => {
    it("registers an EBS image from a snapshot, sized from the snapshot", async () => {
      const ec2 = ec2For(ctx.aws);
      const snap = await snapshotOfSize(ec2, 12);
      const imageId = await registerFrom(ec2, "reg-1", snap);
      const img = await describeOne(ec2, imageId);
      assert.equal(img.Architecture, "arm64");
      assert.equal(img.RootDeviceName, "/dev/xvda");
      assert.equal(img.BlockDeviceMappings?.[0].Ebs?.VolumeSize, 12);
      assert.equal(img.BlockDeviceMappings?.[0].Ebs?.VolumeType, "gp3");
    });

    it("rejects an unknown snapshot, a missing root device and a volume smaller than the snapshot", async () => {
      const ec2 = ec2For(ctx.aws);
      await expectAwsError(registerFrom(ec2, "reg-2", "snap-0123456789abcdef0"), "InvalidSnapshot.NotFound");
      await expectAwsError(registerFrom(ec2, "reg-2", "snap-nothex"), "InvalidSnapshotID.Malformed");
      const snap = await snapshotOfSize(ec2, 10);
      await expectAwsError(
        ec2.send(
          new RegisterImageCommand({
            Name: "reg-2",
            BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snap } }],
          }),
        ),
        "MissingParameter",
      );
      await expectAwsError(
        ec2.send(
          new RegisterImageCommand({
            Name: "reg-2",
            RootDeviceName: "/dev/xvda",
            BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { SnapshotId: snap, VolumeSize: 5 } }],
          }),
        ),
        "InvalidBlockDeviceMapping",
      );
    });

    it("does not let one account register another account's snapshot", async () => {
      const snap = await snapshotOfSize(ec2For(ctx.aws));
      await expectAwsError(
        registerFrom(ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId), "theirs", snap),
        "InvalidSnapshot.NotFound",
      );
    });

    it("registers an instance-store image from an S3 manifest that exists, reading its architecture", async () => {
      const ec2 = ec2For(ctx.aws);
      const s3 = s3For(ctx.aws);
      await s3.send(new CreateBucketCommand({ Bucket: "bundles" }));
      const xml = bundleManifestXml({
        name: "img",
        architecture: "i386",
        parts: [{ filename: "img.part.00", sha1: "a".repeat(40) }],
      });
      await s3.send(new PutObjectCommand({ Bucket: "bundles", Key: "v1/img.manifest.xml", Body: xml }));
      const out = await ec2.send(
        new RegisterImageCommand({ Name: "bundle-1", ImageLocation: "bundles/v1/img.manifest.xml" }),
      );
      const img = await describeOne(ec2, out.ImageId!);
      assert.equal(img.RootDeviceType, "instance-store");
      assert.equal(img.ImageLocation, "bundles/v1/img.manifest.xml");
      assert.equal(img.Architecture, "i386");
      const byLocation = await ec2.send(
        new DescribeImagesCommand({
          Owners: ["self"],
          Filters: [{ Name: "manifest-location", Values: ["bundles/v1/*"] }],
        }),
      );
      assert.deepEqual(
        byLocation.Images?.map((i) => i.ImageId),
        [out.ImageId],
      );
    });

    it("rejects a manifest that does not exist, is not a manifest, or is in another account's bucket", async () => {
      const ec2 = ec2For(ctx.aws);
      const s3 = s3For(ctx.aws);
      await s3.send(new CreateBucketCommand({ Bucket: "bundles2" }));
      await s3.send(new PutObjectCommand({ Bucket: "bundles2", Key: "junk.manifest.xml", Body: "not xml" }));
      await expectAwsError(
        ec2.send(new RegisterImageCommand({ Name: "b-1", ImageLocation: "bundles2/missing.manifest.xml" })),
        "InvalidManifest",
      );
      await expectAwsError(
        ec2.send(new RegisterImageCommand({ Name: "b-1", ImageLocation: "bundles2/junk.manifest.xml" })),
        "InvalidManifest",
      );
      const other = ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId);
      const xml = bundleManifestXml({
        name: "img",
        parts: [{ filename: "img.part.00", sha1: "b".repeat(40) }],
      });
      await s3.send(new PutObjectCommand({ Bucket: "bundles2", Key: "ok.manifest.xml", Body: xml }));
      await expectAwsError(
        other.send(new RegisterImageCommand({ Name: "b-1", ImageLocation: "bundles2/ok.manifest.xml" })),
        "InvalidManifest",
      );
    });
  });

  describe("DescribeImages", () => {
    it("answers InvalidAMIID.NotFound for an unknown id and .Malformed for a bad one", async () => {
      const ec2 = ec2For(ctx.aws);
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-0123456789abcdef0"] })),
        "InvalidAMIID.NotFound",
        400,
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-12345678"] })),
        "InvalidAMIID.NotFound",
        400,
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: ["ami-XYZ"] })),
        "InvalidAMIID.Malformed",
        400,
      );
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: ["snap-0123456789abcdef0"] })),
        "InvalidAMIID.Malformed",
        400,
      );
    });

    it("scopes images to the region", async () => {
      const { imageId } = await seedEbsImage(ctx.aws, ec2For(ctx.aws), "east");
      await expectAwsError(
        ec2For(ctx.aws, "us-west-2").send(new DescribeImagesCommand({ ImageIds: [imageId] })),
        "InvalidAMIID.NotFound",
      );
    });

    it("Owners self / account id / amazon select by owner; public images are listed without Owners", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "mine");
      const base = ctx.aws.state.baseImageId("us-east-1");
      const self = await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
      assert.deepEqual(
        self.Images?.map((i) => i.ImageId),
        [imageId],
      );
      const byId = await ec2.send(
        new DescribeImagesCommand({ Owners: [ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE")] }),
      );
      assert.deepEqual(
        byId.Images?.map((i) => i.ImageId),
        [imageId],
      );
      const amazon = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }));
      assert.deepEqual(
        amazon.Images?.map((i) => i.ImageId),
        [base],
      );
      const all = await ec2.send(new DescribeImagesCommand({}));
      assert.deepEqual(all.Images?.map((i) => i.ImageId).sort(), [base, imageId].sort());
    });

    it("hides another account's private image, and shows it once shared by launch permission", async () => {
      const mine = ec2For(ctx.aws);
      const theirs = ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId);
      const { imageId } = await seedEbsImage(ctx.aws, mine, "private");
      await expectAwsError(
        theirs.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
        "InvalidAMIID.NotFound",
      );
      assert.deepEqual((await theirs.send(new DescribeImagesCommand({ Owners: ["self"] }))).Images, []);
      await expectAwsError(
        theirs.send(new DeregisterImageCommand({ ImageId: imageId })),
        "InvalidAMIID.NotFound",
      );
      const otherAccount = ctx.aws.state.accountIdFor(OTHER_CREDENTIALS.accessKeyId);
      await mine.send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ UserId: otherAccount }] },
        }),
      );
      const shared = await theirs.send(
        new DescribeImagesCommand({
          ExecutableUsers: ["self"],
          Owners: [ctx.aws.state.accountIdFor("AKIALOCALAWSEXAMPLE")],
        }),
      );
      assert.deepEqual(
        shared.Images?.map((i) => i.ImageId),
        [imageId],
      );
      await expectAwsError(theirs.send(new DeregisterImageCommand({ ImageId: imageId })), "AuthFailure");
      const attr = await mine.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "launchPermission" }),
      );
      assert.deepEqual(attr.LaunchPermissions, [{ UserId: otherAccount }]);
    });
  });

  describe("DeregisterImage", () => {
    it("keeps a deregistered image visible as deregistered for deregisteredVisibleForMs, then NotFound", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "gone");
      const out = await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      assert.equal(out.Return, true);
      assert.equal(out.DeleteSnapshotResults, undefined);
      assert.equal((await describeOne(ec2, imageId)).State, "deregistered");
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "InvalidAMIID.Unavailable",
      );
      ctx.aws.advance(60000);
      await expectAwsError(
        ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })),
        "InvalidAMIID.NotFound",
      );
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "InvalidAMIID.NotFound",
      );
    });

    it("frees the name at once", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "reuse");
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
      await seedEbsImage(ctx.aws, ec2, "reuse");
    });

    it("DeleteAssociatedSnapshots deletes own snapshots and skips one another image uses", async () => {
      const ec2 = ec2For(ctx.aws);
      const shared = await snapshotOfSize(ec2);
      const own = await snapshotOfSize(ec2);
      const out = await ec2.send(
        new RegisterImageCommand({
          Name: "two-disks",
          RootDeviceName: "/dev/xvda",
          BlockDeviceMappings: [
            { DeviceName: "/dev/xvda", Ebs: { SnapshotId: own } },
            { DeviceName: "/dev/xvdb", Ebs: { SnapshotId: shared } },
          ],
        }),
      );
      const other = await registerFrom(ec2, "uses-shared", shared);
      const dr = await ec2.send(
        new DeregisterImageCommand({ ImageId: out.ImageId, DeleteAssociatedSnapshots: true }),
      );
      assert.deepEqual(dr.DeleteSnapshotResults, [
        { SnapshotId: own, ReturnCode: "success" },
        { SnapshotId: shared, ReturnCode: "skipped" },
      ]);
      const left = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
      assert.deepEqual(
        left.Snapshots?.map((s) => s.SnapshotId),
        [shared],
      );
      assert.equal((await describeOne(ec2, other)).State, "pending");
    });

    it("DryRun answers DryRunOperation (412) and changes nothing", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "dry");
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId, DryRun: true })),
        "DryRunOperation",
        412,
      );
      assert.equal((await describeOne(ec2, imageId)).State, "available");
    });
  });

  describe("deregistration protection", () => {
    it("blocks deregistration while enabled; without cooldown disabling lifts it at once", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "protected");
      const enabled = await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      assert.equal(enabled.Return, "enabled-without-cooldown");
      assert.equal((await describeOne(ec2, imageId)).DeregistrationProtection, "enabled-without-cooldown");
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "OperationNotPermitted",
        400,
      );
      const disabled = await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      assert.equal(disabled.Return, "disabled");
      assert.equal((await describeOne(ec2, imageId)).DeregistrationProtection, "disabled");
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
    });

    it("with cooldown, stays in force for protectionCooldownMs after disabling (disabled after …)", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "cooldown");
      const enabled = await ec2.send(
        new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }),
      );
      assert.equal(enabled.Return, "enabled-with-cooldown");
      assert.equal((await describeOne(ec2, imageId)).DeregistrationProtection, "enabled-with-cooldown");
      const disabledAt = ctx.aws.clock.now();
      const disabled = await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      const text = (await describeOne(ec2, imageId)).DeregistrationProtection as string;
      assert.equal(disabled.Return, text);
      assert.match(text, /^disabled after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const until = Date.parse(text.slice("disabled after ".length));
      assert.ok(
        Math.abs(until - (disabledAt + 24 * 3600 * 1000)) < 60000,
        `cooldown ends ~24h later, got ${text}`,
      );
      const attr = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "deregistrationProtection" }),
      );
      assert.equal(attr.DeregistrationProtection?.Value, text);
      await expectAwsError(
        ec2.send(new DeregisterImageCommand({ ImageId: imageId })),
        "OperationNotPermitted",
      );
      ctx.aws.advance(24 * 3600 * 1000 + 60000);
      assert.equal((await describeOne(ec2, imageId)).DeregistrationProtection, "disabled");
      await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
    });
  });

  describe("image attributes", () => {
    it("ModifyImageAttribute changes the description; DescribeImageAttribute reads it", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "described");
      await ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, Description: { Value: "v2" } }));
      const attr = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "description" }),
      );
      assert.equal(attr.Description?.Value, "v2");
      assert.equal((await describeOne(ec2, imageId)).Description, "v2");
      await ec2.send(
        new ModifyImageAttributeCommand({ ImageId: imageId, Attribute: "description", Value: "v3" }),
      );
      assert.equal((await describeOne(ec2, imageId)).Description, "v3");
      const bdm = await ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "blockDeviceMapping" }),
      );
      assert.equal(bdm.BlockDeviceMappings?.length, 1);
    });

    it("rejects an unknown attribute and an unknown image", async () => {
      const ec2 = ec2For(ctx.aws);
      const { imageId } = await seedEbsImage(ctx.aws, ec2, "attrs");
      await expectAwsError(
        ec2.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: "colour" as never })),
        "InvalidParameterValue",
      );
      await expectAwsError(
        ec2.send(
          new ModifyImageAttributeCommand({ ImageId: "ami-0123456789abcdef0", Description: { Value: "x" } }),
        ),
        "InvalidAMIID.NotFound",
      );
    });
  });

  describe("CopyImage", () => {
    it("copies across regions with new snapshots described as AWS does", async () => {
      const east = ec2For(ctx.aws, "us-east-1");
      const west = ec2For(ctx.aws, "us-west-2");
      const { imageId, snapshotIds } = await seedEbsImage(ctx.aws, east, "golden");
      const out = await west.send(
        new CopyImageCommand({
          SourceImageId: imageId,
          SourceRegion: "us-east-1",
          Name: "golden",
          ClientToken: "tok-1",
        }),
      );
      const copy = await describeOne(west, out.ImageId!);
      assert.equal(copy.State, "pending");
      assert.equal(copy.SourceImageId, imageId);
      assert.equal(copy.SourceImageRegion, "us-east-1");
      const newSnap = copy.BlockDeviceMappings?.[0].Ebs?.SnapshotId as string;
      assert.notEqual(newSnap, snapshotIds[0]);
      const snaps = await west.send(new DescribeSnapshotsCommand({ SnapshotIds: [newSnap] }));
      assert.match(
        snaps.Snapshots?.[0].Description ?? "",
        new RegExp(
          `^Copied for DestinationAmi ${out.ImageId} from SourceAmi ${imageId} for SourceSnapshot ${snapshotIds[0]}\\. Task created on [\\d,]+\\.$`,
        ),
      );
      ctx.aws.advance(3000);
      assert.equal((await describeOne(west, out.ImageId!)).State, "available");
      await expectAwsError(
        east.send(new DescribeSnapshotsCommand({ SnapshotIds: [newSnap] })),
        "InvalidSnapshot.NotFound",
      );
    });

    it("is idempotent per ClientToken and rejects the token with different parameters", async () => {
      const east = ec2For(ctx.aws, "us-east-1");
      const west = ec2For(ctx.aws, "us-west-2");
      const { imageId } = await seedEbsImage(ctx.aws, east, "idem");
      const a = await west.send(
        new CopyImageCommand({
          SourceImageId: imageId,
          SourceRegion: "us-east-1",
          Name: "idem",
          ClientToken: "t",
        }),
      );
      const b = await west.send(
        new CopyImageCommand({
          SourceImageId: imageId,
          SourceRegion: "us-east-1",
          Name: "idem",
          ClientToken: "t",
        }),
      );
      assert.equal(a.ImageId, b.ImageId);
      const images = await west.send(new DescribeImagesCommand({ Owners: ["self"] }));
      assert.equal(images.Images?.length, 1);
      await expectAwsError(
        west.send(
          new CopyImageCommand({
            SourceImageId: imageId,
            SourceRegion: "us-east-1",
            Name: "idem-2",
            ClientToken: "t",
          }),
        ),
        "IdempotentParameterMismatch",
      );
    });

    it("copies tags when CopyImageTags and applies TagSpecifications", async () => {
      const east = ec2For(ctx.aws, "us-east-1");
      const west = ec2For(ctx.aws, "eu-west-1");
      const { instanceId } = await seedEbsImage(ctx.aws, east, "seed");
      const src = await east.send(
        new CreateImageCommand({
          InstanceId: instanceId,
          Name: "src",
          TagSpecifications: [{ ResourceType: "image", Tags: [{ Key: "a", Value: "1" }] }],
        }),
      );
      ctx.aws.advance(3000);
      const out = await west.send(
        new CopyImageCommand({
          SourceImageId: src.ImageId,
          SourceRegion: "us-east-1",
          Name: "dst",
          CopyImageTags: true,
          TagSpecifications: [
            { ResourceType: "image", Tags: [{ Key: "b", Value: "2" }] },
            { ResourceType: "snapshot", Tags: [{ Key: "c", Value: "3" }] },
          ],
        }),
      );
      const copy = await describeOne(west, out.ImageId!);
      assert.deepEqual(copy.Tags, [
        { Key: "a", Value: "1" },
        { Key: "b", Value: "2" },
      ]);
      const snaps = await west.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
      assert.deepEqual(snaps.Snapshots?.[0].Tags, [{ Key: "c", Value: "3" }]);
    });

    it("rejects an unknown source, a pending source and a duplicate destination name", async () => {
      const east = ec2For(ctx.aws, "us-east-1");
      const west = ec2For(ctx.aws, "us-west-2");
      await expectAwsError(
        west.send(
          new CopyImageCommand({
            SourceImageId: "ami-0123456789abcdef0",
            SourceRegion: "us-east-1",
            Name: "x-y",
          }),
        ),
        "InvalidAMIID.NotFound",
      );
      const { imageId, instanceId } = await seedEbsImage(ctx.aws, east, "src-a");
      const pending = await east.send(
        new CreateImageCommand({ InstanceId: instanceId, Name: "pending-src" }),
      );
      await expectAwsError(
        west.send(
          new CopyImageCommand({ SourceImageId: pending.ImageId, SourceRegion: "us-east-1", Name: "x-y" }),
        ),
        "IncorrectState",
      );
      await seedEbsImage(ctx.aws, west, "taken-west");
      await expectAwsError(
        west.send(
          new CopyImageCommand({ SourceImageId: imageId, SourceRegion: "us-east-1", Name: "taken-west" }),
        ),
        "InvalidAMIName.Duplicate",
      );
    });
  });
});
