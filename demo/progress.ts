/**
 * Progress on stderr while the demo waits: a spinner when stderr is a terminal, plain lines otherwise
 * (CI logs stay readable). Every line written while a spinner runs clears it first, so nothing garbles.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

let spinning: { label: string } | undefined;
const tty = (): boolean => Boolean(process.stderr.isTTY) && !process.env.CI;

/** Clears the spinner line (if any) so the next write starts at column 0. */
function clearSpinner(): void {
  if (spinning && tty()) process.stderr.write("\r\x1b[K");
}

/** Runs `work` while showing `label`; prints `label … done (Ns)` or `failed` when it settles. */
export async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let frame = 0;
  spinning = { label };
  const timer = tty()
    ? setInterval(() => process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`), 80)
    : undefined;
  if (!timer) process.stderr.write(`… ${label}\n`);
  const finish = (mark: string, word: string) => {
    if (timer) clearInterval(timer);
    clearSpinner();
    spinning = undefined;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`${mark} ${label} ${word} (${secs}s)\n`);
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

/** A progress note (one line on stderr), written cleanly even while a spinner runs. */
export function note(text: string): void {
  clearSpinner();
  process.stderr.write(`  ${text}\n`);
}

/** A line of the story on stdout; clears a running spinner first when both share a terminal. */
export function say(text = ""): void {
  if (process.stdout.isTTY) clearSpinner();
  process.stdout.write(`${text}\n`);
}
