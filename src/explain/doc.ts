import type { Explanation, TopicResult } from "./explain.js";
import { fmt, span, sumLine, term, vec } from "./format.js";
import { messages, type Messages } from "./messages.js";
import type { Check, ConvResult, ConvWindow, FcResult, Lang, Matrix, PoolResult, Rect, ReluResult } from "./types.js";

/** A matrix to show, with the cells to highlight (the current window, a changed or a wrong cell). */
export interface MatrixView {
  label: string;
  matrix: Matrix;
  highlight?: Rect[];
}

/**
 * The explanation as a document: what text and Markdown render, independent of the output format. Numbers come
 * from the computed {@link Explanation}; the words from the language's messages.
 */
export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "text"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "formula"; text: string }
  /** Matrices side by side; a string between them is an operator ("⊙", "=", "→"). */
  | { kind: "matrices"; items: (MatrixView | string)[] }
  | { kind: "check"; agrees: boolean; text: string };

/** Above this width a matrix is too wide to show next to others, so a window is shown without its image. */
const SIDE_BY_SIDE_WIDTH = 12;
/** Above this many windows, only a few telling ones are walked through (the JSON output has them all). */
const MAX_WINDOWS = 16;

const cell = (i: number, j: number): Rect => ({ row: i, col: j, height: 1, width: 1 });
const column = (v: readonly number[]): Matrix => v.map((x) => [x]);
const compact = (m: Matrix | number | string): string =>
  typeof m === "number" ? fmt(m) : typeof m === "string" ? `"${m}"` : `[${m.map((r) => vec(r)).join(", ")}]`;

/** The first, largest and smallest of many items, in that order without repeats; all of them when there are few. */
function telling<T>(items: T[], value: (item: T) => number): T[] {
  if (items.length <= MAX_WINDOWS) return items;
  const byValue = (better: (a: number, b: number) => boolean) =>
    items.reduce((best, item) => (better(value(item), value(best)) ? item : best));
  return [...new Set([items[0], byValue((a, b) => a > b), byValue((a, b) => a < b)])];
}

function convFormula(conv: ConvResult): string {
  const bias = conv.bias === 0 ? "" : " + b";
  return conv.stride === 1 && conv.padding === 0
    ? `S(i, j) = Σ_{m=0}^{F−1} Σ_{n=0}^{F−1} I(i + m, j + n) · K(m, n)${bias}`
    : `S(i, j) = Σ_m Σ_n I_padded(i·${conv.stride} + m, j·${conv.stride} + n) · K(m, n)${bias}   ` +
        `(P = ${conv.padding}, S = ${conv.stride})`;
}

function windowSteps(conv: ConvResult, w: ConvWindow, m: Messages): Block[] {
  const [kh, kw] = [conv.kernel.length, conv.kernel[0].length];
  const small = conv.padded[0].length <= SIDE_BY_SIDE_WIDTH;
  const product: (MatrixView | string)[] = [
    { label: m.labelWindow, matrix: w.window },
    "⊙",
    { label: "K", matrix: conv.kernel },
    "=",
    { label: m.labelProducts, matrix: w.products },
  ];
  const rect = { row: w.row, col: w.col, height: kh, width: kw };
  const items = small
    ? [
        { label: conv.padding > 0 ? "I (padded)" : "I", matrix: conv.padded, highlight: [rect] },
        ...product,
        "→",
        { label: "S", matrix: conv.featureMap, highlight: [cell(w.i, w.j)] },
      ]
    : product;
  const terms = conv.bias === 0 ? w.products.flat() : [...w.products.flat(), conv.bias];
  return [
    { kind: "heading", level: 3, text: m.window(w.i, w.j, w.row, w.col, kh, kw) },
    { kind: "matrices", items },
    {
      kind: "text",
      text: m.windowSum(w.i, w.j, sumLine(terms, w.sum)) + (conv.bias === 0 ? "" : m.withBias(conv.bias)),
    },
  ];
}

