import { chart, title } from "./base.js";
import { reportMessages } from "./messages.js";
import type { ChartSpec, ReportLang, ReportMetrics } from "./types.js";

/** What the confusion picture reads of an evaluation (`EvalResult` fits it). */
export type ConfusionInput = Pick<ReportMetrics["test"], "confusion" | "accuracy" | "perClassAccuracy">;

/**
 * The confusion matrix of the test set (rows: the true digit, columns: the prediction, each cell's count written
 * in, the diagonal being the right answers) beside a bar per class of its accuracy, the diagonal over its row sum.
 */
export function confusionSpec(test: ConfusionInput, lang: ReportLang): ChartSpec {
  const m = reportMessages(lang);
  const classes = test.confusion.length;
  const cells = test.confusion.flatMap((row, t) => row.map((count, p) => ({ t, p, count })));
  const max = Math.max(1, ...cells.map((c) => c.count));
  const digits = Array.from({ length: classes }, (_, i) => i);
  const axis = (name: string) => ({ type: "ordinal", title: name, sort: digits, axis: { labelAngle: 0 } }) as const;
  return chart({
    title: title(m.confusionTitle(test.accuracy)),
    hconcat: [
      {
        width: 32 * classes,
        height: 32 * classes,
        data: { values: cells },
        encoding: {
          x: { field: "p", ...axis(m.predicted), axis: { orient: "top", labelAngle: 0 } },
          y: { field: "t", ...axis(m.actual) },
        },
        layer: [
          {
            mark: { type: "rect", aria: false },
            encoding: {
              color: { field: "count", type: "quantitative", title: m.count, scale: { scheme: "blues", type: "sqrt" } },
            },
          },
          {
            transform: [{ filter: "datum.count > 0" }],
            mark: { type: "text", fontSize: 10 },
            encoding: {
              text: { field: "count", type: "quantitative" },
              color: { condition: { test: `datum.count > ${max / 3}`, value: "white" }, value: "black" },
            },
          },
        ],
      },
      {
        title: { text: m.perClass, fontSize: 12 },
        width: 160,
        height: 32 * classes,
        data: { values: test.perClassAccuracy.map((accuracy, t) => ({ t, accuracy })) },
        encoding: {
          y: { field: "t", ...axis(m.digit) },
          x: {
            field: "accuracy",
            type: "quantitative",
            title: m.accuracy,
            scale: { domain: [0, 1] },
            axis: { format: "%" },
          },
        },
        layer: [
          { mark: { type: "bar", color: "#1f77b4", aria: false } },
          {
            // The value just past the end of its bar, so a short bar keeps a readable number.
            mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
            encoding: { text: { field: "accuracy", type: "quantitative", format: ".1%" } },
          },
        ],
      },
    ],
    resolve: { scale: { color: "independent" } },
  });
}
