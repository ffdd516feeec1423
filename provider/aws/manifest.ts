/**
 * The part file names of an instance-store bundle manifest, read with a real XML parser (saxes):
 * comments are ignored, CDATA and entities are decoded, namespaces do not matter (local names only).
 * These names decide which S3 keys destroy deletes, so a name that could reach outside the
 * manifest's folder (`../x`, `/x`, `a/b`, `\`) or is empty is refused, never deleted.
 */
import { SaxesParser } from "saxes";

/** Why a manifest cannot be used; the message names the problem. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/** Element paths below the document element (`<manifest>`), by local name. */
const PARTS = "image/parts";
const PART = "image/parts/part";
const FILENAME = "image/parts/part/filename";

/** The part file names in `<manifest><image><parts><part><filename>` order; throws ManifestError. */
export function parseManifestParts(xml: string): string[] {
  const parser = new SaxesParser({ xmlns: true });
  const stack: string[] = [];
  const names: string[] = [];
  const where = () => stack.slice(1).join("/");
  let sawParts = false;
  let text: string | undefined;
  let partNamed = false;
  let failure: Error | undefined;
  parser.on("error", (err) => {
    failure ??= err;
  });
  parser.on("opentag", (tag) => {
    stack.push(tag.local);
    const path = where();
    if (path === PARTS) sawParts = true;
    if (path === PART) partNamed = false;
    if (path === FILENAME) text = "";
  });
  const addText = (chunk: string) => {
    if (text !== undefined) text += chunk;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    const path = where();
    if (path === FILENAME && text !== undefined) {
      names.push(text.trim());
      partNamed = true;
      text = undefined;
    } else if (path === PART && !partNamed) {
      failure ??= new ManifestError("a <part> of the manifest has no <filename>");
    }
    stack.pop();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure instanceof ManifestError) throw failure;
  if (failure) throw new ManifestError(`the manifest is not well-formed XML (${failure.message})`);
  if (!sawParts) throw new ManifestError("the manifest has no <image><parts> section");
  if (names.length === 0) throw new ManifestError("the manifest lists no parts");
  for (const name of names) {
    const problem = unsafePartName(name);
    if (problem)
      throw new ManifestError(
        `part file name "${name}" ${problem}; it is not treated as a key of this bundle`,
      );
  }
  return names;
}

/** Why a part name cannot be a file in the manifest's folder, or undefined when it can. */
function unsafePartName(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name === "." || name === "..") return "names a folder, not a file";
  if (name.includes("/") || name.includes("\\"))
    return "contains a path separator (it would reach outside the manifest's folder)";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains a control character";
  return undefined;
}
