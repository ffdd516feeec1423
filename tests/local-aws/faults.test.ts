import assert from "node:assert/strict";
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeImagesCommand,
  DescribeRegionsCommand,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { SimClock } from "../../local-aws/clock";
import { Throttle } from "../../local-aws/throttle";
import { OTHER_CREDENTIALS, ec2For, expectAwsError, s3For, withLocalAws } from "../support/localAws";

describe("local-aws fault injection", () => {
  const ctx = withLocalAws();

  it("fails the next `times` matching calls with the injected code and AWS's status", async () => {
    const ec2 = ec2For(ctx.aws);
    ctx.aws.faults.inject({ action: "DescribeRegions", code: "InternalError", times: 2 });
    await expectAwsError(ec2.send(new DescribeRegionsCommand({})), "InternalError", 500);
    await expectAwsError(ec2.send(new DescribeRegionsCommand({})), "InternalError", 500);
    await ec2.send(new DescribeRegionsCommand({}));
    ctx.aws.faults.inject({ action: "DescribeRegions", code: "RequestLimitExceeded" });
    await expectAwsError(ec2.send(new DescribeRegionsCommand({})), "RequestLimitExceeded", 503);
    ctx.aws.faults.inject({ action: "*", code: "UnauthorizedOperation", status: 403, message: "nope" });
    const err = await expectAwsError(ec2.send(new DescribeImagesCommand({})), "UnauthorizedOperation", 403);
    assert.equal(err.message, "nope");
  });

  it("only matches the named action, service and region; clear() removes faults", async () => {
    const ec2 = ec2For(ctx.aws);
    ctx.aws.faults.inject({ action: "DeleteSnapshot", code: "InternalError", times: Infinity });
    ctx.aws.faults.inject({ action: "DescribeRegions", region: "eu-west-1", code: "InternalError" });
    await ec2.send(new DescribeRegionsCommand({}));
    await expectAwsError(ec2For(ctx.aws, "eu-west-1").send(new DescribeRegionsCommand({})), "InternalError");
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-0123456789abcdef0" })),
      "InternalError",
    );
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-0123456789abcdef0" })),
      "InternalError",
    );
    ctx.aws.faults.clear();
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-0123456789abcdef0" })),
      "InvalidSnapshot.NotFound",
    );
  });

  it("an injected failure changes nothing (the snapshot survives a failed DeleteSnapshot)", async () => {
    const ec2 = ec2For(ctx.aws);
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }));
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));
    ctx.aws.faults.inject({ action: "DeleteSnapshot", code: "InternalError" });
    await expectAwsError(
      ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap.SnapshotId })),
      "InternalError",
    );
    assert.ok(ctx.aws.state.snapshots.has(snap.SnapshotId!));
  });

  it("delays a call by latencyMs (a later, undelayed call finishes first)", async () => {
    const ec2 = ec2For(ctx.aws);
    ctx.aws.faults.inject({ action: "DescribeRegions", latencyMs: 300 });
    const order: string[] = [];
    const slow = ec2.send(new DescribeRegionsCommand({})).then(() => order.push("delayed"));
    await new Promise((r) => setTimeout(r, 20));
    const fast = ec2
      .send(new DescribeImagesCommand({ Owners: ["self"] }))
      .then(() => order.push("undelayed"));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ["undelayed", "delayed"]);
  });

  it("resets the connection when asked, and logs it", async () => {
    const ec2 = ec2For(ctx.aws);
    ctx.aws.faults.inject({ action: "DescribeRegions", resetConnection: true });
    await assert.rejects(ec2.send(new DescribeRegionsCommand({})));
    const entry = ctx.aws.log.find((l) => l.action === "DescribeRegions");
    assert.equal(entry?.code, "ConnectionReset");
    await ec2.send(new DescribeRegionsCommand({}));
  });

  it("injects S3 faults in S3's error format", async () => {
    const s3 = s3For(ctx.aws);
    await s3.send(new CreateBucketCommand({ Bucket: "faulty" }));
    ctx.aws.faults.inject({ service: "s3", action: "PutObject", code: "SlowDown" });
    await expectAwsError(
      s3.send(new PutObjectCommand({ Bucket: "faulty", Key: "k", Body: "x" })),
      "SlowDown",
      503,
    );
    await s3.send(new PutObjectCommand({ Bucket: "faulty", Key: "k", Body: "x" }));
    assert.deepEqual(
      ctx.aws.log.filter((l) => l.service === "s3").map((l) => [l.action, l.status]),
      [
        ["CreateBucket", 200],
        ["PutObject", 503],
        ["PutObject", 200],
      ],
    );
  });

  it("rejects an empty fault", () => {
    assert.throws(
      () => ctx.aws.faults.inject({ action: "DescribeImages" }),
      /code, a latencyMs or resetConnection/,
    );
  });
});

