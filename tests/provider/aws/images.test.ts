// Image lookup, removal and reference queries against local-aws with the real SDK.
import assert from "node:assert/strict";
import { DeregisterImageCommand, EnableImageDeregistrationProtectionCommand } from "@aws-sdk/client-ec2";
import {
  deregisterImage,
  describeImage,
  disableDeregistrationProtection,
  imagesUsingManifest,
  imagesUsingSnapshot,
  isGone,
  protectionState,
  snapshotIdsOf,
} from "../../../provider/aws/images";
import {
  makeSnapshot,
  putBundle,
  registerBundle,
  registerEbs,
  startEnv,
  type Env,
} from "../teardownFixtures";

describe("aws/images", () => {
  describe("protectionState", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const table: [string | undefined, string][] = [
      [undefined, "off"],
      ["disabled", "off"],
      ["enabled-without-cooldown", "on"],
      ["enabled-with-cooldown", "on"],
      ["disabled after 2030-01-02T00:00:00Z", "cooldown"],
      ["disabled-until 2030-01-02T00:00:00.000Z", "cooldown"],
      ["disabled after 2029-12-31T00:00:00Z", "off"],
      ["something new", "on"],
    ];
    for (const [text, kind] of table) {
      it(`${JSON.stringify(text)} -> ${kind}`, () => assert.equal(protectionState(text, now).kind, kind));
    }
    it("reads the cooldown's lift time", () => {
      const s = protectionState("disabled after 2030-01-02T00:00:00Z", now);
      assert.equal(s.kind === "cooldown" && s.liftsAt?.toISOString(), "2030-01-02T00:00:00.000Z");
      const t = protectionState("enabled-with-cooldown", now);
      assert.equal(t.kind === "on" && t.withCooldown, true);
    });
  });

  describe("against local-aws", () => {
    let env: Env;
    beforeEach(async () => (env = await startEnv()));
    afterEach(async () => env.stop());

    it("describeImage returns the image, then `deregistered`, and undefined for an unknown id", async () => {
      const snap = await makeSnapshot(env.ec2);
      const id = await registerEbs(env.ec2, [snap]);
      const image = await describeImage(env.ec2, id);
      assert.equal(image?.State, "available");
      assert.deepEqual(snapshotIdsOf(image!), [snap]);
      assert.equal(isGone(image), false);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: id }));
      const gone = await describeImage(env.ec2, id);
      assert.equal(gone?.State, "deregistered");
      assert.equal(isGone(gone), true);
      assert.equal(await describeImage(env.ec2, "ami-0123456789abcdef0"), undefined);
    });

    it("deregisterImage reports DeleteSnapshotResults, and already-gone images", async () => {
      const snap = await makeSnapshot(env.ec2);
      const id = await registerEbs(env.ec2, [snap]);
      const r = await deregisterImage(env.ec2, id, { deleteAssociatedSnapshots: true });
      assert.deepEqual(r, {
        deregistered: true,
        deleteSnapshotResults: [{ SnapshotId: snap, ReturnCode: "success" }],
      });
      assert.deepEqual(await deregisterImage(env.ec2, id), { deregistered: false });
    });

    it("disableDeregistrationProtection: off without cooldown, a cooldown with its time otherwise", async () => {
      const a = await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]);
      const b = await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]);
      await env.ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: a, WithCooldown: false }));
      await env.ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: b, WithCooldown: true }));
      assert.equal((await disableDeregistrationProtection(env.ec2, a)).kind, "off");
      const cooldown = await disableDeregistrationProtection(env.ec2, b, () => env.aws.clock.now());
      assert.equal(cooldown.kind, "cooldown");
    });

    it("imagesUsingSnapshot lists registered users, not deregistered ones nor ignored ids", async () => {
      const snap = await makeSnapshot(env.ec2);
      const a = await registerEbs(env.ec2, [snap]);
      const b = await registerEbs(env.ec2, [snap]);
      const c = await registerEbs(env.ec2, [snap]);
      await env.ec2.send(new DeregisterImageCommand({ ImageId: c }));
      assert.deepEqual(await imagesUsingSnapshot(env.ec2, snap), [a, b].sort());
      assert.deepEqual(await imagesUsingSnapshot(env.ec2, snap, [a]), [b]);
      assert.deepEqual(await imagesUsingSnapshot(env.ec2, await makeSnapshot(env.ec2)), []);
    });

    it("imagesUsingManifest matches the exact location", async () => {
      const bundle = await putBundle(env.s3, "manifests", "p/", "m", 1);
      const other = await putBundle(env.s3, "manifests", "p/", "m2", 1);
      const a = await registerBundle(env.ec2, bundle);
      await registerBundle(env.ec2, other);
      assert.deepEqual(await imagesUsingManifest(env.ec2, "manifests/p/m.manifest.xml"), [a]);
    });
  });
});
