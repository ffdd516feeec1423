import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { ChecksumAlgorithm, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ALICE, S3Env, rejectsWith, startS3Env } from "./s3-harness";
import { checksum } from "../../local-aws/s3/checksums";

describe("local-aws S3: payloads, aws-chunked and checksums", () => {
  let env: S3Env;
  const bucket = "payload-alice";
  before(async () => {
    env = await startS3Env();
    env.store.createBucket(bucket, ALICE.account, "us-west-2");
  });
  after(async () => {
    await env.aws.stop();
  });

  it("checksum implementations match the published check values of '123456789'", () => {
    const data = Buffer.from("123456789");
    const hex = (alg: "CRC32" | "CRC32C" | "CRC64NVME") =>
      Buffer.from(checksum(alg, data), "base64").toString("hex");
    assert.equal(hex("CRC32"), "cbf43926");
    assert.equal(hex("CRC32C"), "e3069283");
    assert.equal(hex("CRC64NVME"), "ae8b14860a799888");
  });

  it("a streamed PutObject (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, trailing CRC32) stores the decoded bytes", async () => {
    const chunks = [Buffer.alloc(70000, 1), Buffer.from("middle"), Buffer.alloc(9000, 2)];
    const whole = Buffer.concat(chunks);
    const put = await env.client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "stream/part.00",
        Body: Readable.from(chunks),
        ContentLength: whole.length,
      }),
    );
    assert.equal(put.ETag, `"${createHash("md5").update(whole).digest("hex")}"`);
    const stored = env.store.getObject(bucket, "stream/part.00");
    assert.deepEqual(stored?.body, whole);
    assert.equal(stored?.contentEncoding, undefined, "aws-chunked is not stored as a content encoding");
    assert.equal(stored?.checksumAlgorithm, "CRC32");
    const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: "stream/part.00" }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), whole);
    assert.equal(got.ChecksumCRC32, checksum("CRC32", whole));
  });

  for (const alg of [
    ChecksumAlgorithm.CRC32C,
    ChecksumAlgorithm.CRC64NVME,
    ChecksumAlgorithm.SHA1,
    ChecksumAlgorithm.SHA256,
  ]) {
    it(`PutObject with ChecksumAlgorithm ${alg} is verified, stored and validated by the SDK on GetObject`, async () => {
      const key = `alg/${alg}`;
      const body = Buffer.from(`payload for ${alg}`);
      await env
        .client()
        .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: alg }));
      assert.equal(env.store.getObject(bucket, key)?.checksumAlgorithm, alg);
      const got = await env.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(await got.Body!.transformToString(), body.toString());
      const field = `Checksum${alg}` as keyof typeof got;
      assert.equal(got[field], checksum(alg as "CRC32C", body));
    });
  }

  const chunked = (parts: Buffer[], tail: string): Buffer =>
    Buffer.concat([
      ...parts.flatMap((p) => [
        Buffer.from(`${p.length.toString(16)};chunk-signature=${"0".repeat(64)}\r\n`),
        p,
        Buffer.from("\r\n"),
      ]),
      Buffer.from(tail),
    ]);

  it("decodes signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)", async () => {
    const parts = [Buffer.from("hello "), Buffer.from("signed "), Buffer.from("chunks")];
    const res = await env.raw({
      method: "PUT",
      path: `/${bucket}/signed/obj`,
      body: chunked(parts, `0;chunk-signature=${"0".repeat(64)}\r\n\r\n`),
      headers: {
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length": "19",
      },
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(env.store.getObject(bucket, "signed/obj")?.body.toString(), "hello signed chunks");
  });

  it("a wrong trailing checksum is BadDigest and stores nothing", async () => {
    const res = await env.raw({
      method: "PUT",
      path: `/${bucket}/trailer/bad`,
      body: Buffer.from(
        `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${checksum("CRC32", Buffer.from("other"))}\r\n\r\n`,
      ),
      headers: {
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": "5",
      },
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>BadDigest<\/Code>/);
    assert.equal(env.store.hasObject(bucket, "trailer/bad"), false);
  });

  it("a decoded length that differs from x-amz-decoded-content-length is IncompleteBody", async () => {
    const res = await env.raw({
      method: "PUT",
      path: `/${bucket}/short/obj`,
      body: Buffer.from("5\r\nhello\r\n0\r\n\r\n"),
      headers: {
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": "9",
      },
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>IncompleteBody<\/Code>/);
    assert.equal(env.store.hasObject(bucket, "short/obj"), false);
  });

  it("a wrong x-amz-checksum-crc32 or Content-MD5 header is BadDigest; a malformed Content-MD5 InvalidDigest", async () => {
    const wrongCrc = await env.raw({
      method: "PUT",
      path: `/${bucket}/h/crc`,
      body: "data",
      headers: { "x-amz-checksum-crc32": checksum("CRC32", Buffer.from("atad")) },
    });
    assert.equal(wrongCrc.status, 400);
    assert.match(
      wrongCrc.body,
      /<Code>BadDigest<\/Code><Message>The CRC32 you specified did not match the calculated checksum\.<\/Message>/,
    );
    const wrongMd5 = await env.raw({
      method: "PUT",
      path: `/${bucket}/h/md5`,
      body: "data",
      headers: { "content-md5": createHash("md5").update("atad").digest("base64") },
    });
    assert.match(wrongMd5.body, /<Code>BadDigest<\/Code>/);
    const badMd5 = await env.raw({
      method: "PUT",
      path: `/${bucket}/h/md5`,
      body: "data",
      headers: { "content-md5": "not-base64" },
    });
    assert.match(badMd5.body, /<Code>InvalidDigest<\/Code>/);
    assert.equal(env.store.hasObject(bucket, "h/crc"), false);
    assert.equal(env.store.hasObject(bucket, "h/md5"), false);
    const good = await env.raw({
      method: "PUT",
      path: `/${bucket}/h/ok`,
      body: "data",
      headers: {
        "content-md5": createHash("md5").update("data").digest("base64"),
        "x-amz-checksum-crc32": checksum("CRC32", Buffer.from("data")),
      },
    });
    assert.equal(good.status, 200);
    assert.equal(good.headers["x-amz-checksum-crc32"], checksum("CRC32", Buffer.from("data")));
  });

  it("an x-amz-content-sha256 that does not match the body is XAmzContentSHA256Mismatch", async () => {
    const res = await env.raw({
      method: "PUT",
      path: `/${bucket}/sha/obj`,
      body: "data",
      headers: { "x-amz-content-sha256": createHash("sha256").update("other").digest("hex") },
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>XAmzContentSHA256Mismatch<\/Code>/);
    assert.equal(env.store.hasObject(bucket, "sha/obj"), false);
  });

  it("HeadObject keeps Content-Length of the object while sending no body", async () => {
    env.store.putObject(bucket, "len/obj", Buffer.alloc(4321));
    const res = await env.raw({ method: "HEAD", path: `/${bucket}/len/obj` });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-length"], "4321");
    assert.equal(res.body, "");
  });

  it("an explicit PutObject with a mismatching SDK checksum is rejected by the endpoint", async () => {
    await rejectsWith(
      env.client().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "sdk/bad",
          Body: "abc",
          ChecksumSHA256: checksum("SHA256", Buffer.from("xyz")),
        }),
      ),
      "BadDigest",
      400,
    );
    assert.equal(env.store.hasObject(bucket, "sdk/bad"), false);
  });
});