/** Why a printed value is wrong (or right only by luck); the numbers come from the check and the computation. */
function reasons(c: Check, topic: TopicResult, m: Messages): string[] {
  const negatives = () => (c.cells ?? []).map(({ i, j, value }) => `S(${i}, ${j}) = ${fmt(value)}`).join(", ");
  switch (c.id) {
    case "conv.sum00":
      return [m.sumTerms];
    case "conv.sum11":
      return [m.sumTerms, m.sum11Right];
    case "conv.window11": {
      if (c.agrees || typeof c.printed !== "object" || typeof c.computed !== "object") return [];
      const { printed, computed } = c;
      const rows = [...new Set(c.mismatches.map((x) => x.i))];
      return [m.window11Wrong(rows.map((r) => m.rowDiffers(1 + r, vec(printed[r]), vec(computed[r]))).join(" "))];
    }
    case "conv.featureMap": {
      if (c.agrees || topic.topic !== "conv") return [];
      const list = c.mismatches.map((x) => `(${x.i}, ${x.j}): ${fmt(x.printed)} ≠ ${fmt(x.computed)}`).join("; ");
      const first = c.mismatches[0];
      const w = topic.conv.windows.find((x) => x.i === first.i && x.j === first.j);
      const [kh, kw] = [topic.conv.kernel.length, topic.conv.kernel[0].length];
      const example =
        w === undefined
          ? []
          : [m.featureMapExample(w.i, w.j, span(w.row, kh), span(w.col, kw), sumLine(w.products.flat(), w.sum))];
      return [m.featureMapWrong(c.mismatches.length, list), ...example];
    }
    case "relu.featureMap":
      return c.agrees ? [] : [m.reluWrong(negatives())];
    case "pipeline.noNegatives":
      return c.agrees ? [] : [m.pipelineWrong(negatives())];
    case "fc.y1Line": {
      if (topic.topic !== "fc") return [];
      const { products, bias, y } = topic.fc;
      return [m.y1Cut(sumLine([...products[1], bias[1]], y[1]))];
    }
    default:
      return [];
  }
}

function checkBlocks(topic: TopicResult, m: Messages): Block[] {
  if (topic.checks.length === 0) return [];
  return [
    { kind: "heading", level: 3, text: m.checksTitle },
    ...topic.checks.flatMap((c): Block[] => {
      const line = m.checkLine(c.section, m.check[c.id] ?? c.id, c.agrees, compact(c.printed), compact(c.computed));
      const blocks: Block[] = [{ kind: "check", agrees: c.agrees, text: line }];
      if (!c.agrees && typeof c.printed === "object" && typeof c.computed === "object" && c.computed.length > 1) {
        const marks = c.mismatches.map((x) => cell(x.i, x.j));
        blocks.push({
          kind: "matrices",
          items: [
            { label: m.printed, matrix: c.printed, highlight: marks },
            "≠",
            { label: m.computed, matrix: c.computed, highlight: marks },
          ],
        });
      }
      return [...blocks, ...reasons(c, topic, m).map((text): Block => ({ kind: "text", text }))];
    }),
  ];
}

function convBlocks(conv: ConvResult, m: Messages): Block[] {
  const [h, w] = [conv.image.length, conv.image[0].length];
  const [outH, outW] = [conv.featureMap.length, conv.featureMap[0].length];
  const shown = telling(conv.windows, (x) => x.sum);
  const inputs: (MatrixView | string)[] = [
    { label: "I", matrix: conv.image },
    { label: "K", matrix: conv.kernel },
  ];
  if (conv.padding > 0) inputs.splice(1, 0, { label: `I (padded, P = ${conv.padding})`, matrix: conv.padded });
  return [
    { kind: "heading", level: 2, text: m.convTitle },
    { kind: "formula", text: convFormula(conv) },
    { kind: "text", text: m.convIntro(h, w, `${conv.kernel.length}×${conv.kernel[0].length}`) },
    { kind: "matrices", items: inputs },
    { kind: "text", text: m.convPlan(outH, outW, shown.length) },
    ...shown.flatMap((x) => windowSteps(conv, x, m)),
    { kind: "text", text: m.featureMap(outH, outW) },
    { kind: "matrices", items: [{ label: "S", matrix: conv.featureMap }] },
  ];
}

