// Black-box: start the pack exactly as the Pulumi CLI's analyzer plugin does and talk to it over gRPC.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeDiagnostic,
  AnalyzeRequest,
  AnalyzeResponse,
  AnalyzerInfo,
  AnalyzerResource,
  AnalyzerResourceOptions,
  AnalyzeStackRequest,
  ConfigureAnalyzerRequest,
  EnforcementLevel,
  PolicyConfig,
  PolicyType,
  AnalyzerPropertyDependencies,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { amiRequiredTags } from "../../policy/policies/governance";
import { noPublicAmis } from "../../policy/policies/sharing";
import { amiStorageOwned, snapshotSingleOwner } from "../../policy/policies/storage";
import { TYPES } from "../../policy/props";
import { resourceMessages, stackMessages, UNKNOWN_VALUE, urnOf } from "./util";

const root = join(__dirname, "..", "..");
const packDir = join(root, "policy");
const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [root] });

/** Starts `node run-policy-pack <engine> <pack>` in the pack dir (as the CLI does); resolves with the printed port. */
function startPack(child: { process?: ChildProcess }): Promise<number> {
  // The runner registers ts-node itself with the CLI's options; our mocha ts-node settings must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TS_NODE_")));
  // The engine address is only a placeholder: run-policy-pack drops it and never dials it.
  const proc = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
    cwd: packDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.process = proc;
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && /^\d+$/.test(line.trim())) resolve(Number(line.trim()));
    });
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("exit", (code) =>
      reject(new Error(`policy pack exited with ${code} before printing its port:\n${out}\n${err}`)),
    );
  });
}

