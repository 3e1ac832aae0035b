import type { RunRow } from "../src/train/run-files.js";
import { planSweep } from "../src/train/sweep-plan.js";
import { el, tr, type LabContext, type Lang } from "./context.js";
import { LossChart, type LossSeries } from "./loss-chart.js";
import { homeworkPoints, type EpochPictures } from "./protocol.js";
import { planeGrid } from "./planes.js";
import { JobControls } from "./job.js";
import { trainer } from "./trainer.js";

const T = {
  intro: {
    en: "The tutorial's homework, as convlab sweep homework runs it: the exercise (5 epochs), then 10 epochs, a third conv layer (conv3 32→64, fc 64→10), and learning rates 0.001 and 0.1, each changing one thing against the 10-epoch run. Finished runs are kept in this browser: a reload continues where it stopped.",
    vi: "Bài tập về nhà, như convlab sweep homework: bài thực hành (5 epoch), rồi 10 epoch, thêm lớp conv3 (32→64, fc 64→10), và tốc độ học 0.001 và 0.1, mỗi lần chỉ đổi một điều so với lần chạy 10 epoch. Các lần chạy xong được lưu trong trình duyệt: tải lại trang sẽ chạy tiếp từ chỗ dừng.",
  },
  length: { en: "Length", vi: "Độ dài" },
  full: { en: "as the homework asks (5 and 10 epochs)", vi: "đúng như đề bài (5 và 10 epoch)" },
  quick: { en: "quick look (1 and 2 epochs)", vi: "xem nhanh (1 và 2 epoch)" },
  images: { en: "Training images", vi: "Số ảnh huấn luyện" },
  start: { en: "Run the homework", vi: "Chạy bài tập" },
  stop: { en: "Stop (continue later)", vi: "Dừng (chạy tiếp sau)" },
  report: { en: "Download comparison.html", vi: "Tải comparison.html" },
  lossAxis: { en: "mean loss per epoch", vi: "loss trung bình mỗi epoch" },
  head: {
    en: ["Run", "Status", "Test accuracy", "Final loss", "Parameters", "Seconds"],
    vi: ["Lần chạy", "Trạng thái", "Độ chính xác test", "Loss cuối", "Tham số", "Giây"],
  },
  status: {
    en: {
      waiting: "waiting",
      training: "training",
      finished: "finished",
      failed: "diverged",
      interrupted: "interrupted",
    },
    vi: {
      waiting: "đang chờ",
      training: "đang huấn luyện",
      finished: "xong",
      failed: "phân kỳ",
      interrupted: "bị ngắt",
    },
  },
};

type Status = keyof (typeof T.status)["en"];

interface RunView {
  name: string;
  status: Status;
  row?: RunRow;
  /** Mean loss of each finished epoch; for the run in progress, those so far. */
  losses: number[];
  features: EpochPictures["features"];
}

/** The names of the homework's runs at `scale`, as the worker names them. */
const namesAt = (scale: number) =>
  planSweep(homeworkPoints(scale), { arch: "seed", epochs: 5, lr: 0.01, momentum: 0.9, batchSize: 64, seed: 0 }).map(
    (run) => run.name,
  );

/** Pixels per value that draw a feature map about 40 px wide. */
const scaleFor = (width: number) => Math.max(2, Math.round(40 / width));

