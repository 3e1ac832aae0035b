import { ARCHS } from "../src/models/presets.js";
import { el, tr, type Lang, type LabContext, type Texts } from "./context.js";
import { epochPictures } from "./epoch-pictures.js";
import { LossChart, Smoother, type LossSeries } from "./loss-chart.js";
import type { EpochPictures, LabSettings } from "./protocol.js";
import { JobControls } from "./job.js";
import { trainer } from "./trainer.js";
import { adoptModel, labModel } from "./weights.js";

/** A settings field: its label, default (the tutorial's), and the input's attributes. */
interface Field {
  key: keyof LabSettings;
  label: Texts;
  value: number;
  attributes: Record<string, string | number>;
}

const FIELDS: Field[] = [
  { key: "epochs", label: { en: "Epochs", vi: "Số epoch" }, value: 5, attributes: { min: 1, max: 100, step: 1 } },
  {
    key: "lr",
    label: { en: "Learning rate", vi: "Tốc độ học (lr)" },
    value: 0.01,
    attributes: { min: 0, step: "any" },
  },
  {
    key: "momentum",
    label: { en: "Momentum", vi: "Momentum" },
    value: 0.9,
    attributes: { min: 0, max: 0.999, step: "any" },
  },
  {
    key: "batchSize",
    label: { en: "Batch size", vi: "Batch size" },
    value: 64,
    attributes: { min: 1, max: 4096, step: 1 },
  },
  { key: "seed", label: { en: "Seed", vi: "Seed" }, value: 0, attributes: { min: 0, step: 1 } },
  {
    key: "trainLimit",
    label: { en: "Training images", vi: "Số ảnh huấn luyện" },
    value: 60000,
    attributes: { min: 64, max: 60000, step: 1 },
  },
];

const T = {
  start: { en: "Start training", vi: "Bắt đầu huấn luyện" },
  stop: { en: "Stop and test", vi: "Dừng và kiểm tra" },
  report: { en: "Download report.html", vi: "Tải report.html" },
  model: { en: "Model", vi: "Mô hình" },
  lossAxis: { en: "loss", vi: "mất mát (loss)" },
  batchLoss: { en: "loss per batch", vi: "loss từng batch" },
  smoothLoss: { en: "moving average", vi: "trung bình trượt" },
  epochLoss: { en: "mean loss per epoch", vi: "loss trung bình mỗi epoch" },
  oneThread: {
    en: "This host does not send the COOP/COEP headers that allow threads, so training runs on 1 thread. Serve the page with `npx convlab lab` to train on every core.",
    vi: "Máy chủ này không gửi các header COOP/COEP cho phép đa luồng, nên huấn luyện chạy trên 1 luồng. Mở trang bằng `npx convlab lab` để huấn luyện trên mọi nhân.",
  },
  intro: {
    en: "The tutorial's exercise, live: the same model, CrossEntropyLoss and SGD as convlab train and PyTorch, trained here on the page's threads.",
    vi: "Bài thực hành của bài hướng dẫn, chạy trực tiếp: cùng mô hình, CrossEntropyLoss và SGD như convlab train và PyTorch, huấn luyện ngay trên trang.",
  },
};

/** Seconds as m:ss. */
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;

