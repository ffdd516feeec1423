/**
 * `npm run demo`: the quick-start example, up and destroy, on the local AWS endpoint (no AWS account).
 * ManagedAmi runs the way `pulumi up` runs it: serialized into state and executed by Pulumi's real
 * dynamic-provider host. Ends with what a deregister-only teardown would have left; exits 1 if anything was left.
 */
import { join } from "path";
import {
  awsMocks,
  createProjectDir,
  destroyProgram,
  LocalEngine,
  packageRoot,
  ProgramResource,
  ProviderHost,
  runProgram,
} from "../engine";
import { startLocalAws } from "../local-aws";
import { Inventory, printInventory, readInventory } from "./inventory";
import { note, step } from "./progress";

const REGION = "us-east-1";
/** EBS snapshot storage, standard tier, us-east-1: USD per GB-month (AWS EBS pricing page, as of November 2025). */
const SNAPSHOT_USD_PER_GB_MONTH = 0.05;
const PRICE_NOTE = "$0.05/GB-month, EBS snapshot standard tier, us-east-1, AWS pricing as of Nov 2025";
const MANAGED_AMI = "pulumi-nodejs:dynamic/managed-ami:ManagedAmi";

/** Keeps the output readable: the SDK's notice about future Node versions is not about this demo. */
function quietSdkNodeNotice(): void {
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (!w.message.includes("NodeVersionSupportWarning")) console.warn(`${w.name}: ${w.message}`);
  });
}

async function main(): Promise<number> {
  quietSdkNodeNotice();
  console.log(
    "pulumi-managed-ami demo: quick start (instance → ManagedAmi → launch template), up then destroy",
  );
  console.log("Local AWS endpoint (EC2 + S3) at 1000x simulated speed; no AWS account is used.\n");

  const aws = await step("starting the local AWS endpoint", () => startLocalAws({ timeScale: 0.001 }));
  const env = {
    AWS_ACCESS_KEY_ID: "AKIADEMO000000000001",
    AWS_SECRET_ACCESS_KEY: "demo-secret-not-a-real-key",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_EC2: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
  };
  Object.assign(process.env, env);
  const dir = createProjectDir({ project: "managed-ami-quickstart" });
  let host: ProviderHost | undefined;
  try {
    host = await step("starting Pulumi's dynamic-provider host", () =>
      ProviderHost.start({
        cwd: dir.path,
        project: "managed-ami-quickstart",
        env: { ...env, MANAGED_AMI_WAIT_POLL_MS: "10" },
      }),
    );
    const engine = new LocalEngine(host);
    const mocks = awsMocks({
      region: REGION,
      onCreate: (type, id) =>
        note(`seeded ${type === "aws:ec2/instance:Instance" ? "instance (RunInstances)" : type}: ${id}`),
    });
    const onResource = (r: ProgramResource) => note(`created ${r.type.split(":").pop()} "${r.name}" ${r.id}`);

    const run = await step("pulumi up (examples/quickstart)", () =>
      runProgram({ programDir: join(packageRoot(), "examples", "quickstart"), engine, mocks, onResource }),
    );
    const afterUp = await readInventory([REGION]);
    printInventory("After `pulumi up`:", afterUp);

    // What aws.ec2.Ami's destroy (DeregisterImage only) would leave: the snapshots the images own.
    const owned = run.resources
      .filter((r) => r.type === MANAGED_AMI)
      .flatMap((r) => (r.state.snapshotIds as string[] | undefined) ?? []);
    const orphans = afterUp.snapshots.filter((s) => owned.includes(s.id));

    console.log("");
    await step("pulumi destroy", () => destroyProgram(run, engine, mocks));
    const afterDestroy = await readInventory([REGION]);
    printInventory("After `pulumi destroy`:", afterDestroy);

    summarize(orphans, afterDestroy);
    return afterDestroy.images.length + afterDestroy.snapshots.length === 0 ? 0 : 1;
  } finally {
    await host?.stop();
    dir.remove();
    await aws.stop();
  }
}

function summarize(orphans: Inventory["snapshots"], left: Inventory): void {
  const gib = orphans.reduce((sum, s) => sum + s.gib, 0);
  const usd = (gib * SNAPSHOT_USD_PER_GB_MONTH).toFixed(2);
  const leftGib = left.gib;
  console.log("\nTeardown compared:");
  console.log(
    `  deregister-only (aws.ec2.Ami): ${orphans.length} snapshot(s), ${gib} GiB left behind, about $${usd}/month`,
  );
  console.log(
    `  ManagedAmi:                    ${left.snapshots.length} snapshot(s), ${leftGib} GiB left behind` +
      (left.images.length ? `, ${left.images.length} image(s)` : ""),
  );
  console.log(`  (price: ${PRICE_NOTE}; GiB = provisioned snapshot size, the upper bound AWS bills)`);
  if (left.images.length + left.snapshots.length > 0) {
    console.error("\nFAILED: ManagedAmi left storage behind.");
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