/** The Homework part: the homework's five runs trained in the page, and the same comparison as the CLI's. */
export function homeworkPart(ctx: LabContext): HTMLElement {
  const length = el(
    "select",
    { testid: "homework-length" },
    el("option", { value: "1" }, tr(ctx, T.full)),
    el("option", { value: "0.2" }, tr(ctx, T.quick)),
  );
  const limit = el("input", { type: "number", value: 60000, min: 64, max: 60000, step: 1, testid: "homework-images" });
  const job = new JobControls(ctx, "homework", T, (running) => {
    length.disabled = running;
    limit.disabled = running;
  });
  const message = job.message;
  const table = el("table", { class: "runs", testid: "homework-table" });
  const chart = new LossChart("homework-chart", T.lossAxis[ctx.lang.value]);
  const featuresBox = el("div", { class: "homework-features" });

  const waiting = () =>
    namesAt(Number(length.value)).map((name): RunView => ({ name, status: "waiting", losses: [], features: [] }));
  let runs = waiting();
  let current = -1;

  const render = () => {
    const lang: Lang = ctx.lang.value;
    const cells = (run: RunView) => {
      const r = run.row;
      return [
        run.name,
        T.status[lang][run.status],
        r?.testAccuracy === undefined ? "–" : `${(100 * r.testAccuracy).toFixed(2)}%`,
        r?.finalLoss === undefined ? (run.losses.at(-1)?.toFixed(4) ?? "–") : r.finalLoss.toFixed(4),
        r?.parameters?.toLocaleString("en-US") ?? "–",
        r?.seconds === undefined ? "–" : r.seconds.toFixed(1),
      ];
    };
    table.replaceChildren(
      el("tr", {}, ...T.head[lang].map((h) => el("th", {}, h))),
      ...runs.map((run) =>
        el("tr", { "data-run": run.name, "data-status": run.status }, ...cells(run).map((c) => el("td", {}, c))),
      ),
    );
    // Each run keeps its colour (its place in the homework) as the others appear.
    const series: LossSeries[] = runs
      .map((run, color): LossSeries => {
        const x = run.losses.map((_, i) => i + 1);
        return { label: run.name, x, y: run.losses, style: "smooth", color };
      })
      .filter((series) => series.y.length > 0);
    chart.update(series);
    featuresBox.replaceChildren(
      ...runs
        .filter((run) => run.features.length > 0)
        .map((run) =>
          el(
            "div",
            { class: "run-features" },
            el("h4", {}, run.name),
            ...run.features.map((f) =>
              el("div", {}, el("h5", {}, f.layer), planeGrid(f.maps, { scale: scaleFor(f.maps[0]?.width ?? 20) })),
            ),
          ),
        ),
    );
  };
  ctx.lang.watch((lang) => {
    chart.setYLabel(T.lossAxis[lang]);
    render();
  });

  length.addEventListener("change", () => {
    runs = waiting();
    render();
  });
  job.start.addEventListener("click", () => {
    const images = Number(limit.value);
    const started = job.begin({
      type: "homework",
      epochsScale: Number(length.value),
      ...(images > 0 && images < 60000 ? { trainLimit: images } : {}),
    });
    if (!started) return;
    runs = waiting();
    render();
  });

  trainer.on("runStart", ({ index, name, count, found }) => {
    if (!job.owns) return;
    current = index;
    runs[index] = { ...runs[index], name, status: found ? "finished" : "training", losses: [] };
    message.textContent = `[${index + 1}/${count}] ${name}`;
    render();
  });
  trainer.on("event", ({ event }) => {
    if (!job.owns || current < 0) return;
    if (event.type === "start" && event.resumed !== undefined) {
      // A run resumed, or continuing an earlier run of the homework that is its first epochs: those epochs' losses.
      runs[current].losses = event.resumed.epochs.map((e) => e.loss);
      render();
    } else if (event.type === "epochEnd") {
      runs[current].losses.push(event.metrics.loss);
      render();
    } else if (event.type === "batch" && event.batch % 50 === 0) {
      message.textContent = `[${current + 1}/${runs.length}] ${runs[current].name} · epoch ${event.epoch} · ${event.batch}/${event.batches} · loss ${event.loss.toFixed(4)}`;
    }
  });
  trainer.on("runEnd", ({ index, row, epochLosses, features }) => {
    if (!job.owns) return;
    runs[index] = { name: row.name, status: row.status, row, losses: epochLosses, features };
    render();
  });
  trainer.on("homeworkDone", () => {
    if (!job.owns) return;
    job.reportReady();
    message.textContent = "";
  });

  return el(
    "div",
    { class: "homework" },
    el("p", {}, tr(ctx, T.intro)),
    el(
      "div",
      { class: "settings" },
      el("label", {}, tr(ctx, T.length), length),
      el("label", {}, tr(ctx, T.images), limit),
    ),
    job.buttons,
    message,
    table,
    chart.element,
    featuresBox,
  );
}
