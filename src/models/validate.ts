import { LAYER_TYPES, type LayerType, type ModelSpec } from "./spec.js";

/**
 * A model spec that does not follow the schema. `issues` holds one line per problem, each starting with its JSON
 * path (`layers[3].kernal_size: unknown key; did you mean kernel_size?`), so every mistake shows at once.
 */
export class SpecError extends Error {
  constructor(
    readonly issues: string[],
    source = "model spec",
  ) {
    super(`${source} is not a valid model spec:\n  ${issues.join("\n  ")}`);
    this.name = "SpecError";
  }
}

/** What a key's value must be. */
type Kind = "positive" | "size" | "padding" | "boolean" | "name";

/**
 * The schema, per layer type: each allowed key and its kind, with the required keys. Every type also takes `name`.
 * Kept as data so the validator, the "did you mean" hints and the error listing the allowed keys share one source.
 */
const SCHEMA: Record<LayerType, { required: string[]; optional: Record<string, Kind> }> = {
  Conv2d: {
    required: ["in_channels", "out_channels", "kernel_size"],
    optional: { stride: "size", padding: "padding", bias: "boolean" },
  },
  Linear: { required: ["in_features", "out_features"], optional: { bias: "boolean" } },
  MaxPool2d: { required: ["kernel_size"], optional: { stride: "size", padding: "padding" } },
  ReLU: { required: [], optional: {} },
  Flatten: { required: [], optional: {} },
};

/** The kind of each required key (sizes are ≥ 1; `kernel_size` may be a pair). */
const REQUIRED_KIND: Record<string, Kind> = {
  in_channels: "positive",
  out_channels: "positive",
  in_features: "positive",
  out_features: "positive",
  kernel_size: "size",
};

const TOP_KEYS = ["name", "input", "layers"];

/** Edit distance (insertions, deletions, substitutions, and swaps of neighbours: `kernal` → `kernel` is 1). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `candidates` to a misspelt `word`, if close enough to be a likely typo (case ignored). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const show = (value: unknown) => JSON.stringify(value);

/** The problem with `value` for a key of this kind, or undefined when it is fine. */
function checkKind(kind: Kind, value: unknown): string | undefined {
  const positive = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 1;
  const nonNegative = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
  switch (kind) {
    case "positive":
      return positive(value) ? undefined : `must be a whole number ≥ 1, got ${show(value)}`;
    case "size":
      if (positive(value) || (Array.isArray(value) && value.length === 2 && value.every(positive))) return undefined;
      return `must be a whole number ≥ 1 or a pair [height, width] of them, got ${show(value)}`;
    case "padding":
      if (nonNegative(value) || (Array.isArray(value) && value.length === 2 && value.every(nonNegative))) return;
      return `must be a whole number ≥ 0 or a pair [height, width] of them, got ${show(value)}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false, got ${show(value)}`;
    case "name":
      // An identifier, as a Python attribute: it becomes a state-dict key, and must not look like an index key.
      return typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)
        ? undefined
        : `must be an identifier such as "conv1" (letters, digits, _; not starting with a digit), got ${show(value)}`;
  }
}

const asPair = (v: unknown): [number, number] => (typeof v === "number" ? [v, v] : (v as [number, number]));

/**
 * Checks parsed JSON against the model-spec schema and returns it typed. Collects every problem, each with its JSON
 * path, and throws one {@link SpecError} listing them: an unknown layer type or key (with the closest known one), a
 * missing key, a value of the wrong type or a non-positive size, a duplicate name, or a `use` of a layer that is not
 * defined before it. Whether the shapes fit is {@link traceSpec}'s job.
 *
 * @param source what to call the spec in the message, such as its file name.
 */