/** The Train part: the tutorial's settings, Start / Pause / Stop, the live loss, and each epoch's test pictures. */
export function trainPart(ctx: LabContext): HTMLElement {
  const inputs = new Map<keyof LabSettings, HTMLInputElement>();
  const arch = el("select", { testid: "train-arch" }, ...ARCHS.map((name) => el("option", { value: name }, name)));
  const form = el("div", { class: "settings" }, el("label", {}, tr(ctx, T.model), arch));
  for (const field of FIELDS) {
    const input = el("input", {
      type: "number",
      value: field.value,
      testid: `train-${field.key}`,
      ...field.attributes,
    });
    inputs.set(field.key, input);
    form.append(el("label", {}, tr(ctx, field.label), input));
  }

  const job = new JobControls(ctx, "train", T, (running) => {
    for (const input of [...inputs.values(), arch]) input.disabled = running;
  });
  const message = job.message;

  const value = (testid: string) => el("b", { testid }, "–");
  const epoch = value("train-epoch");
  const steps = value("train-steps");
  const loss = value("train-loss");
  const speed = value("train-speed");
  const eta = value("train-eta");
  const threads = value("train-threads");
  const accuracy = value("test-accuracy");
  const stat = (label: Texts, node: HTMLElement) => el("span", { class: "stat" }, tr(ctx, label), " ", node);
  const stats = el(
    "div",
    { class: "stats" },
    stat({ en: "Epoch", vi: "Epoch" }, epoch),
    stat({ en: "Steps", vi: "Bước" }, steps),
    stat({ en: "Loss", vi: "Loss" }, loss),
    stat({ en: "Images/s", vi: "Ảnh/giây" }, speed),
    stat({ en: "ETA", vi: "Còn lại" }, eta),
    stat({ en: "Threads", vi: "Luồng" }, threads),
    stat({ en: "Test accuracy", vi: "Độ chính xác test" }, accuracy),
  );
  const notice = el("p", { class: "notice", testid: "train-notice" });
  const chart = new LossChart("loss-chart", T.lossAxis[ctx.lang.value]);
  const picturesBox = el("div", { testid: "train-pictures" });

  // The run's losses as the chart shows them; kept to redraw on a language switch.
  let batch: LossSeries = { label: "", x: [], y: [], style: "batches", color: 0 };
  let smooth: LossSeries = { label: "", x: [], y: [], style: "smooth", color: 0 };
  let epochs: LossSeries = { label: "", x: [], y: [], style: "epochs", color: 0 };
  let smoother = new Smoother();
  let lastPictures: EpochPictures | undefined;
  let runEpochs = 0;
  let batchSize = 64;
  let batchesPerEpoch = 1;
  const redraw = () => {
    const lang = ctx.lang.value;
    batch.label = T.batchLoss[lang];
    smooth.label = T.smoothLoss[lang];
    epochs.label = T.epochLoss[lang];
    chart.update([batch, smooth, epochs]);
  };
  const showPictures = () => {
    if (lastPictures !== undefined) picturesBox.replaceChildren(epochPictures(lastPictures, ctx.lang.value));
  };
  ctx.lang.watch((lang: Lang) => {
    chart.setYLabel(T.lossAxis[lang]);
    redraw();
    showPictures();
  });

  const settings = (): LabSettings => {
    const number = (key: keyof LabSettings) => Number(inputs.get(key)!.value);
    const limit = number("trainLimit");
    return {
      arch: arch.value,
      epochs: number("epochs"),
      lr: number("lr"),
      momentum: number("momentum"),
      batchSize: number("batchSize"),
      seed: number("seed"),
      ...(limit > 0 && limit < 60000 ? { trainLimit: limit } : {}),
    };
  };
  job.start.addEventListener("click", () => {
    const asked = settings();
    const invalid = FIELDS.find(
      (f) => !(Number.isFinite(Number(inputs.get(f.key)!.value)) && inputs.get(f.key)!.checkValidity()),
    );
    if (invalid !== undefined) {
      message.textContent = `${invalid.label[ctx.lang.value]}: ${inputs.get(invalid.key)!.validationMessage || "?"}`;
      return;
    }
    batch = { ...batch, x: [], y: [] };
    smooth = { ...smooth, x: [], y: [] };
    epochs = { ...epochs, x: [], y: [] };
    smoother = new Smoother();
    runEpochs = asked.epochs;
    batchSize = asked.batchSize;
    job.begin({ type: "train", settings: asked });
  });

  trainer.on("ready", (ready) => {
    threads.textContent = String(ready.threads);
    if (!ready.isolated) notice.replaceChildren(tr(ctx, T.oneThread));
  });
  trainer.on("loading", (loading) => {
    if (!job.owns) return;
    message.textContent = `${{ en: "Loading MNIST", vi: "Đang tải MNIST" }[ctx.lang.value]} (${loading.what}): ${(loading.received / 1e6).toFixed(1)} MB`;
  });
  trainer.on("event", ({ event }) => {
    if (!job.owns) return;
    if (event.type === "start") {
      message.textContent =
        event.resumed === undefined
          ? ""
          : {
              en: `Resumed after epoch ${event.resumed.epoch}, from the checkpoint kept in this browser.`,
              vi: `Huấn luyện tiếp từ sau epoch ${event.resumed.epoch}, từ checkpoint lưu trong trình duyệt.`,
            }[ctx.lang.value];
    } else if (event.type === "batch") {
      const x = event.epoch - 1 + event.batch / event.batches;
      batch.x.push(x);
      batch.y.push(event.loss);
      smooth.x.push(x);
      smooth.y.push(smoother.next(event.loss));
      epoch.textContent = `${event.epoch}/${runEpochs}`;
      steps.textContent = String(event.steps);
      loss.textContent = event.loss.toFixed(4);
      speed.textContent = String(Math.round(event.imagesPerSecond));
      const left = (runEpochs - event.epoch) * event.batches + (event.batches - event.batch);
      eta.textContent = clock((left * batchSize) / event.imagesPerSecond);
      redraw();
    } else if (event.type === "epochStart") {
      batchesPerEpoch = event.batches;
    } else if (event.type === "epochEnd") {
      // At the epoch's end, or where a stopped epoch ended.
      const done = event.metrics.batchLosses?.length ?? batchesPerEpoch;
      epochs.x.push(event.metrics.epoch - 1 + done / batchesPerEpoch);
      epochs.y.push(event.metrics.loss);
      redraw();
    } else if (event.type === "test") {
      accuracy.textContent = `${(100 * event.result.accuracy).toFixed(2)}%`;
    }
  });
  trainer.on("pictures", ({ pictures }) => {
    if (!job.owns) return;
    lastPictures = pictures;
    showPictures();
  });
  trainer.on("done", ({ metrics, safetensors, arch: trained }) => {
    if (!job.owns) return;
    const pct = `${(100 * metrics.test.accuracy).toFixed(2)}%`;
    const stopped = metrics.stoppedAt;
    const source =
      stopped === undefined
        ? {
            en: `trained here (${metrics.epochs.length} epochs, test accuracy ${pct})`,
            vi: `huấn luyện tại đây (${metrics.epochs.length} epoch, độ chính xác test ${pct})`,
          }
        : {
            en: `trained here (stopped after ${stopped.batch} steps of epoch ${stopped.epoch}, test accuracy ${pct})`,
            vi: `huấn luyện tại đây (dừng sau ${stopped.batch} bước của epoch ${stopped.epoch}, độ chính xác test ${pct})`,
          };
    adoptModel(ctx, labModel(safetensors, `${trained}.safetensors`, source)).catch((error: Error) => {
      message.textContent = error.message;
    });
    job.reportReady();
  });

  return el(
    "div",
    { class: "train" },
    el("p", {}, tr(ctx, T.intro)),
    form,
    job.buttons,
    stats,
    notice,
    message,
    chart.element,
    picturesBox,
  );
}
