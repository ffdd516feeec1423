/**
 * Progress on stderr while the demo waits: a spinner when stderr is a TTY, plain lines otherwise
 * (CI logs stay readable).
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Runs `work` while showing `label`; prints `label … done (Ns)` or `failed` when it settles. */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const tty = Boolean(process.stderr.isTTY);
  const started = Date.now();
  let frame = 0;
  const timer = tty
    ? setInterval(() => process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`), 80)
    : undefined;
  if (!tty) process.stderr.write(`… ${label}\n`);
  const finish = (mark: string, word: string) => {
    if (timer) clearInterval(timer);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`${tty ? "\r\x1b[K" : ""}${mark} ${label} ${word} (${secs}s)\n`);
  };
  try {
    const result = await work();
    finish("✔", "done");
    return result;
  } catch (err) {
    finish("✖", "failed");
    throw err;
  }
}

/** A progress note (one line on stderr). */
export function note(text: string): void {
  process.stderr.write(`  ${text}\n`);
}
