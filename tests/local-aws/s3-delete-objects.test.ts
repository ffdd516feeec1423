import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { ALICE, BOB, S3Env, rejectsWith, startS3Env } from "./s3-harness";

describe("local-aws S3: DeleteObjects", () => {
  let env: S3Env;
  let n = 0;
  const freshBucket = (): string => {
    const name = `del-${n++}`;
    env.store.createBucket(name, ALICE.account, "us-west-2");
    return name;
  };
  before(async () => {
    env = await startS3Env();
  });
  after(async () => {
    await env.aws.stop();
  });

  it("deletes 1000 keys in one call and reports each as Deleted", async () => {
    const b = freshBucket();
    const keys = Array.from({ length: 1000 }, (_, i) => `bundle/image.part.${String(i).padStart(4, "0")}`);
    for (const k of keys) env.store.putObject(b, k, "p");
    env.store.putObject(b, "keep/me", "k");
    const out = await env
      .client()
      .send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    assert.equal(out.Deleted?.length, 1000);
    assert.deepEqual(new Set(out.Deleted?.map((d) => d.Key)), new Set(keys));
    assert.equal(out.Errors, undefined);
    assert.deepEqual(env.store.listKeys(b), ["keep/me"]);
  });

  it("more than 1000 keys is MalformedXML and deletes nothing", async () => {
    const b = freshBucket();
    env.store.putObject(b, "k0", "x");
    const objects = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
    await rejectsWith(
      env.client().send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: objects } })),
      "MalformedXML",
      400,
    );
    assert.equal(env.store.hasObject(b, "k0"), true);
  });

  it("Quiet mode reports no Deleted entries but still deletes", async () => {
    const b = freshBucket();
    env.store.putObject(b, "q/1", "x");
    env.store.putObject(b, "q/2", "x");
    const out = await env.client().send(
      new DeleteObjectsCommand({
        Bucket: b,
        Delete: { Objects: [{ Key: "q/1" }, { Key: "q/2" }], Quiet: true },
      }),
    );
    assert.equal(out.Deleted, undefined);
    assert.equal(out.Errors, undefined);
    assert.deepEqual(env.store.listKeys(b), []);
  });

  it("absent keys are reported Deleted, as S3 does", async () => {
    const b = freshBucket();
    const out = await env
      .client()
      .send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: "never/there" }] } }));
    assert.deepEqual(
      out.Deleted?.map((d) => d.Key),
      ["never/there"],
    );
  });

  it("a denied key gets a per-key AccessDenied Error while the others are deleted", async () => {
    const b = freshBucket();
    for (const k of ["p/1", "p/2", "p/3"]) env.store.putObject(b, k, "x");
    env.store.denyDelete(b, "p/2");
    try {
      const out = await env.client().send(
        new DeleteObjectsCommand({
          Bucket: b,
          Delete: { Objects: [{ Key: "p/1" }, { Key: "p/2" }, { Key: "p/3" }], Quiet: true },
        }),
      );
      assert.deepEqual(
        out.Errors?.map((e) => [e.Key, e.Code, e.Message]),
        [["p/2", "AccessDenied", "Access Denied"]],
      );
      assert.equal(out.Deleted, undefined);
      assert.deepEqual(env.store.listKeys(b), ["p/2"]);
    } finally {
      env.store.allowDeletes();
    }
  });

  it("keys with XML special characters and unicode are deleted exactly", async () => {
    const b = freshBucket();
    const keys = ["a&b", "<tag>", "q\"uote's", "ünï/日本", "tab\there"];
    for (const k of keys) env.store.putObject(b, k, "x");
    env.store.putObject(b, "a", "not me");
    const out = await env
      .client()
      .send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    assert.deepEqual(new Set(out.Deleted?.map((d) => d.Key)), new Set(keys));
    assert.deepEqual(env.store.listKeys(b), ["a"]);
  });

  it("another account's bucket is AccessDenied for the whole request", async () => {
    const b = freshBucket();
    env.store.putObject(b, "x", "x");
    await rejectsWith(
      env.client(BOB).send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: "x" }] } })),
      "AccessDenied",
      403,
    );
    assert.equal(env.store.hasObject(b, "x"), true);
  });

  const xml = (keys: string[]): string =>
    `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${keys
      .map((k) => `<Object><Key>${k}</Key></Object>`)
      .join("")}</Delete>`;
  const md5 = (s: string): string => createHash("md5").update(s).digest("base64");

  it("needs Content-MD5 or an x-amz-checksum-* header (InvalidRequest without); Content-MD5 alone is accepted", async () => {
    const b = freshBucket();
    env.store.putObject(b, "m/1", "x");
    const body = xml(["m/1"]);
    const bare = await env.raw({ method: "POST", path: `/${b}?delete`, body });
    assert.equal(bare.status, 400);
    assert.match(bare.body, /<Code>InvalidRequest<\/Code>/);
    assert.equal(env.store.hasObject(b, "m/1"), true);
    const ok = await env.raw({
      method: "POST",
      path: `/${b}?delete`,
      body,
      headers: { "content-md5": md5(body) },
    });
    assert.equal(ok.status, 200);
    assert.match(
      ok.body,
      /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Deleted><Key>m\/1<\/Key><\/Deleted><\/DeleteResult>/,
    );
    assert.equal(env.store.hasObject(b, "m/1"), false);
  });

  it("a Content-MD5 that does not match is BadDigest; a body that is not XML is MalformedXML", async () => {
    const b = freshBucket();
    env.store.putObject(b, "m/1", "x");
    const body = xml(["m/1"]);
    const bad = await env.raw({
      method: "POST",
      path: `/${b}?delete`,
      body,
      headers: { "content-md5": md5("other") },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Code>BadDigest<\/Code>/);
    const junk = "<Delete><Object><Key>m/1</Key></Object>";
    const malformed = await env.raw({
      method: "POST",
      path: `/${b}?delete`,
      body: junk,
      headers: { "content-md5": md5(junk) },
    });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /<Code>MalformedXML<\/Code>/);
    assert.equal(env.store.hasObject(b, "m/1"), true);
  });
});
