// The Theory part: sections 2.1–2.4 of the tutorial as one live chain. The learner edits the image, the kernel, P
// and S; every edit recomputes conv → ReLU → max pool → fully connected through src/explain, and each step shows
// its numbers, how they were made, and (on the tutorial's own numbers) where the tutorial printed them wrong.
import { ExplainInputError } from "../src/explain/matrix.js";
import { el, tr, type LabContext } from "./context.js";
import { computeTheory, type TheoryResult } from "./theory-compute.js";
import { convSection } from "./theory-conv.js";
import { trm } from "./theory-dom.js";
import { fcSection, poolSection, reluSection } from "./theory-layers.js";

const MODE = {
  tutorial: {
    en:
      "These are the tutorial's own numbers, computed live by convlab's library. Where the tutorial printed a " +
      "result that the computation does not give, a ⚠ note says so. Edit any number to try your own.",
    vi:
      "Đây là các số của chính bài hướng dẫn, do thư viện của convlab tính trực tiếp. Chỗ nào bài in một kết quả " +
      "mà phép tính không cho ra, một ghi chú ⚠ sẽ chỉ ra. Hãy sửa bất kỳ số nào để thử số của bạn.",
  },
  custom: {
    en:
      "The tutorial's printed results do not apply to these numbers, so its misprint notes are hidden. The ↺ " +
      "buttons bring the tutorial's numbers back.",
    vi:
      "Các kết quả in trong bài không áp dụng cho bộ số này, nên các ghi chú lỗi in được ẩn đi. Các nút ↺ đưa số " +
      "của bài trở lại.",
  },
};

/** The title and the sentence that say whose numbers these are, and so whether misprints are being checked. */
function modeBanner(ctx: LabContext) {
  const [tutorialTitle, customTitle] = [
    el("span", {}, trm(ctx, "tutorialTitle")),
    el("span", {}, trm(ctx, "customTitle")),
  ];
  const [tutorial, custom] = [el("p", {}, tr(ctx, MODE.tutorial)), el("p", {}, tr(ctx, MODE.custom))];
  const element = el(
    "div",
    { class: "th-mode", testid: "theory-mode" },
    el("h2", {}, tutorialTitle, customTitle),
    tutorial,
    custom,
  );
  const show = (isTutorial: boolean) => {
    element.dataset.mode = isTutorial ? "tutorial" : "custom";
    for (const part of [tutorialTitle, tutorial]) part.hidden = !isTutorial;
    for (const part of [customTitle, custom]) part.hidden = isTutorial;
  };
  return { element, show };
}

/**
 * The Theory part of the lab page: the tutorial's worked examples (§2.1 convolution with padding and stride, §2.2
 * ReLU, §2.3 max pooling, §2.4 the fully connected layer), editable and recomputed live by src/explain, in English
 * and Vietnamese.
 *
 * A number that is not one (an empty cell, "abc") is marked and the last valid result stays on screen; input the
 * library refuses (a kernel larger than the padded image) shows its ExplainInputError message the same way.
 */
export function theoryPart(ctx: LabContext): HTMLElement {
  let last: TheoryResult | null = null;
  const conv = convSection(ctx, () => refresh());
  const layers = [reluSection(ctx), poolSection(ctx), fcSection(ctx)];
  const mode = modeBanner(ctx);
  const root = el(
    "div",
    { class: "th-part", testid: "theory" },
    mode.element,
    conv.element,
    ...layers.map((l) => l.element),
  );

  const render = () => {
    if (last === null) return;
    mode.show(last.tutorial);
    conv.render(last);
    for (const layer of layers) layer.render(last);
  };
  /** Shows the old result as stale, with the reason, instead of a result the numbers do not give. */
  const stale = (problem: "invalid" | ExplainInputError) => {
    conv.problem(problem);
    root.classList.add("th-stale");
  };
  function refresh(): void {
    const input = conv.read();
    if (input === null) return stale("invalid");
    try {
      last = computeTheory(input);
    } catch (error) {
      if (error instanceof ExplainInputError) return stale(error);
      throw error;
    }
    conv.problem(null);
    root.classList.remove("th-stale");
    render();
  }

  refresh();
  // The words of every computed line come from the language's messages, so a switch re-renders them.
  ctx.lang.watch(render);
  return root;
}