describe("local-aws throttling", () => {
  // timeScale 1000: simulated time nearly stands still, so only advance() refills buckets.
  const ctx = withLocalAws({ throttling: true, timeScale: 1000 });

  it("DescribeImages: a burst of 100, then RequestLimitExceeded (503) until the bucket refills at 20/s", async () => {
    const ec2 = ec2For(ctx.aws);
    for (let i = 0; i < 100; i++) await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    await expectAwsError(
      ec2.send(new DescribeImagesCommand({ Owners: ["self"] })),
      "RequestLimitExceeded",
      503,
    );
    ctx.aws.advance(1000);
    for (let i = 0; i < 20; i++) await ec2.send(new DescribeImagesCommand({ Owners: ["self"] }));
    await expectAwsError(
      ec2.send(new DescribeImagesCommand({ Owners: ["self"] })),
      "RequestLimitExceeded",
      503,
    );
  });

  it("keeps separate buckets per account and per action", async () => {
    const ec2 = ec2For(ctx.aws);
    for (let i = 0; i < 100; i++) await ec2.send(new DescribeImagesCommand({}));
    await expectAwsError(ec2.send(new DescribeImagesCommand({})), "RequestLimitExceeded");
    await ec2For(ctx.aws, "us-east-1", OTHER_CREDENTIALS.accessKeyId).send(new DescribeImagesCommand({}));
    await ec2.send(new DescribeRegionsCommand({}));
  });

  it("uses AWS's published bucket sizes", () => {
    const t = new Throttle(new SimClock(1));
    assert.deepEqual(t.sizeFor("DeregisterImage"), { burst: 100, perSecond: 5 });
    assert.deepEqual(t.sizeFor("DeleteSnapshot"), { burst: 100, perSecond: 5 });
    assert.deepEqual(t.sizeFor("DescribeImages"), { burst: 100, perSecond: 20 });
    assert.deepEqual(t.sizeFor("CopyImage"), { burst: 100, perSecond: 1 });
    assert.deepEqual(t.sizeFor("CreateTags"), { burst: 50, perSecond: 5 });
    assert.deepEqual(t.sizeFor("DescribeSnapshots"), { burst: 100, perSecond: 20 });
  });
});

describe("local-aws throttling with custom sizes", () => {
  const ctx = withLocalAws({ throttling: { DeleteSnapshot: { burst: 2, perSecond: 1 } }, timeScale: 1000 });

  it("applies per-action overrides and refills on the simulated clock", async () => {
    const ec2 = ec2For(ctx.aws);
    const del = () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: "snap-0123456789abcdef0" }));
    await expectAwsError(del(), "InvalidSnapshot.NotFound");
    await expectAwsError(del(), "InvalidSnapshot.NotFound");
    await expectAwsError(del(), "RequestLimitExceeded", 503);
    ctx.aws.advance(1000);
    await expectAwsError(del(), "InvalidSnapshot.NotFound");
    await expectAwsError(del(), "RequestLimitExceeded");
  });
});
