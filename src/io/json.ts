/**
 * Helpers for JSON that comes from files, which may be hostile: how deep a text nests (found without parsing or
 * recursing), and a short preview of a parsed value for error messages (which recurses only a fixed number of
 * levels, never as deep as the input goes). `JSON.parse` itself is iterative in V8, but `JSON.stringify`, `String`
 * and hand-written walkers of a parsed value recurse once per level, so 100,000 nested `[` overflow the stack there.
 *
 * This module must not import Node's built-ins: it runs in the browser too.
 */

/**
 * How deeply the arrays and objects of a JSON text nest (`1` for `[1, 2]`, `0` for a number), counting brackets
 * outside strings. Stops scanning, and returns a number above `limit`, as soon as the depth passes `limit`. Linear
 * in the text and iterative; the text need not be valid JSON (parsing it is the next step).
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, including a quote
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * How deeply a parsed value nests (`1` for `[1, 2]`) and how many values it holds (every array item and object
 * entry, and the root), found with an explicit stack instead of recursion. Stops as soon as either passes its limit
 * (then the numbers returned are just above it), so a huge value, or one that holds the same big array many times
 * over (possible for an object built in code), is not walked to the end.
 */
export function valueSize(
  value: unknown,
  limits: { maxDepth?: number; maxNodes?: number } = {},
): { depth: number; nodes: number } {
  const maxDepth = limits.maxDepth ?? Infinity;
  const maxNodes = limits.maxNodes ?? Infinity;
  let depth = 0;
  let nodes = 1;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, level] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (level + 1 > depth) {
      depth = level + 1;
      if (depth > maxDepth) break;
    }
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length && nodes <= maxNodes; i++) {
        nodes++;
        if (typeof item[i] === "object" && item[i] !== null) stack.push([item[i], level + 1]);
      }
    } else {
      for (const key in item) {
        if (nodes > maxNodes) break;
        nodes++;
        const child = (item as Record<string, unknown>)[key];
        if (typeof child === "object" && child !== null) stack.push([child, level + 1]);
      }
    }
    if (nodes > maxNodes) break;
  }
  return { depth, nodes };
}

/**
 * A short JSON-like preview of a value for messages: the value's own JSON when it is short and shallow (`[1,2]`),
 * else its beginning with `…` (`[[[[…]]]]`, `[1,2,3,…]`). At most `maxLength` characters (about) and `maxDepth`
 * levels, so it costs the same for a value of 10 or 10 million items, 3 or 100,000 levels.
 */
export function preview(value: unknown, maxLength = 60, maxDepth = 4): string {
  const out: string[] = [];
  let length = 0;
  const emit = (text: string) => {
    out.push(text);
    length += text.length;
  };
  const walk = (item: unknown, depth: number): void => {
    if (item === undefined) return emit("undefined");
    if (typeof item !== "object" || item === null) {
      const text = typeof item === "bigint" ? String(item) : (JSON.stringify(item) ?? String(item));
      return emit(text.length > maxLength ? `${text.slice(0, maxLength)}…` : text);
    }
    const isArray = Array.isArray(item);
    const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
    if (depth >= maxDepth) return emit(`${open}…${close}`);
    emit(open);
    // Arrays by index: `for…in` would first list every index of a huge array as a string.
    const keys: Iterable<string | number> = isArray ? indices((item as unknown[]).length) : Object.keys(item);
    let first = true;
    for (const key of keys) {
      if (length >= maxLength) {
        emit(first ? "…" : ",…");
        break;
      }
      if (!first) emit(",");
      first = false;
      if (typeof key === "string")
        emit(`${JSON.stringify(key.length > maxLength ? `${key.slice(0, maxLength)}…` : key)}:`);
      walk((item as Record<string | number, unknown>)[key], depth + 1);
    }
    emit(close);
  };
  walk(value, 0);
  return out.join("");
}

function* indices(length: number): Generator<number> {
  for (let i = 0; i < length; i++) yield i;
}
