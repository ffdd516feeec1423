#!/usr/bin/env node
import { startLocalAws } from "./index";

/** `npm run local-aws -- [--port N] [--time-scale X] [--throttling]`: serve EC2 + S3 until Ctrl-C. */

function parseArgs(argv: string[]): { port: number; timeScale: number; throttling: boolean } {
  const out = { port: 4566, timeScale: 1, throttling: false };
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
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write("Usage: local-aws [--port 4566] [--time-scale 1] [--throttling]\n");
      process.exit(0);
    } else throw new Error(`local-aws: unknown option ${a}. Use --port, --time-scale or --throttling.`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    throw new Error("local-aws: --port must be 0-65535.");
  if (!(out.timeScale > 0)) throw new Error("local-aws: --time-scale must be a number > 0 (1 = real time).");
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const aws = await startLocalAws(args);
  process.stdout.write(
    `local-aws listening on ${aws.endpoint} (EC2 + S3; time scale ${args.timeScale}; throttling ${args.throttling ? "on" : "off"})\n` +
      `export AWS_ENDPOINT_URL_EC2=${aws.endpoint}\n` +
      `export AWS_ENDPOINT_URL_S3=${aws.endpoint}\n` +
      `export AWS_ACCESS_KEY_ID=AKIALOCALAWSEXAMPLE\n` +
      `export AWS_SECRET_ACCESS_KEY=local-aws-secret\n` +
      `export AWS_REGION=us-east-1\n` +
      `base image (us-east-1): ${aws.state.baseImageId("us-east-1")}\n`,
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
