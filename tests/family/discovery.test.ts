// Discovery against the local endpoint with the real EC2 client: own images only, by name prefix and/or
// tags, disabled ones included, every page read, and failures that name the region, the cause and the fix.
import { strict as assert } from "assert";
import { CreateTagsCommand, DisableImageCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ec2Client } from "../../provider/aws/clients";
import {
  DiscoveryError,
  discoverImages,
  matchesSelector,
  selectorFilters,
} from "../../provider/aws/discovery";
import { ec2For, OTHER_CREDENTIALS, seedEbsImage, TEST_REGION, withLocalAws } from "../support/localAws";

describe("family discovery (DescribeImages, Owners self)", function () {
  const ctx = withLocalAws({ timeScale: 0.001 });
  let ec2: EC2Client;
  beforeEach(() => {
    ec2 = ec2For(ctx.aws);
  });

  async function seed(name: string, tags: Record<string, string> = {}, client = ec2): Promise<string> {
    const { imageId } = await seedEbsImage(ctx.aws, client, name);
    if (Object.keys(tags).length)
      await client.send(
        new CreateTagsCommand({
          Resources: [imageId],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    return imageId;
  }

  it("selects own images by name prefix; other names and other accounts' images are not members", async () => {
    const a = await seed("web-2026-01-01");
    const b = await seed("web-2026-01-08");
    await seed("api-2026-01-01");
    await seed("xweb-2026-01-01");
    await seed("web-2026-01-09", {}, ec2For(ctx.aws, TEST_REGION, OTHER_CREDENTIALS.accessKeyId));
    const found = await discoverImages(ec2, { namePrefix: "web-" });
    assert.deepEqual(found.map((i) => i.imageId).sort(), [a, b].sort());
    assert.ok(found.every((i) => i.state === "available" && i.creationDate));
  });

  it("selects by tags (every tag must match), and by prefix and tags together", async () => {
    const both = await seed("web-1", { family: "web", tier: "prod" });
    await seed("web-2", { family: "web" });
    await seed("api-1", { family: "web", tier: "prod" });
    await seed("web-3", { family: "api", tier: "prod" });
    const byTags = await discoverImages(ec2, { tags: { family: "web", tier: "prod" } });
    assert.equal(byTags.length, 2);
    assert.ok(byTags.some((i) => i.imageId === both));
    const byBoth = await discoverImages(ec2, { namePrefix: "web-", tags: { family: "web", tier: "prod" } });
    assert.deepEqual(
      byBoth.map((i) => i.imageId),
      [both],
    );
    assert.deepEqual(byBoth[0].tags, { family: "web", tier: "prod" });
  });

  it("includes disabled images", async () => {
    const a = await seed("web-a");
    const b = await seed("web-b");
    await ec2.send(new DisableImageCommand({ ImageId: a }));
    const found = await discoverImages(ec2, { namePrefix: "web-" });
    assert.deepEqual(
      found.map((i) => [i.imageId, i.state]).sort(),
      [
        [a, "disabled"],
        [b, "available"],
      ].sort(),
    );
  });

  it("reads every page (7 images, pages of 5: two DescribeImages calls)", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await seed(`web-${i}`));
    ctx.aws.log.length = 0;
    const found = await discoverImages(ec2, { namePrefix: "web-" }, { pageSize: 5 });
    assert.deepEqual(found.map((i) => i.imageId).sort(), ids.sort());
    const calls = ctx.aws.log.filter((e) => e.action === "DescribeImages");
    assert.equal(calls.length, 2);
    assert.equal(calls[0].params.MaxResults, "5");
    assert.equal(calls[0].params["Owner.1"], "self");
    assert.equal(calls[0].params.IncludeDisabled, "true");
  });

  it("filters are literal on our side: a wildcard in a tag value does not widen the family", async () => {
    await seed("web-1", { family: "web-blue" });
    const found = await discoverImages(ec2, { tags: { family: "web-*" } });
    assert.deepEqual(found, []);
    assert.equal(
      matchesSelector({ name: "web-1", tags: { family: "web-blue" } }, { tags: { family: "web-*" } }),
      false,
    );
    assert.deepEqual(selectorFilters({ namePrefix: "web-", tags: { a: "b" } }), [
      { Name: "name", Values: ["web-*"] },
      { Name: "tag:a", Values: ["b"] },
    ]);
  });

  it("access denied becomes a DiscoveryError naming the region, the permission and the fix", async () => {
    ctx.aws.faults.inject({
      action: "DescribeImages",
      code: "UnauthorizedOperation",
      status: 403,
      message: "You are not authorized to perform this operation.",
    });
    const err = await discoverImages(ec2, { namePrefix: "web-" }).then(
      () => assert.fail("expected a failure"),
      (e: unknown) => new DiscoveryError("web", TEST_REGION, e),
    );
    assert.match(
      err.message,
      /^ManagedAmiFamily "web": could not list the family's images in us-east-1 \(DescribeImages, Owners self\): You are not authorized/,
    );
    assert.match(err.message, /Grant ec2:DescribeImages/);
  });

  it("an unreachable endpoint fails (no retry budget spent) naming the endpoint", async () => {
    const client = ec2Client(TEST_REGION, { endpoint: "http://127.0.0.1:9" });
    try {
      await assert.rejects(discoverImages(client, { namePrefix: "web-" }), /127\.0\.0\.1:9/);
    } finally {
      client.destroy();
    }
  });
});
