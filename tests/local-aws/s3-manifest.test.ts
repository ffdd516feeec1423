import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { DescribeImagesCommand, EC2Client, RegisterImageCommand } from "@aws-sdk/client-ec2";
import { S3Store, bundleManifestXml, parseBundleManifest, seedBundle } from "../../local-aws/s3";
import { parseXml, child } from "../../local-aws/s3/xml";
import { ALICE, S3Env, startS3Env } from "./s3-harness";

describe("local-aws S3: instance-store bundle manifests", () => {
  const sha1 = (b: Buffer): string => createHash("sha1").update(b).digest("hex");

  it("seedBundle writes <name>.manifest.xml and <name>.part.NN under the prefix and returns the ImageLocation", () => {
    const store = new S3Store();
    store.createBucket("bundles", ALICE.account, "us-west-2");
    const b = seedBundle(store, { bucket: "bundles", prefix: "web/v1", name: "web", parts: 3 });
    assert.equal(b.manifestKey, "web/v1/web.manifest.xml");
    assert.deepEqual(b.partKeys, ["web/v1/web.part.00", "web/v1/web.part.01", "web/v1/web.part.02"]);
    assert.equal(b.imageLocation, "bundles/web/v1/web.manifest.xml");
    assert.deepEqual(store.listKeys("bundles"), [...b.partKeys, b.manifestKey].sort());
  });

  it("the manifest lists each part's filename relative to its folder and the SHA1 of the stored part", () => {
    const store = new S3Store();
    store.createBucket("bundles", ALICE.account, "us-west-2");
    const b = seedBundle(store, {
      bucket: "bundles",
      prefix: "img/",
      parts: [Buffer.from("one"), "two", Buffer.from("three")],
    });
    const parsed = parseBundleManifest(store.getObject("bundles", b.manifestKey)!.body.toString());
    assert.equal(parsed.name, "image");
    assert.equal(parsed.architecture, "x86_64");
    assert.deepEqual(
      parsed.parts.map((p) => p.filename),
      ["image.part.00", "image.part.01", "image.part.02"],
    );
    parsed.parts.forEach((p, i) => {
      const obj = store.getObject("bundles", `img/${p.filename}`);
      assert.ok(obj, `part ${p.filename} is stored next to the manifest`);
      assert.equal(p.digest, sha1(obj.body));
      assert.equal(p.index, i);
    });
    assert.equal(store.getObject("bundles", "img/image.part.01")?.body.toString(), "two");
  });

  it("the manifest has the ec2-ami-tools 2007-10-10 structure", () => {
    const xml = bundleManifestXml({
      name: "db",
      architecture: "arm64",
      parts: [{ filename: "db.part.00", sha1: "ab".repeat(20) }],
    });
    assert.ok(xml.startsWith("<?xml version='1.0'?><manifest>"));
    const root = parseXml(xml);
    assert.equal(child(root, "version")?.text, "2007-10-10");
    assert.equal(child(child(root, "bundler")!, "name")?.text, "ec2-ami-tools");
    const machine = child(root, "machine_configuration")!;
    assert.equal(child(machine, "architecture")?.text, "arm64");
    const image = child(root, "image")!;
    for (const el of [
      "name",
      "user",
      "type",
      "digest",
      "size",
      "bundled_size",
      "ec2_encrypted_key",
      "user_encrypted_key",
      "ec2_encrypted_iv",
      "user_encrypted_iv",
      "parts",
    ]) {
      assert.ok(child(image, el), `<image><${el}> present`);
    }
    assert.equal(child(image, "ec2_encrypted_key")?.attrs.algorithm, "AES-128-CBC");
    const parts = child(image, "parts")!;
    assert.equal(parts.attrs.count, "1");
    const part = child(parts, "part")!;
    assert.equal(part.attrs.index, "0");
    assert.equal(child(part, "digest")?.attrs.algorithm, "SHA1");
    assert.ok(child(root, "signature")?.text.match(/^[0-9a-f]{512}$/));
  });

  it("more than 100 parts widens the part number (image.part.000 … image.part.100)", () => {
    const store = new S3Store();
    store.createBucket("wide", ALICE.account, "us-east-1");
    const b = seedBundle(store, { bucket: "wide", parts: 101, partSize: 1 });
    assert.equal(b.partKeys[0], "image.part.000");
    assert.equal(b.partKeys[100], "image.part.100");
    assert.equal(parseBundleManifest(b.manifestXml).parts.length, 101);
  });

  it("seedBundle refuses a missing bucket unless told who owns it", () => {
    const store = new S3Store();
    assert.throws(
      () => seedBundle(store, { bucket: "nope" }),
      /bucket nope does not exist.*createBucket or pass ownerAccountId/,
    );
    const b = seedBundle(store, { bucket: "nope", ownerAccountId: ALICE.account, region: "eu-west-1" });
    assert.equal(store.getBucket("nope")?.region, "eu-west-1");
    assert.equal(b.partKeys.length, 3);
  });

  describe("over the endpoint", () => {
    let env: S3Env;
    before(async () => {
      env = await startS3Env();
    });
    after(async () => {
      await env.aws.stop();
    });

    it("a seeded bundle is readable with GetObject and registers as an instance-store AMI", async () => {
      const b = seedBundle(env.store, {
        bucket: "ami-bundles",
        prefix: "app/",
        name: "app",
        parts: 2,
        ownerAccountId: ALICE.account,
        region: "us-west-2",
      });
      const got = await env
        .client()
        .send(new GetObjectCommand({ Bucket: "ami-bundles", Key: b.manifestKey }));
      assert.equal(await got.Body!.transformToString(), b.manifestXml);
      const ec2 = new EC2Client({
        region: "us-west-2",
        endpoint: env.aws.endpoint,
        credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
      });
      try {
        const reg = await ec2.send(
          new RegisterImageCommand({ Name: "app-bundle", ImageLocation: b.imageLocation }),
        );
        const img = await ec2.send(new DescribeImagesCommand({ ImageIds: [reg.ImageId!] }));
        assert.equal(img.Images?.[0].ImageLocation, b.imageLocation);
        assert.equal(img.Images?.[0].RootDeviceType, "instance-store");
      } finally {
        ec2.destroy();
      }
    });
  });
});
