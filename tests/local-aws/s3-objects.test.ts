import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { ALICE, BOB, S3Env, rejectsWith, startS3Env } from "./s3-harness";

describe("local-aws S3: objects", () => {
  let env: S3Env;
  const bucket = "objects-alice";
  before(async () => {
    env = await startS3Env();
    env.store.createBucket(bucket, ALICE.account, "us-west-2");
  });
  after(async () => {
    await env.aws.stop();
  });

  it("PutObject then GetObject round-trips body, metadata and content type; ETag is the quoted MD5", async () => {
    const body = Buffer.from("instance-store bundle part\n".repeat(100));
    const put = await env.client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "rt/part",
        Body: body,
        ContentType: "application/x-part",
        Metadata: { owner: "web" },
      }),
    );
    const md5 = `"${createHash("md5").update(body).digest("hex")}"`;
    assert.equal(put.ETag, md5);
    assert.ok(put.ChecksumCRC32, "the SDK's CRC32 is echoed");
    const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "rt/part" }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
    assert.equal(got.ETag, md5);
    assert.equal(got.ContentType, "application/x-part");
    assert.deepEqual(got.Metadata, { owner: "web" });
    assert.equal(got.ContentLength, body.length);
    assert.equal(
      got.ChecksumCRC32,
      put.ChecksumCRC32,
      "checksum returned (and validated by the SDK) on GetObject",
    );
    assert.ok(got.LastModified instanceof Date);
  });

  it("keys are URL-decoded, may contain slashes, spaces, unicode and reserved characters", async () => {
    const keys = [
      "a/b/c.manifest.xml",
      "with space/and+plus",
      "ünïcødé/日本",
      "odd !'()*~&$@=;:,?#[]%.txt",
      "a//double",
    ];
    for (const key of keys)
      await env.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    for (const key of keys) {
      assert.ok(env.store.hasObject(bucket, key), `stored under the exact key ${key}`);
      const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(await got.Body!.transformToString(), key);
    }
  });

  it("store.putObject is visible to the SDK (the default CRC64NVME checksum validates), SDK writes to store.getObject", async () => {
    env.store.putObject(bucket, "seeded/obj", "from the store");
    const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "seeded/obj" }));
    assert.equal(await got.Body!.transformToString(), "from the store");
    assert.ok(got.ChecksumCRC64NVME);
    await env.client().send(new PutObjectCommand({ Bucket: bucket, Key: "sdk/obj", Body: "from the sdk" }));
    assert.equal(env.store.getObject(bucket, "sdk/obj")?.body.toString(), "from the sdk");
    assert.equal(env.store.getObject(bucket, "absent"), undefined);
    assert.equal(env.store.getObject("no-such-bucket", "x"), undefined);
    assert.deepEqual(env.store.listKeys(bucket, "s"), ["sdk/obj", "seeded/obj"]);
  });

  it("HeadObject returns size and ETag; a missing key is 404 with no body", async () => {
    env.store.putObject(bucket, "head/me", "12345");
    const head = await env.client().send(new HeadObjectCommand({ Bucket: bucket, Key: "head/me" }));
    assert.equal(head.ContentLength, 5);
    assert.equal(head.ETag, `"${createHash("md5").update("12345").digest("hex")}"`);
    await rejectsWith(
      env.client().send(new HeadObjectCommand({ Bucket: bucket, Key: "head/absent" })),
      "NotFound",
      404,
    );
    const raw = await env.raw({ method: "HEAD", path: `/${bucket}/head/absent` });
    assert.equal(raw.status, 404);
    assert.equal(raw.body, "");
  });

  it("GetObject of a missing key is NoSuchKey (404) naming the key; of a missing bucket NoSuchBucket (404)", async () => {
    const err = await rejectsWith(
      env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "nope/x" })),
      "NoSuchKey",
      404,
    );
    assert.equal((err as unknown as { Key?: string }).Key, "nope/x");
    await rejectsWith(
      env.client().send(new GetObjectCommand({ Bucket: "missing-bucket-x", Key: "k" })),
      "NoSuchBucket",
      404,
    );
    await rejectsWith(
      env.client().send(new PutObjectCommand({ Bucket: "missing-bucket-x", Key: "k", Body: "x" })),
      "NoSuchBucket",
      404,
    );
    const raw = await env.raw({ method: "GET", path: `/${bucket}/nope/x` });
    assert.match(
      raw.body,
      /^<\?xml[^>]*>\s*<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message>/,
    );
    assert.match(raw.body, /<Resource>\/objects-alice\/nope\/x<\/Resource><RequestId>[^<]+<\/RequestId>/);
    assert.equal(raw.headers["content-type"], "application/xml");
  });

  it("DeleteObject answers 204 whether or not the key exists, and removes it", async () => {
    env.store.putObject(bucket, "del/me", "x");
    const out = await env.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "del/me" }));
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.equal(env.store.hasObject(bucket, "del/me"), false);
    const again = await env.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "del/me" }));
    assert.equal(again.$metadata.httpStatusCode, 204);
    await rejectsWith(
      env.client().send(new DeleteObjectCommand({ Bucket: "missing-bucket-x", Key: "k" })),
      "NoSuchBucket",
      404,
    );
  });

  it("DeleteObject of a key a policy denies is AccessDenied and keeps the object", async () => {
    env.store.putObject(bucket, "locked/part", "x");
    env.store.denyDelete(bucket, "locked/part");
    try {
      await rejectsWith(
        env.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "locked/part" })),
        "AccessDenied",
        403,
      );
      assert.equal(env.store.hasObject(bucket, "locked/part"), true);
    } finally {
      env.store.allowDeletes();
    }
    await env.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: "locked/part" }));
    assert.equal(env.store.hasObject(bucket, "locked/part"), false);
  });

  it("another account gets AccessDenied (403) for every object operation and changes nothing", async () => {
    env.store.putObject(bucket, "private/x", "secret");
    const bob = env.client(BOB);
    await rejectsWith(
      bob.send(new GetObjectCommand({ Bucket: bucket, Key: "private/x" })),
      "AccessDenied",
      403,
    );
    await rejectsWith(
      bob.send(new PutObjectCommand({ Bucket: bucket, Key: "private/x", Body: "overwrite" })),
      "AccessDenied",
      403,
    );
    await rejectsWith(
      bob.send(new DeleteObjectCommand({ Bucket: bucket, Key: "private/x" })),
      "AccessDenied",
      403,
    );
    await rejectsWith(bob.send(new ListObjectsV2Command({ Bucket: bucket })), "AccessDenied", 403);
    await rejectsWith(bob.send(new HeadObjectCommand({ Bucket: bucket, Key: "private/x" })), undefined, 403);
    await rejectsWith(
      bob.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/private/x` })),
      "AccessDenied",
      403,
    );
    assert.equal(env.store.getObject(bucket, "private/x")?.body.toString(), "secret");
    assert.equal(env.store.hasObject(bucket, "copy"), false);
  });

  it("a key over 1024 bytes is KeyTooLongError", async () => {
    await rejectsWith(
      env.client().send(new PutObjectCommand({ Bucket: bucket, Key: "k".repeat(1025), Body: "x" })),
      "KeyTooLongError",
      400,
    );
  });

  it("CopyObject copies body and metadata; REPLACE replaces metadata", async () => {
    await env
      .client()
      .send(new PutObjectCommand({ Bucket: bucket, Key: "cp/src", Body: "copy me", Metadata: { a: "1" } }));
    const out = await env
      .client()
      .send(new CopyObjectCommand({ Bucket: bucket, Key: "cp/dst one", CopySource: `${bucket}/cp/src` }));
    assert.equal(out.CopyObjectResult?.ETag, env.store.getObject(bucket, "cp/src")?.etag);
    assert.ok(out.CopyObjectResult?.LastModified instanceof Date);
    const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "cp/dst one" }));
    assert.equal(await got.Body!.transformToString(), "copy me");
    assert.deepEqual(got.Metadata, { a: "1" });
    await env.client().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "cp/src",
        CopySource: `${bucket}/cp/src`,
        MetadataDirective: "REPLACE",
        Metadata: { b: "2" },
      }),
    );
    assert.deepEqual(env.store.getObject(bucket, "cp/src")?.metadata, { b: "2" });
  });

  it("CopyObject onto itself without changes is InvalidRequest; from a missing key NoSuchKey", async () => {
    env.store.putObject(bucket, "cp/self", "x");
    await rejectsWith(
      env
        .client()
        .send(new CopyObjectCommand({ Bucket: bucket, Key: "cp/self", CopySource: `${bucket}/cp/self` })),
      "InvalidRequest",
      400,
    );
    await rejectsWith(
      env
        .client()
        .send(new CopyObjectCommand({ Bucket: bucket, Key: "cp/x", CopySource: `${bucket}/cp/missing` })),
      "NoSuchKey",
      404,
    );
  });

  it("GetObject with Range answers 206 with Content-Range; an unsatisfiable range is InvalidRange (416)", async () => {
    env.store.putObject(bucket, "range/obj", "0123456789");
    const part = await env
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: "range/obj", Range: "bytes=2-5" }));
    assert.equal(part.$metadata.httpStatusCode, 206);
    assert.equal(await part.Body!.transformToString(), "2345");
    assert.equal(part.ContentRange, "bytes 2-5/10");
    const tail = await env
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: "range/obj", Range: "bytes=-3" }));
    assert.equal(await tail.Body!.transformToString(), "789");
    await rejectsWith(
      env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "range/obj", Range: "bytes=10-20" })),
      "InvalidRange",
      416,
    );
  });

  it("conditional requests: If-None-Match * on an existing key and a stale If-Match are PreconditionFailed (412)", async () => {
    env.store.putObject(bucket, "cond/obj", "v1");
    await rejectsWith(
      env
        .client()
        .send(new PutObjectCommand({ Bucket: bucket, Key: "cond/obj", Body: "v2", IfNoneMatch: "*" })),
      "PreconditionFailed",
      412,
    );
    assert.equal(env.store.getObject(bucket, "cond/obj")?.body.toString(), "v1");
    await env
      .client()
      .send(new PutObjectCommand({ Bucket: bucket, Key: "cond/new", Body: "v1", IfNoneMatch: "*" }));
    await rejectsWith(
      env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "cond/obj", IfMatch: '"0000"' })),
      "PreconditionFailed",
      412,
    );
  });

  it("every response carries x-amz-request-id and x-amz-id-2", async () => {
    const res = await env.raw({ method: "GET", path: `/${bucket}?list-type=2&max-keys=1` });
    assert.equal(res.status, 200);
    assert.ok(res.headers["x-amz-request-id"]);
    assert.ok(res.headers["x-amz-id-2"]);
  });

  it("operations this endpoint does not model answer NotImplemented (501), never a silent success", async () => {
    env.store.putObject(bucket, "ni/obj", "x");
    for (const [method, path] of [
      ["POST", `/${bucket}/ni/obj?uploads`],
      ["PUT", `/${bucket}/ni/obj?tagging`],
      ["PUT", `/${bucket}?versioning`],
    ]) {
      const res = await env.raw({ method, path, body: "<x/>" });
      assert.equal(res.status, 501, `${method} ${path}`);
      assert.match(res.body, /<Code>NotImplemented<\/Code>/);
    }
    const versioning = await env.raw({ method: "GET", path: `/${bucket}?versioning` });
    assert.equal(versioning.status, 200);
    assert.match(
      versioning.body,
      /<VersioningConfiguration xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><\/VersioningConfiguration>/,
    );
  });
});
