import { ConvlabError } from "../errors.js";
import { preview, valueSize } from "../io/json.js";
import { LAYER_SCHEMA, LAYER_TYPES, type LayerKeyKind, type LayerType, type ModelSpec } from "./spec.js";

/**
 * Why a spec was refused: `E_SPEC_INVALID` for a spec that does not follow the schema, `E_SPEC_TOO_LARGE` for one
 * with more than {@link MAX_LAYERS} layers (the size of the model itself is {@link SpecSizeError}'s, with the same
 * code).
 */
export type SpecErrorCode = "E_SPEC_INVALID" | "E_SPEC_TOO_LARGE";

/**
 * A model spec that does not follow the schema. `issues` holds one line per problem, each starting with its JSON
 * path (`layers[3].kernal_size: unknown key; did you mean kernel_size?`), so every mistake shows at once (up to
 * {@link MAX_ISSUES} of them, then how many more).
 */
export class SpecError extends ConvlabError {
  declare readonly code: SpecErrorCode;

  constructor(
    readonly issues: string[],
    source = "model spec",
    code: SpecErrorCode = "E_SPEC_INVALID",
  ) {
    super(code, `${source} is not a valid model spec:\n  ${issues.join("\n  ")}`);
  }
}

/** The most layers a spec may list: far more than a chain of convolutions needs, few enough to check at once. */
export const MAX_LAYERS = 1000;

/** A spec nests 4 levels (the object, `layers`, a layer, a `[height, width]` pair); deeper is not a spec. */
const MAX_DEPTH = 4;

/** The most values (array items and object entries) a spec may hold: {@link MAX_LAYERS} layers need under 20,000. */
const MAX_VALUES = 100_000;

/** Issues listed in a {@link SpecError}'s message; the rest are counted. */
export const MAX_ISSUES = 50;

/** Names and keys are shown, and spelling hints looked for, up to this length: a 1 MB key is not a typo. */
const MAX_WORD = 64;

/** What a key's value must be: a layer key's kind (from {@link LAYER_SCHEMA}), or an identifier for `name`. */
type Kind = LayerKeyKind | "name";

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
  if (word.length > MAX_WORD) return undefined;
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

/** A value in a message: its JSON when short, else its beginning (never recursing as deep as the value goes). */
const show = (value: unknown) => preview(value, 60);

/** A key or name in a message, cut short when long. */
const label = (word: string) => (word.length > MAX_WORD ? `${word.slice(0, MAX_WORD)}…` : word);

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
  const failure = (code?: SpecErrorCode) => {
    const more = issues.length - MAX_ISSUES;
    return new SpecError(more > 0 ? [...issues.slice(0, MAX_ISSUES), `… and ${more} more`] : issues, source, code);
  };
  if (!isObject(json)) throw new SpecError([`(root): must be an object with "layers", got ${show(json)}`], source);
  // Before anything walks it: how deep and how big it is, without recursion and without walking all of it.
  const size = valueSize(json, { maxDepth: MAX_DEPTH, maxNodes: MAX_VALUES });
  if (size.depth > MAX_DEPTH) {
    issues.push(
      `(root): nests more than ${MAX_DEPTH} levels deep, but a spec nests at most ${MAX_DEPTH} ` +
        `({"layers": [{"kernel_size": [3, 3]}]}); got ${show(json)}`,
    );
    throw failure();
  }
  if (size.nodes > MAX_VALUES) {
    issues.push(`(root): holds more than ${MAX_VALUES.toLocaleString("en-US")} values, far more than a spec needs`);
    throw failure("E_SPEC_TOO_LARGE");
  }
  for (const key of Object.keys(json)) {
    if (TOP_KEYS.includes(key)) continue;
    const hint = didYouMean(key, TOP_KEYS);
    issues.push(`${label(key)}: unknown key${hint ? `; did you mean ${hint}?` : ""} (allowed: ${TOP_KEYS.join(", ")})`);
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
    throw failure();
  }
  if (layers.length > MAX_LAYERS) {
    issues.push(`layers: ${layers.length} layers, more than the ${MAX_LAYERS} a spec may list`);
    throw failure("E_SPEC_TOO_LARGE");
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
      if (extra.length > 0)
        issues.push(`${at}: a {"use": …} entry takes no other keys, got ${extra.slice(0, 10).map(label).join(", ")}`);
      if (typeof layer.use !== "string" || !names.has(layer.use)) {
        const known = [...names];
        const hint = typeof layer.use === "string" ? didYouMean(layer.use, known) : undefined;
        issues.push(
          `${at}.use: ${show(layer.use)} is not the name of a layer defined before it` +
            (hint
              ? `; did you mean ${hint}?`
              : known.length > 0
                ? ` (defined so far: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""})`
                : ""),
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
    // The schema is spec.ts's, the one list of layer types and their keys; every type also takes `name`.
    const schema = LAYER_SCHEMA[type as LayerType];
    const required = Object.keys(schema.required);
    const kinds: Record<string, Kind> = { name: "name", ...schema.optional, ...schema.required };
    const allowed = ["type", ...Object.keys(kinds)];
    for (const [key, value] of Object.entries(layer)) {
      if (key === "type") continue;
      const kind = kinds[key];
      if (kind === undefined) {
        const hint = didYouMean(key, allowed);
        issues.push(
          `${at}.${label(key)}: unknown key` +
            (hint ? `; did you mean ${hint}?` : `; ${type} takes ${allowed.filter((k) => k !== "type").join(", ")}`),
        );
        continue;
      }
      const problem = checkKind(kind, value);
      if (problem !== undefined) issues.push(`${at}.${key}: ${problem}`);
    }
    for (const key of required) {
      if (!(key in layer)) issues.push(`${at}: ${type} needs "${key}"`);
    }
    if (typeof layer.name === "string") {
      if (names.has(layer.name)) {
        issues.push(
          `${at}.name: "${label(layer.name)}" is already the name of an earlier layer; to run it again write ` +
            `{"use": "${label(layer.name)}"}`,
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
  if (issues.length > 0) throw failure();
  return json as unknown as ModelSpec;
}
