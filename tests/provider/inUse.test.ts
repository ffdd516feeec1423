// The in-use guard (spec v2 "In-use guard", issue 12): what blocks a delete, what only warns, and
// what happens when AWS cannot answer — against local-aws with the real SDK, through teardown().
import assert from "node:assert/strict";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { imageReferences } from "../../provider/aws/imageReferences";
import { inUseVerdict } from "../../provider/inUse";
import { teardown, TeardownError } from "../../provider/teardown";
import type { ManagedAmiOutputs } from "../../provider/types";
import {
  callsSince,
  ebsAmi,
  makeSnapshot,
  registerEbs,
  REGION,
  startEnv,
  type Env,
  teardownDeps,
} from "./teardownFixtures";

const deps = teardownDeps;

let ltCounter = 0;
async function launchTemplate(ec2: EC2Client, imageId: string): Promise<{ id: string; arn: string }> {
  const out = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `lt-guard-${Date.now()}-${ltCounter++}`,
      LaunchTemplateData: { ImageId: imageId, InstanceType: "t3.micro" },
    }),
  );
  const id = out.LaunchTemplate?.LaunchTemplateId as string;
  return { id, arn: `:launch-template/${id}` };
}

async function newVersion(
  ec2: EC2Client,
  ltId: string,
  imageId: string,
  makeDefault: boolean,
): Promise<number> {
  const out = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: ltId,
      LaunchTemplateData: { ImageId: imageId },
    }),
  );
  const version = out.LaunchTemplateVersion?.VersionNumber as number;
  if (makeDefault) {
    await ec2.send(
      new ModifyLaunchTemplateCommand({ LaunchTemplateId: ltId, DefaultVersion: String(version) }),
    );
  }
  return version;
}

async function expectInUse(p: Promise<unknown>, ...needles: string[]): Promise<TeardownError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TeardownError, `expected a TeardownError, got ${String(err)}`);
    for (const n of needles)
      assert.ok(err.message.includes(n), `message lacks ${JSON.stringify(n)}:\n${err.message}`);
    return err;
  }
  assert.fail("teardown should have failed");
}

/** Nothing was deregistered or deleted. */
function assertUntouched(env: Env, outs: ManagedAmiOutputs): void {
  assert.equal(env.aws.state.images.get(outs.imageId)?.state, "available");
  for (const id of outs.snapshotIds) assert.ok(env.aws.state.snapshots.has(id), `snapshot ${id} was deleted`);
}

function assertDeleted(env: Env, outs: ManagedAmiOutputs): void {
  assert.notEqual(env.aws.state.images.get(outs.imageId)?.state, "available");
  for (const id of outs.snapshotIds) assert.ok(!env.aws.state.snapshots.has(id), `snapshot ${id} was left`);
}

