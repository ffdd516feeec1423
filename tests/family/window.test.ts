// The retention window as a table: ages, keep, keepDisabled, minAgeDays, pins, ties, uncounted states.
import { strict as assert } from "assert";
import {
  compareNewestFirst,
  familyWindow,
  type FamilyImage,
  type WindowOptions,
} from "../../provider/family/window";

const NOW = Date.parse("2026-06-30T12:00:00.000Z");
const DAY = 86_400_000;

/** `web-<n>` created `days` ago, available unless a state is given; ids encode n for readable tables. */
function img(n: number, days: number, state = "available"): FamilyImage {
  return {
    imageId: `ami-${n.toString(16).padStart(8, "0")}`,
    name: `web-${String(n).padStart(3, "0")}`,
    creationDate: new Date(NOW - days * DAY).toISOString(),
    state,
  };
}
const id = (n: number) => `ami-${n.toString(16).padStart(8, "0")}`;

interface Row {
  what: string;
  images: FamilyImage[];
  opts: Omit<WindowOptions, "now">;
  enabled: number[];
  disabled: number[];
  outside: number[];
  latest?: number;
}

// Five weekly builds: 1 is the oldest (35 days), 5 the newest (3 days).
const weekly = [img(1, 35), img(2, 28), img(3, 21), img(4, 14), img(5, 3)];

const rows: Row[] = [
  {
    what: "keep 1, nothing else",
    images: weekly,
    opts: { keep: 1 },
    enabled: [5],
    disabled: [],
    outside: [4, 3, 2, 1],
  },
  {
    what: "keep 2, keepDisabled 1",
    images: weekly,
    opts: { keep: 2, keepDisabled: 1 },
    enabled: [5, 4],
    disabled: [3],
    outside: [2, 1],
  },
  {
    what: "keep larger than the family",
    images: weekly,
    opts: { keep: 9, keepDisabled: 2 },
    enabled: [5, 4, 3, 2, 1],
    disabled: [],
    outside: [],
  },
  {
    what: "keep + keepDisabled exactly the family",
    images: weekly,
    opts: { keep: 3, keepDisabled: 2 },
    enabled: [5, 4, 3],
    disabled: [2, 1],
    outside: [],
  },
  {
    what: "minAgeDays keeps young images beyond the window as disabled spares",
    images: weekly,
    opts: { keep: 1, keepDisabled: 1, minAgeDays: 22 },
    enabled: [5],
    disabled: [4, 3],
    outside: [2, 1],
  },
  {
    what: "minAgeDays never adds to the enabled window",
    images: weekly,
    opts: { keep: 1, minAgeDays: 100 },
    enabled: [5],
    disabled: [4, 3, 2, 1],
    outside: [],
  },
  {
    what: "minAgeDays exactly the age retires it (younger than, not equal)",
    images: weekly,
    opts: { keep: 1, minAgeDays: 14 },
    enabled: [5],
    disabled: [],
    outside: [4, 3, 2, 1],
  },
  {
    what: "minAgeDays 0 retires everything outside",
    images: weekly,
    opts: { keep: 2, minAgeDays: 0 },
    enabled: [5, 4],
    disabled: [],
    outside: [3, 2, 1],
  },
  {
    what: "a pin outside the window stays enabled, whatever its age",
    images: weekly,
    opts: { keep: 1, keepDisabled: 1, pin: [id(1)] },
    enabled: [5, 1],
    disabled: [4],
    outside: [3, 2],
  },
  {
    what: "a pin inside the disabled window is enabled and does not shift the others",
    images: weekly,
    opts: { keep: 1, keepDisabled: 2, pin: [id(4)] },
    enabled: [5, 4],
    disabled: [3],
    outside: [2, 1],
  },
  {
    what: "a pin inside the enabled window changes nothing",
    images: weekly,
    opts: { keep: 2, pin: [id(5)] },
    enabled: [5, 4],
    disabled: [],
    outside: [3, 2, 1],
  },
  {
    what: "pending and failed images do not count and take no place",
    images: [...weekly, img(6, 0, "pending"), img(7, 1, "failed"), img(8, 2, "error")],
    opts: { keep: 2, keepDisabled: 1 },
    enabled: [5, 4],
    disabled: [3],
    outside: [2, 1],
  },
  {
    what: "disabled images count like available ones",
    images: [img(1, 35), img(2, 28, "disabled"), img(3, 21, "disabled"), img(4, 14)],
    opts: { keep: 2, keepDisabled: 1 },
    enabled: [4, 3],
    disabled: [2],
    outside: [1],
  },
  { what: "an empty family", images: [], opts: { keep: 3 }, enabled: [], disabled: [], outside: [] },
  {
    what: "only pending images",
    images: [img(1, 1, "pending")],
    opts: { keep: 3 },
    enabled: [],
    disabled: [],
    outside: [],
  },
];

