/**
 * The scan's progress bar, drawn on stderr and only when stderr is a terminal (never in pipes,
 * CI logs or `--json` consumers' stdout). Redraws at most every 100 ms.
 */
import type { ScanProgress } from "./scan";

/** The writable part of a stream the bar draws on. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBar {
  update(p: ScanProgress): void;
  /** Clears the bar (call before printing anything else on the terminal). */
  done(): void;
}

const WIDTH = 20;

/** One line of progress text: a bar over regions, then counts. */
export function progressLine(p: ScanProgress): string {
  const frac = p.regionsTotal > 0 ? p.regionsDone / p.regionsTotal : 0;
  const filled = Math.round(frac * WIDTH);
  const bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
  const where = p.bucket ? `bucket ${p.bucket}` : p.region ? `${p.phase} in ${p.region}` : p.phase;
  const fmt = (n: number): string => n.toLocaleString("en-US");
  return (
    `[${bar}] ${p.regionsDone}/${p.regionsTotal} regions | ${fmt(p.imagesScanned)} images, ` +
    `${fmt(p.snapshotsScanned)} snapshots` +
    (p.manifestsScanned ? `, ${fmt(p.manifestsScanned)} manifests` : "") +
    ` | ${fmt(p.orphansFound)} orphaned | ${where}`
  );
}

/** A bar on `stream` when it is a TTY and `enabled`; otherwise a bar that draws nothing. */
export function progressBar(
  stream: ProgressStream,
  enabled = true,
  now: () => number = Date.now,
): ProgressBar {
  if (!enabled || !stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (p.phase !== "done" && t - last < 100) return;
      last = t;
      const cols = stream.columns && stream.columns > 10 ? stream.columns - 1 : 119;
      stream.write(`\r\x1b[2K${progressLine(p).slice(0, cols)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}