function reluBlocks(result: ReluResult, what: string, m: Messages): Block[] {
  const marks = result.zeroed.map((x) => cell(x.i, x.j));
  return [
    { kind: "text", text: m.reluOf(what) },
    {
      kind: "matrices",
      items: [
        { label: "S", matrix: result.input, highlight: marks },
        "→",
        { label: "ReLU(S)", matrix: result.output, highlight: marks },
      ],
    },
    { kind: "text", text: m.zeroed(result.zeroed) },
  ];
}

function poolBlocks(pool: PoolResult, m: Messages): Block[] {
  const small = pool.input[0].length <= SIDE_BY_SIDE_WIDTH;
  return telling(pool.windows, (x) => x.max).flatMap((x): Block[] => {
    const line = m.poolWindow(
      x.i,
      x.j,
      span(x.row, pool.size),
      span(x.col, pool.size),
      x.window.flat().map(fmt).join(", "),
      x.max,
    );
    const rect = { row: x.row, col: x.col, height: pool.size, width: pool.size };
    const view: Block = {
      kind: "matrices",
      items: [
        { label: m.labelInput, matrix: pool.input, highlight: [rect] },
        "→",
        { label: "P", matrix: pool.output, highlight: [cell(x.i, x.j)] },
      ],
    };
    return small ? [view, { kind: "text", text: line }] : [{ kind: "text", text: line }];
  });
}

function fcBlocks(fc: FcResult, m: Messages): Block[] {
  const lines = fc.y.map((y, o): Block => {
    const terms = fc.weight[o].map((wk, k) => `${term(wk)}·${term(fc.x[k])}`).join(" + ") + ` + ${term(fc.bias[o])}`;
    return { kind: "text", text: m.fcLine(o, terms, [...fc.products[o], fc.bias[o]].map(term).join(" + "), y) };
  });
  return [
    {
      kind: "matrices",
      items: [
        { label: "W", matrix: fc.weight },
        "·",
        { label: "x", matrix: column(fc.x) },
        "+",
        { label: "b", matrix: column(fc.bias) },
        "=",
        { label: "y", matrix: column(fc.y) },
      ],
    },
    ...lines,
    {
      kind: "text",
      text: m.decision(fc.decision, fc.y[fc.decision], m.classes[fc.decision] ?? fc.classes[fc.decision]),
    },
  ];
}

