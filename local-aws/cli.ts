#!/usr/bin/env node
import { startLocalAws } from "./index";
import { seedDemo } from "./seed";

/**
 * `npm run local-aws -- [--port N] [--time-scale X] [--throttling] [--seed demo]`: serve EC2, S3, STS
 * and Organizations until Ctrl-C. `--seed demo` fills the account with each kind of orphan the audit reports.
 */

function parseArgs(argv: string[]): { port: number; timeScale: number; throttling: boolean; seed?: "demo" } {
  const out: { port: number; timeScale: number; throttling: boolean; seed?: "demo" } = {
    port: 4566,
    timeScale: 1,
    throttling: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? a.split(/=(.*)/s, 2) : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`local-aws: ${flag} needs a value.`);
      return v;
    };
    if (flag === "--port") out.port = Number(value());
    else if (flag === "--time-scale") out.timeScale = Number(value());
    else if (flag === "--throttling") out.throttling = true;
    else if (flag === "--seed") {
      const v = value();
      if (v !== "demo") throw new Error(`local-aws: --seed ${v}: the only seed is "demo" (--seed demo).`);
      out.seed = "demo";
    } else if (flag === "--help" || flag === "-h") {
      process.stdout.write("Usage: local-aws [--port 4566] [--time-scale 1] [--throttling] [--seed demo]\n");
      process.exit(0);
    } else
      throw new Error(
        `local-aws: unknown option ${a}. Use --port, --time-scale, --throttling or --seed demo.`,
      );
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    throw new Error("local-aws: --port must be 0-65535.");
  if (!(out.timeScale > 0)) throw new Error("local-aws: --time-scale must be a number > 0 (1 = real time).");
  return out;
}

async function main(): Promise<void> {
  // The AWS SDK (used by --seed) would print its Node-version notice; that switch silences only it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const args = parseArgs(process.argv.slice(2));
  let aws;
  try {
    aws = await startLocalAws(args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(
        `local-aws: port ${args.port} is already in use (another local-aws?). Stop that process, or pick another port: npm run local-aws -- --port ${args.port + 1}`,
      );
    }
    throw err;
  }
  const seeded = args.seed === "demo" ? await seedDemo(aws) : undefined;
  process.stdout.write(
    `local-aws listening on ${aws.endpoint} (EC2, S3, STS, Organizations; time scale ${args.timeScale}; throttling ${args.throttling ? "on" : "off"})\n` +
      `export AWS_ENDPOINT_URL_EC2=${aws.endpoint}\n` +
      `export AWS_ENDPOINT_URL_S3=${aws.endpoint}\n` +
      `export AWS_ENDPOINT_URL_STS=${aws.endpoint}\n` +
      `export AWS_ENDPOINT_URL_ORGANIZATIONS=${aws.endpoint}\n` +
      `export AWS_ACCESS_KEY_ID=AKIALOCALAWSEXAMPLE\n` +
      `export AWS_SECRET_ACCESS_KEY=local-aws-secret\n` +
      `export AWS_REGION=us-east-1\n` +
      `base image (us-east-1): ${aws.state.baseImageId("us-east-1")}\n` +
      (seeded
        ? `seeded (demo): 3 orphaned snapshots, 1 orphaned bundle in s3://demo-ami-bundles, and look-alikes the audit leaves alone.\n` +
          `try: npx managed-ami audit --bucket demo-ami-bundles\n`
        : ""),
  );
  const shutdown = (): void => {
    aws.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
