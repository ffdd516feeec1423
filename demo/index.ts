/**
 * `npm run demo`: the product's story in one run on the local AWS endpoint (see story.ts). Prints the
 * story on stdout and progress on stderr; `--json` (or `MANAGED_AMI_DEMO_JSON=1`) prints only the
 * machine-readable summary of the same figures. Exits 1 if anything the stack owned is left.
 */
import { runDemo } from "./story";

/** The SDK's notice about future Node versions is not about this demo; every other warning still prints. */
function quietSdkNodeNotice(): void {
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (!w.message.includes("NodeVersionSupportWarning") && w.name !== "NodeVersionSupportWarning")
      console.warn(`${w.name}: ${w.message}`);
  });
}

async function main(): Promise<number> {
  quietSdkNodeNotice();
  const json = process.argv.includes("--json") || process.env.MANAGED_AMI_DEMO_JSON === "1";
  // With --json, stdout carries only the summary: anything else logged (e.g. the Pulumi SDK's own info lines) goes to stderr.
  if (json) console.log = (...args: unknown[]) => console.error(...args);
  // MANAGED_AMI_DEMO_LOCK_SNAPSHOT=1 locks one of the stack's snapshots before destroy (proves the exit code).
  const summary = await runDemo({
    print: !json,
    lockOneSnapshot: process.env.MANAGED_AMI_DEMO_LOCK_SNAPSHOT === "1",
  });
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\ndemo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