export function validateSpec(json: unknown, source = "model spec"): ModelSpec {
  const issues: string[] = [];
  if (!isObject(json)) throw new SpecError([`(root): must be an object with "layers", got ${show(json)}`], source);
  for (const key of Object.keys(json)) {
    if (TOP_KEYS.includes(key)) continue;
    const hint = didYouMean(key, TOP_KEYS);
    issues.push(`${key}: unknown key${hint ? `; did you mean ${hint}?` : ""} (allowed: ${TOP_KEYS.join(", ")})`);
  }
  if (json.name !== undefined && typeof json.name !== "string") issues.push(`name: must be a string`);
  if (json.input !== undefined) {
    const input = json.input;
    if (!Array.isArray(input) || input.length !== 3 || input.some((v) => checkKind("positive", v) !== undefined)) {
      issues.push(
        `input: must be [channels, height, width], whole numbers ≥ 1, such as [1, 28, 28]; got ${show(input)}`,
      );
    }
  }
  const layers = json.layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    issues.push(`layers: must be a non-empty array of layers, got ${show(layers)}`);
    throw new SpecError(issues, source);
  }
  const names = new Set<string>();
  layers.forEach((layer: unknown, i) => {
    const at = `layers[${i}]`;
    if (!isObject(layer)) {
      issues.push(`${at}: must be an object such as {"type": "ReLU"}, got ${show(layer)}`);
      return;
    }
    if ("use" in layer) {
      const extra = Object.keys(layer).filter((k) => k !== "use");
      if (extra.length > 0) issues.push(`${at}: a {"use": …} entry takes no other keys, got ${extra.join(", ")}`);
      if (typeof layer.use !== "string" || !names.has(layer.use)) {
        const known = [...names];
        const hint = typeof layer.use === "string" ? didYouMean(layer.use, known) : undefined;
        issues.push(
          `${at}.use: ${show(layer.use)} is not the name of a layer defined before it` +
            (hint ? `; did you mean ${hint}?` : known.length > 0 ? ` (defined so far: ${known.join(", ")})` : ""),
        );
      }
      return;
    }
    const type = layer.type;
    if (typeof type !== "string" || !(LAYER_TYPES as readonly string[]).includes(type)) {
      const hint = typeof type === "string" ? didYouMean(type, LAYER_TYPES) : undefined;
      issues.push(
        type === undefined
          ? `${at}: needs a "type" (one of ${LAYER_TYPES.join(", ")}) or a "use" naming an earlier layer`
          : `${at}.type: unknown layer type ${show(type)}${hint ? `; did you mean ${hint}?` : ""} ` +
              `(known: ${LAYER_TYPES.join(", ")})`,
      );
      return;
    }
    const schema = SCHEMA[type as LayerType];
    const kinds: Record<string, Kind> = { name: "name", ...schema.optional };
    for (const key of schema.required) kinds[key] = REQUIRED_KIND[key];
    const allowed = ["type", ...Object.keys(kinds)];
    for (const [key, value] of Object.entries(layer)) {
      if (key === "type") continue;
      const kind = kinds[key];
      if (kind === undefined) {
        const hint = didYouMean(key, allowed);
        issues.push(
          `${at}.${key}: unknown key` +
            (hint ? `; did you mean ${hint}?` : `; ${type} takes ${allowed.filter((k) => k !== "type").join(", ")}`),
        );
        continue;
      }
      const problem = checkKind(kind, value);
      if (problem !== undefined) issues.push(`${at}.${key}: ${problem}`);
    }
    for (const key of schema.required) {
      if (!(key in layer)) issues.push(`${at}: ${type} needs "${key}"`);
    }
    if (typeof layer.name === "string") {
      if (names.has(layer.name)) {
        issues.push(
          `${at}.name: "${layer.name}" is already the name of an earlier layer; to run it again write {"use": "${layer.name}"}`,
        );
      }
      names.add(layer.name);
    }
    // PyTorch's rule for max pooling: padding (filled with −∞) must leave every window a real element.
    if (
      type === "MaxPool2d" &&
      layer.padding !== undefined &&
      !checkKind("padding", layer.padding) &&
      !checkKind("size", layer.kernel_size)
    ) {
      const [ph, pw] = asPair(layer.padding);
      const [kh, kw] = asPair(layer.kernel_size);
      if (ph > kh / 2 || pw > kw / 2)
        issues.push(`${at}.padding: must be at most half of kernel_size, got ${show(layer.padding)}`);
    }
  });
  if (issues.length > 0) throw new SpecError(issues, source);
  return json as unknown as ModelSpec;
}