function topicBlocks(topic: TopicResult, custom: boolean, m: Messages): Block[] {
  switch (topic.topic) {
    case "conv":
      return convBlocks(topic.conv, m);
    case "padding": {
      const { sizes, convs } = topic.padding;
      return [
        { kind: "heading", level: 2, text: m.paddingTitle },
        { kind: "text", text: m.paddingIntro },
        { kind: "formula", text: "H_out = ⌊(H − F + 2P) / S⌋ + 1,   W_out = ⌊(W − F + 2P) / S⌋ + 1" },
        { kind: "text", text: m.paddingFloor },
        {
          kind: "list",
          items: sizes.map((s) => m.sizeLine(s.size, s.kernel, s.padding, s.stride, s.unfloored, s.floored)),
        },
        ...convs.flatMap((conv): Block[] => {
          const [kh, kw] = [conv.kernel.length, conv.kernel[0].length];
          const last = conv.windows[conv.windows.length - 1];
          const unused = conv.padded.length - (last.row + kh);
          return [
            {
              kind: "text",
              text: m.paddedConv(
                conv.padding,
                conv.stride,
                conv.padded.length,
                conv.padded[0].length,
                conv.featureMap.length,
                conv.featureMap[0].length,
              ),
            },
            {
              kind: "matrices",
              items: [
                { label: `I (P = ${conv.padding})`, matrix: conv.padded },
                "∗",
                { label: "K", matrix: conv.kernel },
                "=",
                { label: "S", matrix: conv.featureMap },
              ],
            },
            { kind: "text", text: m.positions },
            {
              kind: "list",
              items: telling(conv.windows, (x) => x.sum).map((x) =>
                m.position(x.i, x.j, span(x.row, kh), span(x.col, kw), x.sum),
              ),
            },
            ...(unused > 0 ? [{ kind: "text", text: m.unusedEdge(unused) } as Block] : []),
          ];
        }),
      ];
    }
    case "relu": {
      const what = { featureMap: m.reluOfFeatureMap, negatives: m.reluOfNegatives, input: m.reluOfInput };
      return [
        { kind: "heading", level: 2, text: m.reluTitle },
        { kind: "formula", text: "ReLU(x) = max(0, x)" },
        ...topic.relus.flatMap(({ of, result }) => reluBlocks(result, what[of], m)),
      ];
    }
    case "pool": {
      const { pool } = topic;
      const [h, w] = [pool.input.length, pool.input[0].length];
      return [
        { kind: "heading", level: 2, text: m.poolTitle },
        {
          kind: "formula",
          text: `P(i, j) = max(I(${pool.stride}i : ${pool.stride}i + ${pool.size}, ${pool.stride}j : ${pool.stride}j + ${pool.size}))`,
        },
        { kind: "text", text: m.poolIntro(pool.size, pool.stride, h, w, pool.output.length, pool.output[0].length) },
        ...(custom ? [] : [{ kind: "text", text: m.poolAssumed } as Block]),
        ...poolBlocks(pool, m),
        { kind: "text", text: m.pooled },
        { kind: "matrices", items: [{ label: "P", matrix: pool.output }] },
      ];
    }
    case "fc":
      return [
        { kind: "heading", level: 2, text: m.fcTitle },
        { kind: "formula", text: "y = Wx + b,   y_o = Σ_k W[o][k] · x[k] + b[o]" },
        { kind: "text", text: m.fcIntro(topic.fc.x.length) },
        ...fcBlocks(topic.fc, m),
      ];
    case "pipeline": {
      const { conv, relu, pool, flat, fc, unpaddedPoolSize } = topic.pipeline;
      return [
        { kind: "heading", level: 2, text: m.pipelineTitle },
        {
          kind: "text",
          text: custom
            ? m.pipelineCustom
            : m.pipelineHow(
                conv.featureMap.length - 2 * conv.padding,
                unpaddedPoolSize,
                conv.featureMap.length,
                pool.output.length,
              ),
        },
        { kind: "text", text: m.stepConv(conv.padding, conv.stride) },
        {
          kind: "matrices",
          items: [
            { label: "I", matrix: conv.image },
            "∗",
            { label: "K", matrix: conv.kernel },
            "=",
            { label: "S", matrix: conv.featureMap },
          ],
        },
        { kind: "text", text: m.stepRelu },
        {
          kind: "matrices",
          items: [{ label: "S", matrix: relu.input }, "→", { label: "ReLU(S)", matrix: relu.output }],
        },
        { kind: "text", text: m.stepPool },
        {
          kind: "matrices",
          items: [{ label: "ReLU(S)", matrix: pool.input }, "→", { label: "P", matrix: pool.output }],
        },
        { kind: "text", text: m.stepFlat(vec(flat)) },
        ...(fc === null
          ? [{ kind: "text", text: m.stepNoFc(flat.length) } as Block]
          : [{ kind: "text", text: m.stepFc } as Block, ...fcBlocks(fc, m)]),
      ];
    }
  }
}

/** The explanation as a document in `lang`: a title, then each topic's walk-through followed by its checks. */
export function toDocument(explanation: Explanation, lang: Lang): Block[] {
  const m = messages(lang);
  const custom = explanation.mode === "custom";
  const head: Block[] = [{ kind: "heading", level: 1, text: custom ? m.customTitle : m.tutorialTitle }];
  if (custom) {
    head.push({
      kind: "text",
      text: m.source(explanation.imageSource ?? m.tutorialImage, explanation.kernelSource ?? m.tutorialKernel),
    });
  }
  return [...head, ...explanation.topics.flatMap((t) => [...topicBlocks(t, custom, m), ...checkBlocks(t, m)])];
}
