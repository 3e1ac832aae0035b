/**
 * Draft answers to the tutorial's homework questions (Câu 1–4), written from the numbers a notebook run measured,
 * so a learner starts from what their own run shows rather than from the tutorial's. A draft is a starting point:
 * the notebook puts a marked place for the learner's own 2–3 sentences under it.
 */

import { JUPYTER_DISPLAY, show } from "../plot/display.js";

export type DraftLang = "en" | "vi";

/** A Markdown text that Deno's Jupyter kernel shows rendered (Jupyter's display protocol), as `IPython.display.Markdown`. */
export class Markdown {
  constructor(readonly text: string) {}

  /** Shows the text in the notebook now (see `show` in convlab/plot). */
  show(): Promise<void> {
    return show(this);
  }

  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "text/markdown": this.text, "text/plain": this.text };
  }

  toString(): string {
    return this.text;
  }
}

/** Wraps Markdown text for display in a notebook cell: `markdown("**bold**")` as the cell's last expression. */
export function markdown(text: string): Markdown {
  return new Markdown(text);
}

/** One training run as the notebook records it: each epoch's mean loss and the test accuracy in [0, 1]. */
export interface RunResult {
  losses: readonly number[];
  accuracy: number;
  /** The model's number of parameters. */
  parameters?: number;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const loss4 = (x: number) => x.toFixed(4);

/** What a loss curve did: its ends, the epochs where it rose, and how much of the fall came in its second half. */
export function describeLosses(losses: readonly number[]) {
  const first = losses[0];
  const last = losses[losses.length - 1];
  const rises = losses.flatMap((loss, i) => (i > 0 && loss > losses[i - 1] ? [i + 1] : []));
  const half = Math.floor(losses.length / 2);
  const total = first - last;
  const lateShare = losses.length >= 4 && total > 0 ? (losses[half] - last) / total : NaN;
  return { first, last, rises, lateShare, finite: losses.every(Number.isFinite) };
}

function compare(a: number, b: number, lang: DraftLang): string {
  const d = Math.abs(b - a) * 100;
  if (d < 0.05) return lang === "vi" ? "gần như không đổi" : "is about the same";
  const up = b > a;
  if (lang === "vi") return `${up ? "tăng" : "giảm"} ${d.toFixed(2)} điểm phần trăm`;
  return `${up ? "rises" : "falls"} by ${d.toFixed(2)} percentage points`;
}

function trend(losses: readonly number[], lang: DraftLang): string {
  const { first, last, rises, lateShare, finite } = describeLosses(losses);
  const vi = lang === "vi";
  if (!finite) return vi ? "Loss thành NaN/∞: mô hình phân kỳ." : "The loss became NaN/∞: the model diverged.";
  let text = vi
    ? `Loss đi từ ${loss4(first)} (epoch 1) xuống ${loss4(last)} (epoch ${losses.length}).`
    : `The loss goes from ${loss4(first)} (epoch 1) to ${loss4(last)} (epoch ${losses.length}).`;
  if (rises.length > 0) {
    text += vi
      ? ` Nó tăng lại ở epoch ${rises.join(", ")}: đường loss dao động.`
      : ` It rises again at epoch ${rises.join(", ")}: the curve oscillates.`;
  } else if (Number.isFinite(lateShare)) {
    const share = (100 * lateShare).toFixed(0);
    text += vi
      ? ` Nửa sau đóng góp ${share}% mức giảm: đường loss ${lateShare < 0.2 ? "chững lại" : "vẫn giảm đều"}.`
      : ` The second half brings ${share}% of the fall: the curve ${lateShare < 0.2 ? "flattens out" : "keeps falling steadily"}.`;
  }
  return text;
}

/** Câu 1: 5 epochs (the exercise) against 10. */
export function epochsDraft(five: RunResult, ten: RunResult, lang: DraftLang): string {
  const vi = lang === "vi";
  const head = vi
    ? `Độ chính xác trên tập test ${compare(five.accuracy, ten.accuracy, lang)}: ${pct(five.accuracy)} sau ${five.losses.length} epoch, ${pct(ten.accuracy)} sau ${ten.losses.length} epoch.`
    : `The test accuracy ${compare(five.accuracy, ten.accuracy, lang)}: ${pct(five.accuracy)} after ${five.losses.length} epochs, ${pct(ten.accuracy)} after ${ten.losses.length}.`;
  const why = vi
    ? "Mỗi epoch là một lượt duyệt hết dữ liệu huấn luyện, nên thêm epoch là thêm lần cập nhật trọng số: mô hình học tiếp cho tới khi loss chững lại; quá nhiều epoch có thể dẫn tới overfitting."
    : "Each epoch is one more pass over the training data, so more epochs mean more weight updates: the model keeps learning until the loss flattens out; too many can overfit.";
  return `${head} ${trend(ten.losses, lang)}\n\n${why}`;
}

/** Câu 2: the tutorial's model against the one with conv3 (both trained for the same epochs). */
export function conv3Draft(seed: RunResult, conv3: RunResult, lang: DraftLang): string {
  const vi = lang === "vi";
  const params =
    seed.parameters !== undefined && conv3.parameters !== undefined
      ? vi
        ? ` Số tham số: ${seed.parameters} → ${conv3.parameters}.`
        : ` Parameters: ${seed.parameters} → ${conv3.parameters}.`
      : "";
  const head = vi
    ? `Với conv3 (fc1 64→10), độ chính xác trên tập test là ${pct(conv3.accuracy)}, so với ${pct(seed.accuracy)} của mô hình gốc: ${compare(seed.accuracy, conv3.accuracy, lang)}.${params}`
    : `With conv3 (fc1 64→10) the test accuracy is ${pct(conv3.accuracy)}, against ${pct(seed.accuracy)} for the tutorial's model: it ${compare(seed.accuracy, conv3.accuracy, lang)}.${params}`;
  const why = vi
    ? "Tầng tích chập thứ ba ghép các đặc trưng đơn giản của conv1/conv2 (cạnh, nét) thành mẫu phức tạp hơn, nhưng ảnh chỉ còn 1×1 sau pooling và fc1 chỉ nhận 64 giá trị thay vì 800, nên độ chính xác không nhất thiết tăng."
    : "A third convolution combines conv1/conv2's simple features (edges, strokes) into more complex patterns, but after its pooling the map is 1×1 and fc1 sees 64 values instead of 800, so the accuracy need not rise.";
  return `${head} ${trend(conv3.losses, lang)}\n\n${why}`;
}

/** Câu 3: the runs by learning rate, e.g. { "0.001": …, "0.01": …, "0.1": … }. */
export function learningRateDraft(runs: Readonly<Record<string, RunResult>>, lang: DraftLang): string {
  const vi = lang === "vi";
  const rows = Object.entries(runs).map(
    ([lr, run]) =>
      `| ${lr} | ${pct(run.accuracy)} | ${loss4(run.losses[0])} | ${loss4(run.losses[run.losses.length - 1])} |`,
  );
  const table = [
    vi ? "| lr | Độ chính xác | Loss epoch 1 | Loss cuối |" : "| lr | Test accuracy | Loss, epoch 1 | Final loss |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
  const lines = Object.entries(runs).map(([lr, run]) => `- lr = ${lr}: ${trend(run.losses, lang)}`);
  const why = vi
    ? "Learning rate là độ dài mỗi bước cập nhật trọng số: quá nhỏ thì loss giảm chậm, quá lớn thì bước nhảy vượt qua điểm tối ưu, loss dao động hoặc không hội tụ."
    : "The learning rate is the size of each update step: too small and the loss falls slowly; too large and the steps overshoot the minimum, so the loss oscillates or does not converge.";
  return `${table}\n\n${lines.join("\n")}\n\n${why}`;
}

/** What one layer's feature maps look like, measured: their size and how many of their values ReLU zeroed. */
export interface MapStats {
  layer: string;
  channels: number;
  height: number;
  width: number;
  /** The share of values equal to 0 after ReLU, in [0, 1]. */
  zeros: number;
}

/** Câu 4: conv1's feature maps against conv2's. */
export function featureMapsDraft(conv1: MapStats, conv2: MapStats, lang: DraftLang): string {
  const vi = lang === "vi";
  const size = (m: MapStats) => `${m.channels} × ${m.height}×${m.width}`;
  const zeros = (m: MapStats) => `${(100 * m.zeros).toFixed(0)}%`;
  const head = vi
    ? `conv1 cho ${size(conv1)} feature map, ${zeros(conv1)} giá trị bằng 0 sau ReLU; conv2 cho ${size(conv2)}, ${zeros(conv2)} bằng 0.`
    : `conv1 gives ${size(conv1)} feature maps, ${zeros(conv1)} of their values 0 after ReLU; conv2 gives ${size(conv2)}, ${zeros(conv2)} zero.`;
  const why = vi
    ? "Feature map của conv1 vẫn giữ hình chữ số, làm nổi cạnh và nét theo từng hướng; của conv2 nhỏ hơn, thô hơn và trừu tượng hơn: mỗi điểm nhìn một vùng lớn hơn của ảnh và kết hợp nhiều đặc trưng của conv1."
    : "conv1's maps still show the digit, with its edges and strokes picked out by direction; conv2's are smaller, coarser and more abstract: each value sees a larger part of the image and combines several of conv1's features.";
  return `${head}\n\n${why}`;
}

/** The measured size and sparsity of a layer's output [1, C, H, W] (or [C, H, W]). */
export function mapStats(layer: string, output: { shape: readonly number[]; data: ArrayLike<number> }): MapStats {
  const [channels, height, width] = output.shape.slice(-3);
  let zeros = 0;
  for (let i = 0; i < output.data.length; i++) if (output.data[i] === 0) zeros++;
  return { layer, channels, height, width, zeros: output.data.length === 0 ? 0 : zeros / output.data.length };
}
