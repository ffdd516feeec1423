#!/usr/bin/env node
/**
 * The `managed-ami` command. Only commander wiring lives here; `audit/run.ts` does the work.
 * Exit codes: 0 nothing found (or all deleted), 1 orphans found, 2 usage or AWS error.
 */
import { Command, CommanderError, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setRetryNotifier } from "../provider/aws/clients";
import { AuditFlags, AuditIo, EXIT, runAudit } from "./audit/run";

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The package version, read from the nearest package.json (works from cli/ and from dist/cli/). */
function version(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pulumi-managed-ami") return pkg.version ?? "0.0.0";
    }
  }
  return "0.0.0";
}

/** Builds the program; `run` receives the parsed audit flags and returns the exit code. */
export function buildProgram(
  run: (flags: AuditFlags) => Promise<number>,
  out: { writeOut(s: string): void; writeErr(s: string): void },
): {
  program: Command;
  exitCode: () => number;
} {
  let code: number = EXIT.CLEAN;
  const program = new Command("managed-ami")
    .description("Tools for AMIs and the storage behind them (pulumi-managed-ami).")
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: out.writeOut, writeErr: out.writeErr })
    .showHelpAfterError("(run `managed-ami audit --help` for the flags)");

  program
    .command("audit")
    .description(
      "Find orphaned AMI storage (EBS snapshots and S3 bundles whose AMI is gone), price it, and delete it only with --delete.",
    )
    .option("--region <region>", "region to scan (repeatable); default: AWS_REGION / profile", collect)
    .option("--all-regions", "scan every region enabled for the account")
    .option(
      "--accounts <ids>",
      "scan these accounts (comma-separated); others than the caller's need --role-name",
    )
    .option("--organization", "scan every ACTIVE account of the AWS Organization (needs --role-name)")
    .option("--role-name <name>", "role assumed in each scanned account (arn:aws:iam::<ID>:role/<NAME>)")
    .option("--concurrency <n>", "account × region scans at once (default 4)")
    .option("--format <format>", "table, json, csv or markdown (default table)")
    .option("--json", "same as --format json: one JSON document on stdout, nothing else")
    .option(
      "--bucket <bucket>",
      "also look for orphaned instance-store bundles in this S3 bucket (repeatable)",
      collect,
    )
    .option("--older-than <age>", "only list storage at least this old: 12h, 30d, 2w")
    .option(
      "--exclude-tag <key=value>",
      "never list snapshots with this tag (repeatable; key=* for any value)",
      collect,
    )
    .option(
      "--recycle-bin",
      "also list snapshots and images in the Recycle Bin (billed until they leave; never deleted)",
    )
    .option(
      "--unused-images <age>",
      "also list own images not launched for this long that nothing would launch from (e.g. 90d; never deregistered)",
    )
    .addOption(new Option("--delete", "delete what is listed, after confirmation (or --yes)"))
    .option("--yes", "with --delete: do not ask for confirmation")
    .option("--dry-run", "with --delete: check DeleteSnapshot permissions with EC2 DryRun; delete nothing")
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing orphaned (or everything listed was deleted), 1 orphans found (CI can gate on it),\n" +
        "2 usage error or AWS error (no credentials, unknown region, access denied, an account that could not be scanned).",
    )
    .action(async (flags: AuditFlags) => {
      code = await run(flags);
    });

  return { program, exitCode: () => code };
}

/** Parses `argv` and runs; returns the exit code (commander's usage errors map to 2). */
export async function main(argv: string[], io: AuditIo = processIo()): Promise<number> {
  const { program, exitCode } = buildProgram((flags) => runAudit(flags, io), {
    writeOut: (s) => void io.stdout.write(s),
    writeErr: (s) => void io.stderr.write(s),
  });
  try {
    await program.parseAsync(argv);
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.CLEAN;
      return EXIT.ERROR;
    }
    io.stderr.write(`managed-ami: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.ERROR;
  }
}

function processIo(): AuditIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  };
}

/**
 * Process hygiene for a command-line tool: a closed pipe (`| head`) ends quietly, and the AWS SDK's
 * Node-version notice is dropped while every other warning still prints.
 */
export function quietProcess(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  // The SDK's own switch for its Node-version notice only; every other warning still prints.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

if (require.main === module) {
  quietProcess();
  setRetryNotifier((message) => process.stderr.write(`managed-ami audit: ${message}\n`));
  // Shared waits (the pacer's token timers) are unref'd so they never hold a host process open; the
  // CLI holds itself open until the audit is done, and an unexpected early exit is an error.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  process.exitCode = EXIT.ERROR;
  main(process.argv)
    .finally(() => clearInterval(keepAlive))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`managed-ami: ${String(err)}\n`);
        process.exitCode = EXIT.ERROR;
      },
    );
}
