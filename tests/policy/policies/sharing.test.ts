import assert from "node:assert/strict";
import { amiCopyEncrypted, noPublicAmis } from "../../../policy/policies/sharing";
import { TYPES } from "../../../policy/props";
import { resourceMessages, UNKNOWN_VALUE } from "../util";

describe("policy no-public-amis", () => {
  const base = {
    type: TYPES.amiLaunchPermission,
    name: "share",
    props: { imageId: "ami-0123456789abcdef0", accountId: "123456789012" },
  };
  const publicMessage = (image: string) =>
    `aws.ec2.AmiLaunchPermission "share" grants launch permission on ${image} to group "all", which makes the AMI ` +
    "public: any AWS account can launch it and copy the data in its snapshots, and instances others run from it tie " +
    "your image to workloads you do not control. Share it with specific accounts (accountId), an organization " +
    "(organizationArn) or an organizational unit (organizationalUnitArn) instead.";

  it("is mandatory by default", () => assert.equal(noPublicAmis.enforcementLevel, "mandatory"));
  it("passes a launch permission for one account", async () => {
    assert.deepEqual(await resourceMessages(noPublicAmis, base), []);
  });
  it('flags group "all"', async () => {
    const spec = { ...base, props: { imageId: "ami-0123456789abcdef0", group: "all" } };
    assert.deepEqual(await resourceMessages(noPublicAmis, spec), [
      publicMessage("image ami-0123456789abcdef0"),
    ]);
  });
  it("flags it at preview even when the image id is not known yet", async () => {
    const spec = { ...base, props: { imageId: UNKNOWN_VALUE, group: "all" } };
    assert.deepEqual(await resourceMessages(noPublicAmis, spec), [publicMessage("its image")]);
  });
  it("does not guess when the group is unknown", async () => {
    const spec = { ...base, props: { imageId: "ami-0123456789abcdef0", group: UNKNOWN_VALUE } };
    assert.deepEqual(await resourceMessages(noPublicAmis, spec), []);
  });
  it("passes an organization share", async () => {
    const spec = {
      ...base,
      props: {
        imageId: "ami-0123456789abcdef0",
        organizationArn: "arn:aws:organizations::123456789012:organization/o-abc",
      },
    };
    assert.deepEqual(await resourceMessages(noPublicAmis, spec), []);
  });
  it("skips ignored resources", async () => {
    const spec = { ...base, props: { imageId: "ami-0123456789abcdef0", group: "all" } };
    assert.deepEqual(await resourceMessages(noPublicAmis, spec, { ignoreResources: ["share"] }), []);
  });
});

describe("policy ami-copy-encrypted", () => {
  const base = {
    type: TYPES.amiCopy,
    name: "copy",
    props: { sourceAmiId: "ami-12345678", sourceAmiRegion: "us-east-1", encrypted: true },
  };
  const managedCopy = (copyOf: Record<string, unknown>) => ({
    type: TYPES.managedAmi,
    name: "copy",
    props: { name: "copy", copyOf: { sourceImageId: "ami-12345678", sourceRegion: "us-east-1", ...copyOf } },
  });
  const unencrypted = (type: string, where: string) =>
    `${type} "copy" copies an AMI without ${where}encrypted: true, so the copy's snapshots are stored unencrypted ` +
    "unless the source is already encrypted or the account encrypts EBS by default; an unencrypted copy cannot be " +
    `encrypted in place and has to be copied again. Set ${where}encrypted: true (and ${where}kmsKeyId for a ` +
    "customer managed key).";
  const KEY = "arn:aws:kms:us-east-1:123456789012:key/1111";

  it("is advisory by default", () => assert.equal(amiCopyEncrypted.enforcementLevel, "advisory"));
  it("passes an encrypted aws.ec2.AmiCopy", async () => {
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, base), []);
  });
  it("flags an aws.ec2.AmiCopy without encrypted", async () => {
    const spec = { ...base, props: { sourceAmiId: "ami-12345678", sourceAmiRegion: "us-east-1" } };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec), [unencrypted("aws.ec2.AmiCopy", "")]);
  });
  it("flags encrypted: false", async () => {
    const spec = { ...base, props: { ...base.props, encrypted: false } };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec), [unencrypted("aws.ec2.AmiCopy", "")]);
  });
  it("flags a ManagedAmi copyOf without encrypted", async () => {
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, managedCopy({})), [
      unencrypted("ManagedAmi", "copyOf."),
    ]);
  });
  it("passes an encrypted ManagedAmi copyOf", async () => {
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, managedCopy({ encrypted: true })), []);
  });
  it("ignores ManagedAmi sources that are not copies", async () => {
    const spec = {
      type: TYPES.managedAmi,
      name: "copy",
      props: { name: "copy", fromInstance: { instanceId: "i-12345678" } },
    };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec), []);
  });
  it("does not guess when encrypted or copyOf is unknown", async () => {
    assert.deepEqual(
      await resourceMessages(amiCopyEncrypted, {
        ...base,
        props: { ...base.props, encrypted: UNKNOWN_VALUE },
      }),
      [],
    );
    const whole = { type: TYPES.managedAmi, name: "copy", props: { name: "copy", copyOf: UNKNOWN_VALUE } };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, whole), []);
  });
  it("passes a copy under an allowed KMS key", async () => {
    const spec = { ...base, props: { ...base.props, kmsKeyId: KEY } };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec, { kmsKeyIds: [KEY] }), []);
  });
  it("flags a copy under another KMS key when kmsKeyIds is set", async () => {
    const spec = managedCopy({ encrypted: true, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/2222" });
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec, { kmsKeyIds: [KEY] }), [
      'ManagedAmi "copy" encrypts its copy with KMS key arn:aws:kms:us-east-1:123456789012:key/2222, which is not ' +
        `one of the keys this policy allows (${KEY}); images under other keys cannot be shared or restored as your ` +
        "key policy expects. Set copyOf.kmsKeyId to one of them.",
    ]);
  });
  it("flags the AWS managed key when kmsKeyIds is set", async () => {
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, base, { kmsKeyIds: [KEY] }), [
      'aws.ec2.AmiCopy "copy" encrypts its copy with the AWS managed EBS key, which is not one of the keys this ' +
        `policy allows (${KEY}); images under other keys cannot be shared or restored as your key policy expects. ` +
        "Set kmsKeyId to one of them.",
    ]);
  });
  it("skips ignored resources", async () => {
    const spec = { ...base, props: { sourceAmiId: "ami-12345678", sourceAmiRegion: "us-east-1" } };
    assert.deepEqual(await resourceMessages(amiCopyEncrypted, spec, { ignoreResources: ["copy"] }), []);
  });
});
