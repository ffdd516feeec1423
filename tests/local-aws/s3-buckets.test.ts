import assert from "node:assert/strict";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  paginateListBuckets,
} from "@aws-sdk/client-s3";
import { ALICE, BOB, S3Env, rejectsWith, startS3Env } from "./s3-harness";
import { canonicalUserId } from "../../local-aws/s3";

describe("local-aws S3: buckets", () => {
  let env: S3Env;
  let n = 0;
  const fresh = (): string => `bucket-${Date.now().toString(36)}-${n++}`;
  before(async () => {
    env = await startS3Env();
  });
  after(async () => {
    await env.aws.stop();
  });

  it("CreateBucket with a LocationConstraint creates the bucket in that region, owned by the caller", async () => {
    const name = fresh();
    const out = await env.client().send(
      new CreateBucketCommand({
        Bucket: name,
        CreateBucketConfiguration: { LocationConstraint: "us-west-2" },
      }),
    );
    assert.equal(out.Location, `/${name}`);
    const b = env.store.getBucket(name);
    assert.equal(b?.region, "us-west-2");
    assert.equal(b?.ownerAccountId, ALICE.account);
    const head = await env.client().send(new HeadBucketCommand({ Bucket: name }));
    assert.equal(head.BucketRegion, "us-west-2");
    const loc = await env.client().send(new GetBucketLocationCommand({ Bucket: name }));
    assert.equal(loc.LocationConstraint, "us-west-2");
  });

  it("CreateBucket without a LocationConstraint: the SDK fills in the client's region", async () => {
    const name = fresh();
    await env.client(ALICE, "ap-south-1").send(new CreateBucketCommand({ Bucket: name }));
    assert.equal(env.store.getBucket(name)?.region, "ap-south-1");
  });

  it("CreateBucket outside us-east-1 with no configuration body is IllegalLocationConstraintException", async () => {
    const name = fresh();
    const res = await env.raw({ method: "PUT", path: `/${name}` });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>IllegalLocationConstraintException<\/Code>/);
    assert.match(res.body, /The unspecified location constraint is incompatible/);
    assert.match(res.body, /<RequestId>[^<]+<\/RequestId>/);
    assert.equal(env.store.hasBucket(name), false);
  });

  it("CreateBucket with a LocationConstraint of another region than the endpoint's is IllegalLocationConstraintException", async () => {
    const name = fresh();
    await rejectsWith(
      env.client().send(
        new CreateBucketCommand({
          Bucket: name,
          CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
        }),
      ),
      "IllegalLocationConstraintException",
      400,
    );
  });

  it("CreateBucket in us-east-1 needs no configuration; an explicit us-east-1 constraint is InvalidLocationConstraint", async () => {
    const name = fresh();
    await env.client(ALICE, "us-east-1").send(new CreateBucketCommand({ Bucket: name }));
    assert.equal(env.store.getBucket(name)?.region, "us-east-1");
    const loc = await env.client(ALICE, "us-east-1").send(new GetBucketLocationCommand({ Bucket: name }));
    assert.ok(!loc.LocationConstraint, "us-east-1 is reported as an empty LocationConstraint");
    await rejectsWith(
      env.client(ALICE, "us-east-1").send(
        new CreateBucketCommand({
          Bucket: fresh(),
          CreateBucketConfiguration: { LocationConstraint: "us-east-1" as BucketLocationConstraint },
        }),
      ),
      "InvalidLocationConstraint",
      400,
    );
  });

  it("re-creating your own bucket is BucketAlreadyOwnedByYou (409), except the legacy 200 OK in us-east-1", async () => {
    const west = fresh();
    const cfg = { LocationConstraint: "us-west-2" as const };
    await env.client().send(new CreateBucketCommand({ Bucket: west, CreateBucketConfiguration: cfg }));
    await rejectsWith(
      env.client().send(new CreateBucketCommand({ Bucket: west, CreateBucketConfiguration: cfg })),
      "BucketAlreadyOwnedByYou",
      409,
    );
    const east = fresh();
    await env.client(ALICE, "us-east-1").send(new CreateBucketCommand({ Bucket: east }));
    await env.client(ALICE, "us-east-1").send(new CreateBucketCommand({ Bucket: east }));
    assert.equal(env.store.getBucket(east)?.ownerAccountId, ALICE.account);
  });

  it("bucket names are global: another account gets BucketAlreadyExists (409) and the owner is unchanged", async () => {
    const name = fresh();
    await env.client().send(
      new CreateBucketCommand({
        Bucket: name,
        CreateBucketConfiguration: { LocationConstraint: "us-west-2" },
      }),
    );
    const err = await rejectsWith(
      env.client(BOB, "eu-west-1").send(
        new CreateBucketCommand({
          Bucket: name,
          CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
        }),
      ),
      "BucketAlreadyExists",
      409,
    );
    assert.match(err.message, /bucket namespace is shared/);
    assert.equal(env.store.getBucket(name)?.ownerAccountId, ALICE.account);
    assert.equal(env.store.getBucket(name)?.region, "us-west-2");
  });

  for (const bad of [
    "Upper-Case",
    "ab",
    "a".repeat(64),
    "bad..dots",
    "192.168.1.1",
    "-leading",
    "under_score",
    "xn--punycode",
  ]) {
    it(`CreateBucket rejects the name ${JSON.stringify(bad.length > 20 ? bad.slice(0, 8) + "…" : bad)} with InvalidBucketName`, async () => {
      await rejectsWith(
        env.client().send(
          new CreateBucketCommand({
            Bucket: bad,
            CreateBucketConfiguration: { LocationConstraint: "us-west-2" },
          }),
        ),
        "InvalidBucketName",
        400,
      );
      assert.equal(env.store.hasBucket(bad), false);
    });
  }

  it("HeadBucket: 404 for a missing bucket, 403 for another account's, 301 with its region for a wrong-region request", async () => {
    await rejectsWith(env.client().send(new HeadBucketCommand({ Bucket: fresh() })), "NotFound", 404);
    const name = fresh();
    env.store.createBucket(name, BOB.account, "us-west-2");
    const denied = await rejectsWith(
      env.client().send(new HeadBucketCommand({ Bucket: name })),
      undefined,
      403,
    );
    assert.equal(
      denied.$response?.headers["x-amz-bucket-region"],
      "us-west-2",
      "S3 tells a denied caller the region",
    );
    const own = fresh();
    env.store.createBucket(own, ALICE.account, "eu-west-1");
    const err = await rejectsWith(env.client().send(new HeadBucketCommand({ Bucket: own })), undefined, 301);
    assert.equal(err.$response?.headers["x-amz-bucket-region"], "eu-west-1");
  });

  it("a request signed for another region than the bucket's is PermanentRedirect (301)", async () => {
    const name = fresh();
    env.store.createBucket(name, ALICE.account, "eu-west-1");
    const err = await rejectsWith(
      env.client(ALICE, "us-west-2").send(new PutObjectCommand({ Bucket: name, Key: "k", Body: "x" })),
      "PermanentRedirect",
      301,
    );
    assert.equal((err as unknown as { Endpoint?: string }).Endpoint, "s3.eu-west-1.amazonaws.com");
    assert.equal(env.store.hasObject(name, "k"), false);
    await env.client(ALICE, "eu-west-1").send(new PutObjectCommand({ Bucket: name, Key: "k", Body: "x" }));
    assert.equal(env.store.hasObject(name, "k"), true);
  });

  it("DeleteBucket: BucketNotEmpty (409) while objects remain, NoSuchBucket (404) when absent, 204 when empty", async () => {
    const name = fresh();
    env.store.createBucket(name, ALICE.account, "us-west-2");
    env.store.putObject(name, "left/over", "x");
    await rejectsWith(env.client().send(new DeleteBucketCommand({ Bucket: name })), "BucketNotEmpty", 409);
    assert.equal(env.store.hasBucket(name), true);
    env.store.deleteObject(name, "left/over");
    const out = await env.client().send(new DeleteBucketCommand({ Bucket: name }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.equal(env.store.hasBucket(name), false);
    await rejectsWith(env.client().send(new DeleteBucketCommand({ Bucket: name })), "NoSuchBucket", 404);
  });

  it("DeleteBucket of another account's bucket is AccessDenied (403) and deletes nothing", async () => {
    const name = fresh();
    env.store.createBucket(name, BOB.account, "us-west-2");
    await rejectsWith(env.client(ALICE).send(new DeleteBucketCommand({ Bucket: name })), "AccessDenied", 403);
    assert.equal(env.store.hasBucket(name), true);
  });

  it("ListBuckets lists only the caller's buckets, with region, creation date and canonical owner id", async () => {
    const mine = fresh();
    const theirs = fresh();
    env.store.createBucket(mine, ALICE.account, "ap-southeast-2");
    env.store.createBucket(theirs, BOB.account, "us-west-2");
    const out = await env.client().send(new ListBucketsCommand({}));
    const names = (out.Buckets ?? []).map((b) => b.Name);
    assert.ok(names.includes(mine));
    assert.ok(!names.includes(theirs));
    const entry = out.Buckets?.find((b) => b.Name === mine);
    assert.equal(entry?.BucketRegion, "ap-southeast-2");
    assert.ok(entry?.CreationDate instanceof Date);
    assert.equal(out.Owner?.ID, canonicalUserId(ALICE.account));
    assert.deepEqual([...names], [...names].sort(), "sorted by name");
  });

  it("ListBuckets pages with max-buckets through paginateListBuckets", async () => {
    const prefix = `pg-${Date.now().toString(36)}-`;
    for (let i = 0; i < 5; i++) env.store.createBucket(`${prefix}${i}`, BOB.account, "us-west-2");
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListBuckets(
      { client: env.client(BOB), pageSize: 2 },
      { Prefix: prefix },
    )) {
      pages++;
      seen.push(...(page.Buckets ?? []).map((b) => b.Name as string));
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      [0, 1, 2, 3, 4].map((i) => `${prefix}${i}`),
    );
  });
});
