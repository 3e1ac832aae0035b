import { el, type Lang } from "./context.js";
import { planeGrid, drawPlane } from "./planes.js";
import type { EpochPictures } from "./protocol.js";

const TEXTS = {
  en: {
    accuracy: "Test accuracy",
    predicted: "Predicted",
    truth: "True",
    confusion: "Confusion matrix (rows: true digit, columns: predicted)",
    predictions: "5 test images with their predictions",
    features: (layer: string) => `${layer} feature maps of test image 0 (after ReLU)`,
    perClass: "per class",
  },
  vi: {
    accuracy: "Độ chính xác trên tập test",
    predicted: "Dự đoán",
    truth: "Thật",
    confusion: "Ma trận nhầm lẫn (hàng: chữ số thật, cột: dự đoán)",
    predictions: "5 ảnh test và dự đoán của mô hình",
    features: (layer: string) => `Feature map của ${layer} cho ảnh test 0 (sau ReLU)`,
    perClass: "từng lớp",
  },
};

/** The tutorial's 5 test images titled "Predicted: 7 / True: 7" (report.html's picture), wrong ones framed red. */
function predictions(p: EpochPictures, lang: Lang): HTMLElement {
  const t = TEXTS[lang];
  const row = el("div", { class: "predictions" });
  for (const prediction of p.predictions) {
    const canvas = el("canvas");
    drawPlane(canvas, prediction.image, { scale: 3, max: 1 });
    const wrong = prediction.predicted !== prediction.label;
    row.append(
      el(
        "figure",
        { class: wrong ? "wrong" : "" },
        canvas,
        el("figcaption", {}, `${t.predicted}: ${prediction.predicted} / ${t.truth}: ${prediction.label}`),
      ),
    );
  }
  return el("div", {}, el("h4", {}, t.predictions), row);
}

/** The confusion matrix as a table shaded by each row's share, with per-class accuracy on the right. */
function confusion(p: EpochPictures, lang: Lang): HTMLElement {
  const t = TEXTS[lang];
  const head = el(
    "tr",
    {},
    el("th", {}, ""),
    ...p.confusion.map((_, j) => el("th", {}, String(j))),
    el("th", {}, t.perClass),
  );
  const rows = p.confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((count, j) => {
      const share = count / total;
      const color = i === j ? `rgba(47,111,223,${share})` : `rgba(211,60,46,${Math.min(1, share * 5)})`;
      return el("td", { style: `background:${color};color:${share > 0.5 ? "white" : "inherit"}` }, String(count));
    });
    return el("tr", {}, el("th", {}, String(i)), ...cells, el("td", {}, `${((100 * row[i]) / total).toFixed(1)}%`));
  });
  return el("div", {}, el("h4", {}, t.confusion), el("table", { class: "confusion" }, head, ...rows));
}

/** Each conv layer's feature maps, as the tutorial's plt.imshow grid. */
function features(p: EpochPictures, lang: Lang): HTMLElement {
  return el(
    "div",
    { class: "features" },
    ...p.features.map((f) =>
      el(
        "div",
        {},
        el("h4", {}, TEXTS[lang].features(f.layer)),
        planeGrid(f.maps, { scale: f.maps[0]?.width > 20 ? 2 : 4 }),
      ),
    ),
  );
}

/** Everything the page shows of the model at an epoch's end: the report's pictures, drawn from the worker's data. */
export function epochPictures(p: EpochPictures, lang: Lang): HTMLElement {
  return el("div", { class: "epoch-pictures" }, predictions(p, lang), features(p, lang), confusion(p, lang));
}