function unary<Req, Res>(
  fn: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function options(protect = false): AnalyzerResourceOptions {
  return new AnalyzerResourceOptions().setProtect(protect);
}

function analyzeRequest(
  type: string,
  name: string,
  props: object,
  stack = "dev",
  protect = false,
): AnalyzeRequest {
  return new AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(urnOf(type, name, stack))
    .setProperties(Struct.fromJavaScript(props as Record<string, never>))
    .setOptions(options(protect));
}

interface Diag {
  policy: string;
  level: EnforcementLevel;
  message: string;
  urn: string;
}

function diags(list: AnalyzeDiagnostic[]): Diag[] {
  return list
    .map((d) => ({
      policy: d.getPolicyname(),
      level: d.getEnforcementlevel(),
      message: d.getMessage(),
      urn: d.getUrn(),
    }))
    .sort((a, b) => a.policy.localeCompare(b.policy));
}

describe("policy pack over gRPC (run-policy-pack, as the Pulumi CLI starts it)", function () {
  this.timeout(120_000);
  const child: { process?: ChildProcess } = {};
  let client: AnalyzerClient;

  before(async () => {
    try {
      const port = await startPack(child);
      client = new AnalyzerClient(`127.0.0.1:${port}`, credentials.createInsecure());
    } catch (err) {
      child.process?.kill("SIGKILL");
      throw err;
    }
  });

  after(() => {
    client?.close();
    child.process?.kill("SIGKILL");
  });

  const analyze = (req: AnalyzeRequest) =>
    unary<AnalyzeRequest, AnalyzeResponse>(client.analyze.bind(client), req).then((r) =>
      diags(r.getDiagnosticsList()),
    );

  it("describes the pack: name, version, each policy's type, level and config schema", async () => {
    const info = await unary<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
    assert.equal(info.getName(), "managed-ami-lifecycle");
    assert.equal(info.getVersion(), "0.1.0");
    assert.equal(info.getSupportsconfig(), true);
    const policies = Object.fromEntries(
      info
        .getPoliciesList()
        .map((p) => [p.getName(), { type: p.getPolicyType(), level: p.getEnforcementlevel(), p }]),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(policies).map(([k, v]) => [k, [v.type, v.level]])), {
      "ami-storage-owned": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.MANDATORY],
      "ami-derived-storage-owned": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.ADVISORY],
      "managed-ami-deletes-storage": [PolicyType.POLICY_TYPE_STACK, EnforcementLevel.ADVISORY],
      "snapshot-single-owner": [PolicyType.POLICY_TYPE_STACK, EnforcementLevel.MANDATORY],
      "no-public-amis": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.MANDATORY],
      "managed-ami-when-in-use-production": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.ADVISORY],
      "ami-required-tags": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.ADVISORY],
      "ami-deregistration-protection": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.DISABLED],
      "ami-copy-encrypted": [PolicyType.POLICY_TYPE_RESOURCE, EnforcementLevel.ADVISORY],
    });
    const tagsSchema = policies["ami-required-tags"].p.getConfigschema()!.getProperties()!.toJavaScript();
    assert.deepEqual((tagsSchema.requiredTags as { default: unknown }).default, []);
    assert.ok(policies["snapshot-single-owner"].p.getRemediationSteps().includes("deleteSnapshots: false"));
  });

  it("analyzes a mixed stack resource by resource", async () => {
    const ami = await analyze(
      analyzeRequest(TYPES.ami, "legacy", { name: "legacy", rootDeviceName: "/dev/xvda" }),
    );
    assert.deepEqual(
      ami.map((d) => [d.policy, d.level]),
      [["ami-storage-owned", EnforcementLevel.MANDATORY]],
    );
    // The server prefixes each message with the policy's description; the rest is what the policy reported.
    const [amiMessage] = await resourceMessages(amiStorageOwned, {
      type: TYPES.ami,
      name: "legacy",
      props: { name: "legacy" },
    });
    assert.equal(ami[0].message, `${amiStorageOwned.description}\n${amiMessage}`);
    assert.match(
      amiMessage,
      /^aws\.ec2\.Ami "legacy" registers an AMI whose destroy never deletes its EBS snapshots/,
    );

    const copy = await analyze(
      analyzeRequest(TYPES.amiCopy, "copy", { sourceAmiId: "ami-12345678", sourceAmiRegion: "us-east-1" }),
    );
    assert.deepEqual(
      copy.map((d) => [d.policy, d.level]),
      [
        ["ami-copy-encrypted", EnforcementLevel.ADVISORY],
        ["ami-derived-storage-owned", EnforcementLevel.ADVISORY],
      ],
    );

    const share = await analyze(
      analyzeRequest(TYPES.amiLaunchPermission, "public", { imageId: "ami-12345678", group: "all" }),
    );
    assert.deepEqual(
      share.map((d) => [d.policy, d.level]),
      [["no-public-amis", EnforcementLevel.MANDATORY]],
    );
    const [shareMessage] = await resourceMessages(noPublicAmis, {
      type: TYPES.amiLaunchPermission,
      name: "public",
      props: { imageId: "ami-12345678", group: "all" },
    });
    assert.equal(share[0].message, `${noPublicAmis.description}\n${shareMessage}`);

    const managed = await analyze(
      analyzeRequest(
        TYPES.managedAmi,
        "web",
        { name: "web", fromInstance: { instanceId: "i-12345678" } },
        "prod",
      ),
    );
    assert.deepEqual(managed, []);

    assert.deepEqual(
      await analyze(analyzeRequest("aws:ec2/instance:Instance", "box", { ami: "ami-12345678" })),
      [],
    );
  });

  it("still decides at preview when a property is unknown, without a can't-run-during-preview diagnostic", async () => {
    const share = await analyze(
      analyzeRequest(TYPES.amiLaunchPermission, "public", { imageId: UNKNOWN_VALUE, group: "all" }),
    );
    assert.deepEqual(
      share.map((d) => [d.policy, d.level]),
      [["no-public-amis", EnforcementLevel.MANDATORY]],
    );
    assert.match(share[0].message, /grants launch permission on its image to group "all"/);

    const copy = await analyze(
      analyzeRequest(TYPES.managedAmi, "copy", {
        name: "copy",
        copyOf: { sourceImageId: UNKNOWN_VALUE, sourceRegion: "us-east-1", encrypted: UNKNOWN_VALUE },
      }),
    );
    assert.deepEqual(copy, []);
  });

  it("analyzes the stack: a snapshot owned twice is caught at preview through property dependencies", async () => {
    const snapUrn = urnOf(TYPES.snapshot, "root");
    const amiUrn = urnOf(TYPES.managedAmi, "web");
    const snapshot = new AnalyzerResource()
      .setType(TYPES.snapshot)
      .setName("root")
      .setUrn(snapUrn)
      .setProperties(Struct.fromJavaScript({ volumeId: "vol-12345678", id: UNKNOWN_VALUE }))
      .setOptions(options());
    const managed = new AnalyzerResource()
      .setType(TYPES.managedAmi)
      .setName("web")
      .setUrn(amiUrn)
      .setProperties(
        Struct.fromJavaScript({
          name: "web",
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: UNKNOWN_VALUE }],
          },
        }),
      )
      .setOptions(options())
      .setDependenciesList([snapUrn]);
    managed
      .getPropertydependenciesMap()
      .set("fromSnapshots", new AnalyzerPropertyDependencies().setUrnsList([snapUrn]));
    const keeper = new AnalyzerResource()
      .setType(TYPES.managedAmi)
      .setName("keeper")
      .setUrn(urnOf(TYPES.managedAmi, "keeper"))
      .setProperties(
        Struct.fromJavaScript({
          name: "keeper",
          fromInstance: { instanceId: "i-12345678" },
          deleteSnapshots: false,
        }),
      )
      .setOptions(options());

    const req = new AnalyzeStackRequest().setResourcesList([snapshot, managed, keeper]);
    const result = diags(
      (
        await unary<AnalyzeStackRequest, AnalyzeResponse>(client.analyzeStack.bind(client), req)
      ).getDiagnosticsList(),
    );
    assert.deepEqual(
      result.map((d) => [d.policy, d.level, d.urn]),
      [
        ["managed-ami-deletes-storage", EnforcementLevel.ADVISORY, urnOf(TYPES.managedAmi, "keeper")],
        ["snapshot-single-owner", EnforcementLevel.MANDATORY, amiUrn],
      ],
    );
    const [direct] = await stackMessages(snapshotSingleOwner, [
      { type: TYPES.snapshot, name: "root", props: { volumeId: "vol-12345678", id: UNKNOWN_VALUE } },
      {
        type: TYPES.managedAmi,
        name: "web",
        props: {
          name: "web",
          fromSnapshots: {
            rootDeviceName: "/dev/xvda",
            blockDeviceMappings: [{ deviceName: "/dev/xvda", snapshotId: UNKNOWN_VALUE }],
          },
        },
        propertyDependsOn: { fromSnapshots: ["root"] },
      },
    ]);
    assert.equal(result[1].message, `${snapshotSingleOwner.description}\n${direct}`);
    assert.match(
      direct,
      /^ManagedAmi "web" and aws\.ebs\.Snapshot "root" both delete the snapshot aws\.ebs\.Snapshot "root" creates/,
    );
  });

  it("applies policy config sent by the CLI (Configure): levels and options", async () => {
    const req = new ConfigureAnalyzerRequest();
    req
      .getPolicyconfigMap()
      .set(
        "ami-required-tags",
        new PolicyConfig()
          .setEnforcementlevel(EnforcementLevel.MANDATORY)
          .setProperties(Struct.fromJavaScript({ requiredTags: ["owner"] })),
      );
    // The CLI always sends properties (the schema defaults at least).
    const none = () => Struct.fromJavaScript({ ignoreResources: [] });
    req
      .getPolicyconfigMap()
      .set(
        "ami-deregistration-protection",
        new PolicyConfig().setEnforcementlevel(EnforcementLevel.ADVISORY).setProperties(none()),
      );
    req
      .getPolicyconfigMap()
      .set(
        "ami-storage-owned",
        new PolicyConfig().setEnforcementlevel(EnforcementLevel.DISABLED).setProperties(none()),
      );
    await unary<ConfigureAnalyzerRequest, Empty>(client.configure.bind(client), req);

    const props = { name: "web", fromInstance: { instanceId: "i-12345678" } };
    const prod = await analyze(analyzeRequest(TYPES.managedAmi, "web", props, "prod"));
    assert.deepEqual(
      prod.map((d) => [d.policy, d.level]),
      [
        ["ami-deregistration-protection", EnforcementLevel.ADVISORY],
        ["ami-required-tags", EnforcementLevel.MANDATORY],
      ],
    );
    const [tagsMessage] = await resourceMessages(
      amiRequiredTags,
      { type: TYPES.managedAmi, name: "web", props },
      { requiredTags: ["owner"] },
    );
    assert.equal(prod[1].message, `${amiRequiredTags.description}\n${tagsMessage}`);
    assert.match(tagsMessage, /^ManagedAmi "web" is missing required tags: owner\./);

    const tagged = await analyze(
      analyzeRequest(TYPES.managedAmi, "web", { ...props, tags: { owner: "a" } }, "prod", true),
    );
    assert.deepEqual(tagged, []);
    const legacy = await analyze(
      analyzeRequest(TYPES.ami, "legacy", { name: "legacy", tags: { owner: "a" } }),
    );
    assert.deepEqual(legacy, [], "ami-storage-owned was disabled by config");
  });
});