describe("in-use guard (teardown step between protection handling and deregistration)", function () {
  this.timeout(30_000);
  let env: Env;
  beforeEach(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await env.stop();
  });

  it("a launch template whose $Default/$Latest version uses the image fails the delete, naming its ARN and version; nothing is deleted", async () => {
    const outs = await ebsAmi(env, 2);
    const lt = await launchTemplate(env.ec2, outs.imageId);
    const mark = env.aws.log.length;
    const err = await expectInUse(
      teardown(outs, deps(env)),
      lt.arn,
      "version 1 ($Default, $Latest)",
      "nothing was deregistered or deleted",
      'whenInUse: "warn"',
    );
    assert.match(err.message, /arn:aws:ec2:us-east-1:\d{12}:launch-template\/lt-/);
    assertUntouched(env, outs);
    const calls = callsSince(env, mark);
    assert.ok(calls.includes("DescribeImageReferences"));
    assert.ok(!calls.some((c) => /^(Deregister|Delete)/.test(c)), `mutating calls: ${calls.join(", ")}`);
  });

  it("with disableDeregistrationProtection, an image in use keeps its protection: the guard fails before any change", async () => {
    const outs = await ebsAmi(env, 1);
    const record = env.aws.state.images.get(outs.imageId);
    assert.ok(record);
    record.protection = { enabled: true, withCooldown: false };
    const lt = await launchTemplate(env.ec2, outs.imageId);
    const mark = env.aws.log.length;
    await expectInUse(teardown({ ...outs, disableDeregistrationProtection: true }, deps(env)), lt.arn);
    assert.equal(
      env.aws.state.images.get(outs.imageId)?.protection.enabled,
      true,
      "protection was turned off",
    );
    assertUntouched(env, outs);
    const calls = callsSince(env, mark);
    assert.ok(
      !calls.some((c) => /^(Disable|Deregister|Delete)/.test(c)),
      `mutating calls: ${calls.join(", ")}`,
    );
  });

  it("a template whose only $Latest (not default) version uses the image still blocks, naming that version", async () => {
    const other = await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]);
    const outs = await ebsAmi(env, 1);
    const lt = await launchTemplate(env.ec2, other);
    await newVersion(env.ec2, lt.id, outs.imageId, false);
    await expectInUse(teardown(outs, deps(env)), lt.arn, "version 2 ($Latest)");
    assertUntouched(env, outs);
  });

  it("an older version of a template is history, not use: the delete proceeds", async () => {
    const other = await registerEbs(env.ec2, [await makeSnapshot(env.ec2)]);
    const outs = await ebsAmi(env, 2);
    const lt = await launchTemplate(env.ec2, outs.imageId);
    await newVersion(env.ec2, lt.id, other, true);
    const verdict = await inUseVerdict(env.ec2, outs.imageId);
    assert.deepEqual(verdict.blocking, []);
    const d = deps(env);
    const result = await teardown(outs, d);
    assert.equal(result.image, "deregistered");
    assertDeleted(env, outs);
  });

  for (const resourceType of [
    "ssm:Parameter",
    "imagebuilder:ImageRecipe",
    "imagebuilder:ContainerRecipe",
  ] as const) {
    it(`a ${resourceType} reference blocks the delete and is named by its ARN`, async () => {
      const outs = await ebsAmi(env, 1);
      const arn =
        resourceType === "ssm:Parameter"
          ? `arn:aws:ssm:${REGION}:${env.accountId}:parameter/golden/web`
          : `arn:aws:imagebuilder:${REGION}:${env.accountId}:${resourceType === "imagebuilder:ImageRecipe" ? "image-recipe" : "container-recipe"}/web/1.0.0`;
      env.aws.state.ec2.seedImageReference({ imageId: outs.imageId, resourceType, arn });
      await expectInUse(teardown(outs, deps(env)), arn, resourceType);
      assertUntouched(env, outs);
    });
  }

  it("instances are informational: the delete proceeds with a warning naming the count and the instance ids", async () => {
    const outs = await ebsAmi(env, 1);
    const run = await env.ec2.send(
      new RunInstancesCommand({ ImageId: outs.imageId, MinCount: 2, MaxCount: 2, InstanceType: "t3.micro" }),
    );
    const ids = (run.Instances ?? []).map((i) => i.InstanceId as string);
    assert.equal(ids.length, 2);
    const d = deps(env);
    const result = await teardown(outs, d);
    assert.equal(result.image, "deregistered");
    const warning = d.warnings.find((w) => w.includes("instance(s)"));
    assert.ok(warning, `no instance warning in ${JSON.stringify(d.warnings)}`);
    assert.ok(warning.includes("2 instance(s)"));
    for (const id of ids) assert.ok(warning.includes(id), `warning lacks ${id}`);
  });

  it('whenInUse: "warn" logs the same references and deletes', async () => {
    const outs = await ebsAmi(env, 2, { whenInUse: "warn" });
    const lt = await launchTemplate(env.ec2, outs.imageId);
    const d = deps(env);
    const result = await teardown(outs, d);
    assert.equal(result.image, "deregistered");
    assertDeleted(env, outs);
    assert.ok(
      d.warnings.some((w) => w.includes(lt.arn) && w.includes("version 1 ($Default, $Latest)")),
      d.warnings.join("\n"),
    );
  });

  for (const mode of ["unsupported", "denied"] as const) {
    it(`AWS cannot answer (${mode}): a warning names ec2:DescribeImageReferences and AmazonEC2ImageReferencesAccessPolicy, and the delete proceeds`, async () => {
      env.aws.state.ec2.settings.imageReferences = mode;
      const outs = await ebsAmi(env, 1);
      await launchTemplate(env.ec2, outs.imageId); // cannot be seen: not a reason to stop
      const d = deps(env);
      const result = await teardown(outs, d);
      assert.equal(result.image, "deregistered");
      assert.ok(
        d.warnings.some(
          (w) =>
            w.includes("ec2:DescribeImageReferences") && w.includes("AmazonEC2ImageReferencesAccessPolicy"),
        ),
        d.warnings.join("\n"),
      );
    });
  }

  it("any other DescribeImageReferences error fails the delete before anything is deregistered", async () => {
    const outs = await ebsAmi(env, 1);
    const failing: Pick<EC2Client, "send"> = {
      send: ((command: { constructor: { name: string } }) => {
        if (command.constructor.name === "DescribeImageReferencesCommand") {
          return Promise.reject(Object.assign(new Error("bad request"), { name: "InvalidParameterValue" }));
        }
        return (env.ec2.send as (c: unknown) => Promise<unknown>)(command);
      }) as EC2Client["send"],
    };
    await expectInUse(
      teardown(outs, deps(env, { ec2: failing })),
      "DescribeImageReferences failed",
      "nothing was deleted",
    );
    assertUntouched(env, outs);
  });

  it("imageReferences asks at most 10 ids per call and follows NextToken", async () => {
    const snap = await makeSnapshot(env.ec2);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await registerEbs(env.ec2, [snap]));
    for (let i = 0; i < 1003; i++) {
      env.aws.state.ec2.seedImageReference({
        imageId: ids[0],
        resourceType: "ssm:Parameter",
        arn: `arn:aws:ssm:${REGION}:${env.accountId}:parameter/p${i}`,
      });
    }
    env.aws.state.ec2.seedImageReference({
      imageId: ids[11],
      resourceType: "ssm:Parameter",
      arn: `arn:aws:ssm:${REGION}:${env.accountId}:parameter/last`,
    });
    const mark = env.aws.log.length;
    const refs = await imageReferences(env.ec2, ids);
    assert.equal(refs.get(ids[0])?.length, 1003);
    assert.equal(refs.get(ids[11])?.length, 1);
    assert.deepEqual(refs.get(ids[5]), []);
    const calls = env.aws.log.slice(mark).filter((e) => e.action === "DescribeImageReferences");
    assert.ok(calls.length >= 3, `expected paging over 2 chunks, got ${calls.length} calls`);
  });
});

describe("in-use guard across concurrent deletes", function () {
  this.timeout(60_000);
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env.stop();
  });

  it("N concurrent deletes make at most ceil(N/10) DescribeImageReferences calls (the client coalesces single-id calls)", async () => {
    const N = 23;
    const all: ManagedAmiOutputs[] = [];
    for (let i = 0; i < N; i++) all.push(await ebsAmi(env, 1));
    const mark = env.aws.log.length;
    const results = await Promise.all(all.map((outs) => teardown(outs, deps(env))));
    assert.ok(results.every((r) => r.image === "deregistered"));
    const calls = env.aws.log.slice(mark).filter((e) => e.action === "DescribeImageReferences").length;
    assert.ok(calls <= Math.ceil(N / 10), `${calls} DescribeImageReferences calls for ${N} deletes`);
  });
});
