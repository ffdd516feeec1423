import assert from "node:assert/strict";
import { CreateLaunchTemplateCommand, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { AuditIo, EXIT, runAudit } from "../../cli/audit/run";
import { ec2As, imageFromInstance } from "../../local-aws/seed";
import { TEST_CREDENTIALS, withLocalAws } from "../support/localAws";

const DAY = 86_400_000;

describe("managed-ami audit --unused-images", () => {
  const ctx = withLocalAws();
  const io = (): AuditIo & { out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    };
  };

  async function seed() {
    const ec2 = ec2As(ctx.aws, TEST_CREDENTIALS.accessKeyId);
    const idle = await imageFromInstance(ctx.aws, ec2, "idle-image");
    const templated = await imageFromInstance(ctx.aws, ec2, "in-a-template");
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: "web",
        LaunchTemplateData: { ImageId: templated.imageId },
      }),
    );
    const launched = await imageFromInstance(ctx.aws, ec2, "launched-lately");
    ctx.aws.advance(40 * DAY);
    await ec2.send(new RunInstancesCommand({ ImageId: launched.imageId, MinCount: 1, MaxCount: 1 }));
    const fresh = await imageFromInstance(ctx.aws, ec2, "made-yesterday");
    return { idle, templated, launched, fresh };
  }

  it("lists images idle for AGE that nothing would launch from, with their storage and cost; deregisters nothing", async () => {
    const s = await seed();
    const o = io();
    const code = await runAudit({ unusedImages: "30d", format: "json" }, o, {
      now: () => new Date(ctx.aws.clock.now()),
    });
    assert.equal(code, EXIT.CLEAN, o.err.join(""));
    const doc = JSON.parse(o.out.join(""));
    assert.deepEqual(
      doc.unusedImages.map((u: { imageId: string }) => u.imageId),
      [s.idle.imageId],
    );
    const u = doc.unusedImages[0];
    assert.deepEqual(Object.keys(u), [
      "imageId",
      "name",
      "region",
      "accountId",
      "lastLaunched",
      "snapshotGiB",
      "estimatedMonthlyUsd",
    ]);
    assert.equal(u.name, "idle-image");
    assert.equal(u.lastLaunched, null);
    assert.equal(u.snapshotGiB, ctx.aws.state.snapshots.get(s.idle.snapshotId)?.volumeSize);
    assert.equal(u.estimatedMonthlyUsd, Math.round(u.snapshotGiB * 0.05 * 100) / 100);
    assert.ok(ctx.aws.state.images.get(s.idle.imageId)?.state === "available");
    assert.ok(!ctx.aws.log.some((l) => l.action === "DeregisterImage"));
    assert.ok(
      ctx.aws.log.some((l) => l.action === "DescribeLaunchTemplateVersions"),
      "template use confirmed on $Default/$Latest",
    );
  });

  it("when AWS cannot say what uses the images, lists none and names the permission", async () => {
    await seed();
    ctx.aws.state.ec2.settings.imageReferences = "denied";
    try {
      const o = io();
      await runAudit({ unusedImages: "30d", format: "json" }, o, {
        now: () => new Date(ctx.aws.clock.now()),
      });
      assert.deepEqual(JSON.parse(o.out.join("")).unusedImages, []);
      assert.match(o.err.join(""), /ec2:DescribeImageReferences.*AmazonEC2ImageReferencesAccessPolicy/);
    } finally {
      ctx.aws.state.ec2.settings.imageReferences = "supported";
    }
  });

  it("--unused-images needs an age", async () => {
    const o = io();
    assert.equal(await runAudit({ unusedImages: "soon" }, o), EXIT.ERROR);
    assert.match(o.err.join(""), /--unused-images "soon": expected a whole number/);
    assert.deepEqual(ctx.aws.log, []);
  });
});