describe("family window (pure)", () => {
  for (const row of rows) {
    it(row.what, () => {
      const w = familyWindow(row.images, { ...row.opts, now: NOW });
      assert.deepEqual(w.enabled, row.enabled.map(id), "enabled");
      assert.deepEqual(w.disabled, row.disabled.map(id), "disabled");
      assert.deepEqual(w.outside, row.outside.map(id), "outside");
      assert.equal(
        w.latest,
        row.enabled.length
          ? id(
              Math.max(
                ...row.images
                  .filter((i) => ["available", "disabled"].includes(i.state))
                  .map((i) => parseInt(i.imageId.slice(4), 16)),
              ),
            )
          : undefined,
      );
      // Every counted image lands in exactly one list.
      const all = [...w.enabled, ...w.disabled, ...w.outside].sort();
      assert.deepEqual(all, w.ordered.map((i) => i.imageId).sort());
    });
  }

  it("the same result whatever the order discovery returned the images in", () => {
    const shuffled = [weekly[2], weekly[4], weekly[0], weekly[3], weekly[1]];
    const a = familyWindow(weekly, { keep: 2, keepDisabled: 1, now: NOW });
    const b = familyWindow(shuffled, { keep: 2, keepDisabled: 1, now: NOW });
    assert.deepEqual(b, a);
  });

  it("ties in CreationDate: newest name first, then the higher image id; any input order", () => {
    const t = "2026-06-01T00:00:00.000Z";
    const tie = [
      { imageId: "ami-0000000a", name: "web-2026-06-01a", creationDate: t, state: "available" },
      { imageId: "ami-0000000c", name: "web-2026-06-01b", creationDate: t, state: "available" },
      { imageId: "ami-0000000b", name: "web-2026-06-01b", creationDate: t, state: "available" },
    ];
    for (const order of [tie, [...tie].reverse(), [tie[1], tie[0], tie[2]]]) {
      const w = familyWindow(order, { keep: 1, keepDisabled: 1, now: NOW });
      assert.deepEqual(
        w.ordered.map((i) => i.imageId),
        ["ami-0000000c", "ami-0000000b", "ami-0000000a"],
      );
      assert.equal(w.latest, "ami-0000000c");
      assert.deepEqual(w.outside, ["ami-0000000a"]);
    }
  });

  it("CreationDate is compared as time, not as text (milliseconds vs none)", () => {
    const a = {
      imageId: "ami-000000a1",
      name: "x",
      creationDate: "2026-06-01T10:00:00Z",
      state: "available",
    };
    const b = {
      imageId: "ami-000000b1",
      name: "x",
      creationDate: "2026-06-01T09:59:59.999Z",
      state: "available",
    };
    assert.ok(compareNewestFirst(a, b) < 0);
  });

  it("an image without a CreationDate sorts oldest and counts as young under minAgeDays", () => {
    const undated = { imageId: "ami-000000ff", name: "web-zzz", state: "available" };
    const w = familyWindow([undated, ...weekly], { keep: 1, minAgeDays: 1, now: NOW });
    assert.equal(w.ordered.at(-1)?.imageId, "ami-000000ff");
    assert.ok(w.disabled.includes("ami-000000ff"));
    const w0 = familyWindow([undated, ...weekly], { keep: 1, now: NOW });
    assert.ok(w0.outside.includes("ami-000000ff"));
  });

  it("reports pins that are not counted images (missing, pending)", () => {
    const w = familyWindow([...weekly, img(6, 0, "pending")], {
      keep: 1,
      pin: [id(2), id(6), "ami-0123456789abcdef0"],
      now: NOW,
    });
    assert.deepEqual(w.missingPins, [id(6), "ami-0123456789abcdef0"]);
    assert.ok(w.enabled.includes(id(2)));
  });

  it("ignored lists the uncounted images", () => {
    const w = familyWindow([...weekly, img(6, 0, "pending"), img(7, 0, "failed")], { keep: 1, now: NOW });
    assert.deepEqual(w.ignored.map((i) => i.imageId).sort(), [id(6), id(7)]);
  });
});
