// The Draw part: draw a digit, watch it prepared as `convlab predict` prepares a photo (src/data/preprocess.ts), and
// see what the current model reads and what its convolutions see, updated while the stroke goes on.
import { preprocessDigit, PreprocessError, type PreprocessedDigit } from "../src/data/preprocess.js";
import { el, tr, type LabContext } from "./context.js";
import { readDigit, type DigitReading } from "./draw-model.js";
import { drawPad, type DrawPad } from "./draw-pad.js";
import { mapsView, readingView } from "./draw-results.js";
import { stepsView } from "./draw-steps.js";
import { both, fixed, liveText, type LiveText } from "./draw-text.js";

declare global {
  /** What the lab page leaves on `window` for its browser tests to read; each part adds its own fields. */
  interface ConvlabLabHooks {
    /** The last draw-to-prediction time of the Draw part, in ms: preprocessing, the model, and drawing the results. */
    drawLatencyMs?: number;
  }
  interface Window {
    convlabLab?: ConvlabLabHooks;
  }
}

/** Where one update's time went, in ms. */
interface Timing {
  prepare: number;
  model: number;
  draw: number;
}

/** The drawing prepared, or null for a blank pad (no ink: a hint, not an error). */
function prepare(pad: DrawPad): PreprocessedDigit | null {
  const { data, width, height } = pad.pixels();
  try {
    return preprocessDigit(data, width, height, 4);
  } catch (error) {
    if (error instanceof PreprocessError && error.reason === "blank") return null;
    throw error;
  }
}

/** Shows an update's timing and leaves the total where a test can read it. */
function reportLatency(text: LiveText, timing: Timing): void {
  const total = timing.prepare + timing.model + timing.draw;
  const parts = [fixed(timing.prepare), fixed(timing.model), fixed(timing.draw)];
  text.set({
    en: `Draw → prediction: ${fixed(total)} ms (preparation ${parts[0]}, model ${parts[1]}, drawing ${parts[2]})`,
    vi: `Từ nét vẽ đến dự đoán: ${fixed(total)} ms (chuẩn bị ${parts[0]}, mô hình ${parts[1]}, vẽ ${parts[2]})`,
  });
  window.convlabLab = { ...(window.convlabLab ?? {}), drawLatencyMs: total };
}

/**
 * The Draw part: a pad to draw a digit on, the preprocessing steps with the numbers they decided, the current
 * model's prediction with its ten probabilities, and the feature maps of its convolutions. It follows the page's
 * model (`ctx.model`): without one it still prepares the drawing and says how to get a model; with a new one it reads
 * the current drawing again.
 */
export function drawPart(ctx: LabContext): HTMLElement {
  const steps = stepsView(ctx);
  const reading = readingView(ctx);
  const maps = mapsView(ctx);
  const latency = liveText(ctx);
  const failure = liveText(ctx);
  const needsModel = el(
    "p",
    { testid: "draw-needs-model", class: "draw-needs-model" },
    tr(ctx, {
      en: "No model yet: train one in the Train part, or load a weights file with the button above. The preparation steps below work without one.",
      vi: "Chưa có mô hình: hãy huấn luyện một mô hình ở phần Huấn luyện, hoặc nạp tệp trọng số bằng nút ở trên. Các bước chuẩn bị bên dưới vẫn chạy khi chưa có mô hình.",
    }),
  );
  const hint = el(
    "p",
    { testid: "draw-hint", class: "draw-hint" },
    tr(ctx, {
      en: "Draw a digit from 0 to 9 here, big, filling most of the box.",
      vi: "Hãy vẽ một chữ số từ 0 đến 9 vào đây, thật to, gần kín khung.",
    }),
  );

  const update = () => {
    const start = performance.now();
    failure.set(both(""));
    let digit: PreprocessedDigit | null = null;
    try {
      digit = prepare(pad);
    } catch (error) {
      failure.set(both((error as Error).message));
    }
    const prepared = performance.now();
    const current = ctx.model.value;
    let read: DigitReading | null = null;
    if (digit !== null && current !== null) {
      try {
        read = readDigit(current.model, digit.tensor);
      } catch (error) {
        const message = (error as Error).message;
        failure.set({
          en: `The model could not read the drawing: ${message}`,
          vi: `Mô hình không đọc được hình vẽ: ${message}`,
        });
      }
    }
    const predicted = performance.now();
    hint.hidden = digit !== null;
    needsModel.hidden = current !== null;
    steps.show(digit, pad);
    reading.show(read);
    maps.show(read === null ? null : read.maps);
    reportLatency(latency, {
      prepare: prepared - start,
      model: predicted - prepared,
      draw: performance.now() - predicted,
    });
  };

  // While a stroke goes on, at most one update per frame: pointer events come faster than the screen redraws.
  let frame = 0;
  const schedule = (final: boolean) => {
    if (final) {
      cancelAnimationFrame(frame);
      frame = 0;
      update();
    } else if (frame === 0) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        update();
      });
    }
  };
  const pad = drawPad(schedule);
  pad.element.append(hint);
  const clear = el("button", { testid: "draw-clear", class: "draw-clear" }, tr(ctx, { en: "Clear", vi: "Xoá" }));
  clear.addEventListener("click", () => pad.clear());

  // A model trained or loaded after the drawing reads it at once, without a new stroke.
  ctx.model.watch(() => update());

  return el(
    "div",
    { class: "draw-part" },
    el("h2", {}, tr(ctx, { en: "Draw a digit", vi: "Vẽ một chữ số" })),
    el(
      "p",
      { class: "draw-intro" },
      tr(ctx, {
        en: "Draw with the mouse or a finger. The drawing goes through the same steps as a photo given to ",
        vi: "Vẽ bằng chuột hoặc ngón tay. Hình vẽ đi qua đúng các bước như một ảnh đưa cho ",
      }),
      el("code", {}, "convlab predict"),
      tr(ctx, {
        en: ", then through the model, at every frame of your stroke.",
        vi: ", rồi qua mô hình, ở từng khung hình khi bạn đang vẽ.",
      }),
    ),
    el(
      "div",
      { class: "draw-top" },
      el("div", { class: "draw-left" }, pad.element, el("div", { class: "draw-tools" }, clear)),
      el(
        "div",
        { class: "draw-right" },
        needsModel,
        el("div", { class: "draw-reading" }, reading.answer, reading.probabilities),
        el("p", { testid: "draw-latency", class: "draw-latency" }, latency.node),
        el("p", { class: "error", role: "alert" }, failure.node),
      ),
    ),
    el("h3", {}, tr(ctx, { en: "Preparing the drawing as an MNIST digit", vi: "Chuẩn bị hình vẽ thành chữ số MNIST" })),
    steps.element,
    el("h3", {}, tr(ctx, { en: "What the convolutions see", vi: "Các lớp tích chập nhìn thấy gì" })),
    maps.element,
  );
}
