import { ConvlabError } from "../src/errors.js";
import type { Lang } from "../src/explain/index.js";
import type { LockOwner } from "../src/node/run-lock.js";
import { reportMessages } from "../src/report/messages.js";
import type { ConfigDifference, RunStatus } from "./run-folder.js";

/**
 * Every human-readable line the CLI prints, and the messages of the errors it composes itself, in English and the
 * tutorial's Vietnamese. Shaped like src/report/messages.ts: `vi` has the type of `en`, so a missing translation is a
 * compile error. Where the run report already names a thing ("Độ chính xác trên tập test", "Loss trên tập test") the
 * console reuses its words. The Vietnamese keeps the tutorial's habit of leaving the technical English terms (epoch,
 * loss, batch, feature map, kernel, learning rate, momentum, checkpoint) as they are; the tutorial also keeps its
 * `Epoch 1, Loss: 0.2792` line in English. Errors thrown inside src/ stay English; the CLI only labels them.
 */

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
/** The run report's words, so the console and report.html say the same thing. */
const report = { en: reportMessages("en"), vi: reportMessages("vi") };

/** What {@link CliError} `otherSettings` says: a run folder's run was trained with other settings than asked for. */
interface OtherSettings {
  dir: string;
  what: "checkpoint" | "finished run";
  difference: ConfigDifference;
  /** The checkpoint file, deleted to start over. */
  checkpoint: string;
}

/** What {@link CliError} `runLocked` says: who holds the run folder. */
interface RunLocked {
  dir: string;
  /** The lock file, to delete when its holder on another host is gone. */
  lock: string;
  owner: LockOwner;
  sameHost: boolean;
}

/** Why a write failed, by the system's code: the fix to suggest. */
const writeFix = {
  en: (reason: string) =>
    reason === "ENOSPC" || reason === "EDQUOT"
      ? "; free some space there, or choose an --out folder on another disk"
      : reason === "EACCES" || reason === "EPERM" || reason === "EROFS"
        ? "; that folder is not writable: choose another --out folder"
        : "",
  vi: (reason: string) =>
    reason === "ENOSPC" || reason === "EDQUOT"
      ? "; hãy giải phóng dung lượng ở đó, hoặc chọn thư mục --out trên một ổ đĩa khác"
      : reason === "EACCES" || reason === "EPERM" || reason === "EROFS"
        ? "; thư mục đó không ghi được: hãy chọn thư mục --out khác"
        : "",
};

/** A signal as the user knows it. */
const signalName = (signal: string) => (signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal);

/** What the same command, run again, will do: resume, start over, finish the report, or continue the sweep. */
export type Again = "resume" | "start" | "report" | "sweep";

const en = {
  /** The label before an error's message: `convlab: error: …`. */
  error: "error",
  helpHint: "(run with --help for the options)",
  /** After the message of an error that looks like a bug (a TypeError, a RangeError…), without --debug. */
  debugHint: "(run again with --debug to see where it happened)",

  /** Reasons a flag's value is refused, shown after commander's "option '--lr <number>' argument 'abc' is invalid." */
  flags: {
    notNumber: (value: string) => `'${value}' is not a number.`,
    wholeNumber: (min: number) => `It must be a whole number of at least ${min}.`,
    learningRate: "The learning rate must be greater than 0 (the tutorial uses 0.01).",
    momentum: "Momentum must be in [0, 1) (the tutorial uses 0.9).",
    arch: (archs: readonly string[]) => `Choose one of: ${archs.join(", ")}, or the path of a model spec file (.json).`,
    choose: (choices: readonly string[]) => `Choose one of: ${choices.join(", ")}.`,
    gridFormat: "Write it as key=value,value,…, e.g. lr=0.001,0.01,0.1.",
    gridUnknown: (key: string, guess: string | undefined, keys: readonly string[]) =>
      `Unknown setting '${key}'${guess !== undefined ? `; did you mean ${guess}?` : "."} Choose from: ${keys.join(", ")}.`,
    gridRepeated: (key: string) => `'${key}' is already in another --grid; give all its values in one.`,
  },

  /** Commander's own parse errors, as commander words them (see `localizeCommanderError` in cli/options.ts). */
  commander: {
    invalidOption: (flags: string, value: string, reason: string) =>
      `error: option '${flags}' argument '${value}' is invalid. ${reason}`,
    invalidArgument: (value: string, name: string, reason: string) =>
      `error: command-argument value '${value}' is invalid for argument '${name}'. ${reason}`,
    missingArgument: (name: string) => `error: missing required argument '${name}'`,
    optionMissingArgument: (flags: string) => `error: option '${flags}' argument missing`,
    missingMandatoryOption: (flags: string) => `error: required option '${flags}' not specified`,
    unknownOption: (flag: string) => `error: unknown option '${flag}'`,
    unknownCommand: (name: string) => `error: unknown command '${name}'`,
    tooManyArguments: (command: string | undefined, expected: number, got: number) =>
      `error: too many arguments${command !== undefined ? ` for '${command}'` : ""}. ` +
      `Expected ${expected} argument${expected === 1 ? "" : "s"} but got ${got}.`,
    didYouMean: (candidates: readonly string[]) =>
      candidates.length === 1 ? `(Did you mean ${candidates[0]}?)` : `(Did you mean one of ${candidates.join(", ")}?)`,
    /** Commander's reason for a value outside an option's `.choices()`. */
    allowed: (choices: readonly string[]) => `Allowed choices are ${choices.join(", ")}.`,
  },

  /** The errors the CLI composes, by code (see {@link CliError}). */
  errors: {
    alreadyTrained: (out: string) =>
      `${out} already holds a trained model (model.safetensors); choose another --out folder`,
    notCheckpoint: (path: string) => `${path} is not a convlab training checkpoint; delete it to start the run over`,
    otherSettings: ({ dir, what, difference: d, checkpoint }: OtherSettings) =>
      `${dir}: the ${what} there was trained with ${d.flag} ${d.saved}, but this run asks for ${d.flag} ` +
      `${d.wanted}${d.otherModel === true ? " (a different model)" : ""}; rerun with ${d.flag} ${d.saved} to ` +
      `continue it, choose another --out folder, or ` +
      (what === "checkpoint" ? `delete ${checkpoint} to start it over` : `delete ${dir} to train it again`),
    unreadable: (path: string, reason: string) => `${path}: cannot read it (${reason}); delete it or the run folder`,
    noDigit: (path: string, reason: string) =>
      `${path}: ${reason}; draw or photograph the digit darker than its background (or lighter on a dark one), ` +
      `large and in focus, with nothing else in the picture`,
    mnistIndexRange: (index: number, last: number) =>
      `--mnist-index ${index} is out of range: the test set has images 0–${last}`,
    imagesAndIndex: () => "give image files or --mnist-index N, not both",
    nothingToPredict: () =>
      "nothing to predict: give one or more image files (.png or .jpg), or --mnist-index N for a test image",
    noSuchFolder: (dir: string) =>
      `no such folder: ${dir}; train a model first with \`convlab train\`, or pass a runs folder`,
    unknownSweep: (preset: string) =>
      `unknown sweep '${preset}'; the built-in sweep is homework, or give --grid key=v1,v2,…`,
    nothingToSweep: () =>
      "nothing to sweep: run `convlab sweep homework`, or give --grid key=v1,v2,… (e.g. lr=0.01,0.1)",
    homeworkFixed: () => "homework fixes its own runs; drop --grid, or drop `homework` to sweep your grid",
    noRunFiles: (dir: string) => `${dir}: the run left no files; this is a bug in convlab sweep`,
    exportOverwrites: (weights: string) =>
      `${weights} is already the .onnx file export would write; pass --out with another path to write a copy`,
    outNotFolder: (dir: string) =>
      `--out ${dir} is a file, or lies under one; choose a folder for the run (it is created if missing)`,
    outUnwritable: (dir: string, detail: string, reason: string) =>
      `--out ${dir}: cannot create or write the run folder: ${detail} (${reason}); choose a folder where you can ` +
      `write, e.g. --out runs/my-run`,
    runLocked: ({ dir, lock, owner, sameHost }: RunLocked) =>
      `${dir} is in use by another convlab run: process ${owner.pid} on host ${owner.hostname}, started ` +
      `${owner.started}${owner.command !== undefined ? ` (${owner.command})` : ""}; ` +
      (sameHost
        ? `wait for it to finish, stop it (kill ${owner.pid}), or choose another --out folder`
        : `if that process no longer runs, delete ${lock}; or choose another --out folder`),
    writeFailed: (path: string, detail: string, reason: string) =>
      `cannot write ${path}: ${detail} (${reason})${writeFix.en(reason)}`,
    runProcessEnded: (dir: string, how: string) =>
      `the process training ${dir} ended (${how}) before the run did (killed, or out of memory); the sweep ` +
      `stopped its other runs`,
  },

  /** The run folder's lock (see src/node/run-lock.ts). */
  lock: {
    takeOver: (path: string, owner: LockOwner | undefined) =>
      owner !== undefined
        ? `convlab: ${path} was left by process ${owner.pid} (started ${owner.started}), which no longer runs; ` +
          `taking the run folder over`
        : `convlab: ${path} is not a lock that convlab wrote; taking the run folder over`,
  },

  /** Ctrl-C (SIGINT) or SIGTERM: what was kept, and how to go on. */
  interrupt: {
    stopped: (signal: string, at?: { epoch: number; batch: number; batches: number }) =>
      `convlab: stopped by ${signalName(signal)}` +
      (at !== undefined ? ` at epoch ${at.epoch}, batch ${at.batch} of ${at.batches}.` : "."),
    inRun: (name: string) => `The sweep was at run ${name}.`,
    kept: (checkpoint: string, epoch: number, epochs: number) =>
      `${checkpoint} keeps the run as it was after epoch ${epoch} of ${epochs}.`,
    nothingKept: "Nothing is saved yet: the first epoch had not ended.",
    reportLeft: (model: string, metrics: string) =>
      `${model} and ${metrics} are saved, but the report is not finished.`,
    finished: (out: string) => `The run in ${out} is finished.`,
    again: (what: Again) =>
      `Run the same command again to ${
        { resume: "resume from there", start: "start over", report: "finish the report", sweep: "continue the sweep" }[
          what
        ]
      }:`,
  },

  /** The progress bar of an epoch (cli-progress's format: {bar}, {value}, … are filled in by it). */
  progress: (epoch: number, epochs: number) =>
    `Epoch ${epoch}/${epochs} [{bar}] {value}/{total} | loss {loss} | {rate} img/s | ETA {etaText}`,
  /** The bar of the report's pictures (cli-progress's format). */
  pictures: "Pictures [{bar}] {value}/{total} | {name}",

  train: {
    resuming: (out: string, epoch: number, epochs: number) => `Resuming ${out} after epoch ${epoch} of ${epochs}`,
    /** The tutorial's line, with the epoch's seconds. */
    epoch: (epoch: number, loss: number, seconds: number) =>
      `Epoch ${epoch}, Loss: ${loss.toFixed(4)} (${seconds.toFixed(1)}s)`,
    testAccuracy: (accuracy: number) => `${report.en.testAccuracy}: ${pct(accuracy)}`,
    saved: (model: string, metrics: string) => `Saved ${model} and ${metrics}`,
    drawing: "Drawing the report's pictures…",
    /** A rerun of a run that was stopped while its report was drawn. */
    finishingReport: (out: string) => `${out} holds a finished run whose report was not finished; finishing it`,
  },

  /** The closing lines of train and sweep: the report and its pictures, each picture's files on a line. */
  report: (html: string) => `Saved ${html} (open it in a browser) and its pictures, each as SVG and PNG:`,
  savedFile: (path: string) => `Saved ${path}`,

  eval: {
    accuracy: (accuracy: number, correct: number, total: number) =>
      `${report.en.testAccuracy}: ${pct(accuracy)} (${correct}/${total})`,
    loss: (loss: number) => `${report.en.testLoss}: ${loss.toFixed(4)}`,
    perClass: "Per-class accuracy:",
    digit: (digit: number, accuracy: number, count: number) => `  ${digit}: ${pct(accuracy)} of ${count}`,
  },

  predict: {
    mnistImage: (index: number) => `MNIST test image ${index}`,
    label: (label: number) => ` (label ${label})`,
    seen: (path: string) => `what the model saw: ${path}`,
  },

  explain: {
    noFigure: (topic: string) =>
      `${topic} has no figure of its own (the tutorial draws four: conv, relu, pool, pipeline); nothing written. ` +
      `For its numbers, run: convlab explain ${topic}`,
  },

  notebook: {
    wrote: (path: string, cells: number) => `Wrote ${path} (${cells} cells, Deno kernel).`,
    open: "Open it in Jupyter and pick the Deno kernel (install once: npm install deno && npx deno jupyter --install).",
    headless: (file: string) => `Run it headless: jupyter nbconvert --to notebook --execute --inplace ${file}`,
  },

  features: {
    wrote: (svg: string, png: string) => `Wrote ${svg} and ${png}`,
  },

  /** `convlab export`: the file written and what an ONNX runtime sees in it. */
  export: {
    wrote: (path: string, bytes: number, opset: number, irVersion: number) =>
      `Wrote ${path} (${bytes.toLocaleString("en-US")} bytes): ONNX opset ${opset}, IR version ${irVersion}`,
    input: (name: string, shape: string) => `  input  '${name}' ${shape} float32 (batch: any size)`,
    output: (name: string, shape: string) => `  output '${name}' ${shape} float32`,
    ops: (ops: string) => `  operators: ${ops}`,
    parameters: (count: number, arch: string) =>
      `  parameters: ${count.toLocaleString("en-US")} float32 weights of the '${arch}' model`,
  },

  lab: {
    serving: (url: string) => `The lab is at ${url} (Ctrl+C stops it)`,
    threads: "Cross-origin isolated (COOP/COEP), so training runs on every core; MNIST comes from the embedded copy.",
    openFailed: (url: string) => `Could not open a browser; open ${url} yourself.`,
  },

  summary: {
    title: (name: string) => `Model '${name}', one example (batch size 1); the size formula is ⌊(H + 2·P − F) / S⌋ + 1`,
    head: {
      layer: "Layer (type)",
      shape: "Output shape",
      formula: "Size computed as",
      params: "Param #",
      multAdds: "Mult-adds",
    },
    input: "input",
    again: "again",
    reused: "(reused)",
    relu: "max(0, x), same shape",
    totalParams: "Total params",
    trainableParams: "Trainable params",
    multAdds: "Mult-adds per image",
    output: "Output",
    /** Why a Linear after a Flatten takes the inputs it does. */
    inputsOf: (key: string, inputs: number, image: string, sizes: string, flattened: string) =>
      `${key} takes ${inputs} inputs: the ${image} image shrinks ${sizes} on the way, and Flatten turns ${flattened} ` +
      `into ${inputs}`,
  },

  runs: {
    head: {
      run: "run",
      status: "status",
      arch: "arch",
      epochs: "epochs",
      lr: "lr",
      accuracy: "test acc",
      loss: "final loss",
      parameters: "params",
      seconds: "seconds",
    },
    status: { finished: "finished", interrupted: "interrupted", failed: "failed" } satisfies Record<RunStatus, string>,
    none: (dir: string) => `No runs in ${dir}.`,
  },

  sweep: {
    finishedBefore: "Finished before: skipped.",
    failedBefore: (error: string | undefined) => `Failed before: skipped (${error}).`,
    failed: (error: string) => `Failed: ${error}`,
    continues: (head: string, epoch: number) =>
      `${epoch === 1 ? "Its epoch 1 is" : `Its epochs 1–${epoch} are`} ${head}'s, trained just now: it goes on from there.`,
  },
};

export type CliMessages = typeof en;

const vi: CliMessages = {
  error: "lỗi",
  helpHint: "(chạy với --help để xem các tùy chọn)",
  debugHint: "(hãy chạy lại với --debug để xem lỗi xảy ra ở đâu)",

  flags: {
    notNumber: (value) => `'${value}' không phải là một số.`,
    wholeNumber: (min) => `Giá trị phải là số nguyên từ ${min} trở lên.`,
    learningRate: "Learning rate phải lớn hơn 0 (bài hướng dẫn dùng 0.01).",
    momentum: "Momentum phải nằm trong [0, 1) (bài hướng dẫn dùng 0.9).",
    arch: (archs) => `Hãy chọn một trong: ${archs.join(", ")}, hoặc đường dẫn tới một tệp mô tả mô hình (.json).`,
    choose: (choices) => `Hãy chọn một trong: ${choices.join(", ")}.`,
    gridFormat: "Hãy viết theo dạng key=giá_trị,giá_trị,…, ví dụ lr=0.001,0.01,0.1.",
    gridUnknown: (key, guess, keys) =>
      `Không có thiết lập '${key}'${guess !== undefined ? `; có phải ý bạn là ${guess}?` : "."} ` +
      `Hãy chọn trong: ${keys.join(", ")}.`,
    gridRepeated: (key) => `'${key}' đã có trong một --grid khác; hãy ghi mọi giá trị của nó trong cùng một --grid.`,
  },

  commander: {
    invalidOption: (flags, value, reason) => `lỗi: giá trị '${value}' của tùy chọn '${flags}' không hợp lệ. ${reason}`,
    invalidArgument: (value, name, reason) => `lỗi: giá trị '${value}' của đối số '${name}' không hợp lệ. ${reason}`,
    missingArgument: (name) => `lỗi: thiếu đối số bắt buộc '${name}'`,
    optionMissingArgument: (flags) => `lỗi: tùy chọn '${flags}' thiếu giá trị`,
    missingMandatoryOption: (flags) => `lỗi: thiếu tùy chọn bắt buộc '${flags}'`,
    unknownOption: (flag) => `lỗi: không có tùy chọn '${flag}'`,
    unknownCommand: (name) => `lỗi: không có lệnh '${name}'`,
    tooManyArguments: (command, expected, got) =>
      `lỗi: quá nhiều đối số${command !== undefined ? ` cho '${command}'` : ""}. ` +
      `Lệnh cần ${expected} đối số nhưng nhận được ${got}.`,
    didYouMean: (candidates) =>
      candidates.length === 1
        ? `(Có phải ý bạn là ${candidates[0]}?)`
        : `(Có phải ý bạn là một trong ${candidates.join(", ")}?)`,
    allowed: (choices) => `Hãy chọn một trong: ${choices.join(", ")}.`,
  },

  errors: {
    alreadyTrained: (out) =>
      `${out} đã chứa một mô hình đã huấn luyện (model.safetensors); hãy chọn thư mục --out khác`,
    notCheckpoint: (path) =>
      `${path} không phải checkpoint huấn luyện của convlab; hãy xóa nó để huấn luyện lại từ đầu`,
    otherSettings: ({ dir, what, difference: d, checkpoint }) =>
      `${dir}: ${what === "checkpoint" ? "checkpoint" : "lần chạy đã xong"} ở đó được huấn luyện với ${d.flag} ` +
      `${d.saved}, nhưng lần chạy này yêu cầu ${d.flag} ${d.wanted}${d.otherModel === true ? " (một mô hình khác)" : ""}; ` +
      `hãy chạy lại với ${d.flag} ${d.saved} để tiếp tục, chọn thư mục --out khác, hoặc ` +
      (what === "checkpoint" ? `xóa ${checkpoint} để huấn luyện lại từ đầu` : `xóa ${dir} để huấn luyện lại`),
    unreadable: (path, reason) => `${path}: không đọc được (${reason}); hãy xóa tệp này hoặc cả thư mục lần chạy`,
    noDigit: (path, reason) =>
      `${path}: ${reason}; hãy vẽ hoặc chụp chữ số đậm hơn nền (hoặc sáng hơn trên nền tối), to, rõ nét, và không ` +
      `có gì khác trong ảnh`,
    mnistIndexRange: (index, last) => `--mnist-index ${index} nằm ngoài phạm vi: tập test có các ảnh 0–${last}`,
    imagesAndIndex: () => "hãy đưa tệp ảnh hoặc --mnist-index N, không đưa cả hai",
    nothingToPredict: () =>
      "không có gì để dự đoán: hãy đưa một hoặc nhiều tệp ảnh (.png hoặc .jpg), hoặc --mnist-index N cho một ảnh test",
    noSuchFolder: (dir) =>
      `không có thư mục ${dir}; hãy huấn luyện một mô hình trước bằng \`convlab train\`, hoặc đưa vào một thư mục runs`,
    unknownSweep: (preset) => `không có sweep '${preset}'; sweep có sẵn là homework, hoặc hãy đưa --grid key=v1,v2,…`,
    nothingToSweep: () =>
      "không có gì để sweep: hãy chạy `convlab sweep homework`, hoặc đưa --grid key=v1,v2,… (ví dụ lr=0.01,0.1)",
    homeworkFixed: () =>
      "homework đã cố định các lần chạy của nó; hãy bỏ --grid, hoặc bỏ `homework` để sweep theo lưới của bạn",
    noRunFiles: (dir) => `${dir}: lần chạy không để lại tệp nào; đây là lỗi của convlab sweep`,
    exportOverwrites: (weights) =>
      `${weights} đã là chính tệp .onnx mà lệnh export sẽ ghi; hãy đưa --out với một đường dẫn khác để ghi bản sao`,
    outNotFolder: (dir) =>
      `--out ${dir} là một tệp, hoặc nằm dưới một tệp; hãy chọn một thư mục cho lần chạy (sẽ được tạo nếu chưa có)`,
    outUnwritable: (dir, detail, reason) =>
      `--out ${dir}: không tạo hoặc ghi được thư mục lần chạy: ${detail} (${reason}); hãy chọn một thư mục mà bạn ` +
      `ghi được, ví dụ --out runs/my-run`,
    runLocked: ({ dir, lock, owner, sameHost }) =>
      `${dir} đang được một lần chạy convlab khác dùng: tiến trình ${owner.pid} trên máy ${owner.hostname}, bắt đầu ` +
      `lúc ${owner.started}${owner.command !== undefined ? ` (${owner.command})` : ""}; ` +
      (sameHost
        ? `hãy đợi nó chạy xong, dừng nó (kill ${owner.pid}), hoặc chọn thư mục --out khác`
        : `nếu tiến trình đó không còn chạy, hãy xóa ${lock}; hoặc chọn thư mục --out khác`),
    writeFailed: (path, detail, reason) => `không ghi được ${path}: ${detail} (${reason})${writeFix.vi(reason)}`,
    runProcessEnded: (dir, how) =>
      `tiến trình huấn luyện ${dir} đã kết thúc (${how}) trước khi lần chạy xong (bị dừng, hoặc hết bộ nhớ); sweep ` +
      `đã dừng các lần chạy khác`,
  },

  lock: {
    takeOver: (path, owner) =>
      owner !== undefined
        ? `convlab: ${path} do tiến trình ${owner.pid} (bắt đầu lúc ${owner.started}) để lại, tiến trình này không ` +
          `còn chạy; tiếp quản thư mục lần chạy`
        : `convlab: ${path} không phải khóa do convlab ghi; tiếp quản thư mục lần chạy`,
  },

  interrupt: {
    stopped: (signal, at) =>
      `convlab: đã dừng bởi ${signalName(signal)}` +
      (at !== undefined ? ` ở epoch ${at.epoch}, batch ${at.batch}/${at.batches}.` : "."),
    inRun: (name) => `Sweep đang ở lần chạy ${name}.`,
    kept: (checkpoint, epoch, epochs) => `${checkpoint} giữ lần chạy như sau epoch ${epoch}/${epochs}.`,
    nothingKept: "Chưa có gì được lưu: epoch đầu tiên chưa xong.",
    reportLeft: (model, metrics) => `${model} và ${metrics} đã được lưu, nhưng báo cáo chưa xong.`,
    finished: (out) => `Lần chạy trong ${out} đã xong.`,
    again: (what) =>
      `Hãy chạy lại đúng lệnh này để ${
        {
          resume: "huấn luyện tiếp từ đó",
          start: "bắt đầu lại",
          report: "hoàn tất báo cáo",
          sweep: "tiếp tục sweep",
        }[what]
      }:`,
  },

  progress: (epoch, epochs) =>
    `Epoch ${epoch}/${epochs} [{bar}] {value}/{total} | loss {loss} | {rate} ảnh/s | còn {etaText}`,
  pictures: "Hình [{bar}] {value}/{total} | {name}",

  train: {
    resuming: (out, epoch, epochs) => `Huấn luyện tiếp ${out} từ sau epoch ${epoch} (tổng ${epochs} epoch)`,
    // The tutorial prints this line in English in its Vietnamese text too.
    epoch: en.train.epoch,
    testAccuracy: (accuracy) => `${report.vi.testAccuracy}: ${pct(accuracy)}`,
    saved: (model, metrics) => `Đã lưu ${model} và ${metrics}`,
    drawing: "Đang vẽ các hình của báo cáo…",
    finishingReport: (out) => `${out} chứa một lần chạy đã xong nhưng báo cáo chưa xong; đang hoàn tất báo cáo`,
  },

  report: (html) => `Đã lưu báo cáo ${html} (mở bằng trình duyệt) cùng các hình, mỗi hình ở dạng SVG và PNG:`,
  savedFile: (path) => `Đã lưu ${path}`,

  eval: {
    accuracy: (accuracy, correct, total) => `${report.vi.testAccuracy}: ${pct(accuracy)} (${correct}/${total})`,
    loss: (loss) => `${report.vi.testLoss}: ${loss.toFixed(4)}`,
    perClass: `${report.vi.perClass}:`,
    digit: (digit, accuracy, count) => `  ${digit}: ${pct(accuracy)} trên ${count} ảnh`,
  },

  predict: {
    mnistImage: (index) => `Ảnh test MNIST ${index}`,
    label: (label) => ` (nhãn ${label})`,
    seen: (path) => `ảnh mô hình đã nhìn thấy: ${path}`,
  },

  explain: {
    noFigure: (topic) =>
      `${topic} không có hình minh họa riêng (bài có bốn hình: conv, relu, pool, pipeline); không ghi tệp nào. ` +
      `Xem các con số bằng: convlab explain ${topic}`,
  },

  notebook: {
    wrote: (path, cells) => `Đã ghi ${path} (${cells} ô, kernel Deno).`,
    open: "Mở bằng Jupyter và chọn kernel Deno (cài một lần: npm install deno && npx deno jupyter --install).",
    headless: (file) => `Chạy không giao diện: jupyter nbconvert --to notebook --execute --inplace ${file}`,
  },

  lab: {
    serving: (url) => `Phòng thí nghiệm ở ${url} (Ctrl+C để dừng)`,
    threads: "Trang được cách ly (COOP/COEP) nên huấn luyện chạy trên mọi nhân; MNIST lấy từ bản đi kèm gói.",
    openFailed: (url) => `Không mở được trình duyệt; hãy tự mở ${url}.`,
  },

  features: {
    wrote: (svg, png) => `Đã lưu ${svg} và ${png}`,
  },

  export: {
    wrote: (path, bytes, opset, irVersion) =>
      `Đã ghi ${path} (${bytes.toLocaleString("en-US")} byte): ONNX opset ${opset}, IR version ${irVersion}`,
    input: (name, shape) => `  đầu vào '${name}' ${shape} float32 (batch: kích thước tùy ý)`,
    output: (name, shape) => `  đầu ra  '${name}' ${shape} float32`,
    ops: (ops) => `  các phép toán: ${ops}`,
    parameters: (count, arch) => `  tham số: ${count.toLocaleString("en-US")} trọng số float32 của mô hình '${arch}'`,
  },

  summary: {
    title: (name) => `Mô hình '${name}', một ảnh (batch size 1); công thức kích thước là ⌊(H + 2·P − F) / S⌋ + 1`,
    head: {
      layer: "Lớp (loại)",
      shape: "Kích thước đầu ra",
      formula: "Cách tính kích thước",
      params: "Số tham số",
      multAdds: "Phép nhân-cộng",
    },
    input: "đầu vào",
    again: "lần nữa",
    reused: "(dùng lại)",
    relu: "max(0, x), giữ nguyên kích thước",
    totalParams: "Tổng số tham số",
    trainableParams: "Số tham số huấn luyện được",
    multAdds: "Phép nhân-cộng mỗi ảnh",
    output: "Đầu ra",
    inputsOf: (key, inputs, image, sizes, flattened) =>
      `${key} nhận ${inputs} đầu vào: ảnh ${image} nhỏ dần ${sizes} qua các lớp, rồi Flatten biến ${flattened} ` +
      `thành ${inputs}`,
  },

  runs: {
    head: {
      run: "lần chạy",
      status: "trạng thái",
      arch: "arch",
      epochs: "epochs",
      lr: "lr",
      accuracy: "độ chính xác test",
      loss: "loss cuối",
      parameters: "số tham số",
      seconds: "số giây",
    },
    status: { finished: "xong", interrupted: "bị ngắt", failed: "thất bại" },
    none: (dir) => `Không có lần chạy nào trong ${dir}.`,
  },

  sweep: {
    finishedBefore: "Đã xong từ trước: bỏ qua.",
    failedBefore: (error) => `Đã thất bại từ trước: bỏ qua (${error}).`,
    failed: (error) => `Thất bại: ${error}`,
    continues: (head, epoch) =>
      `${epoch === 1 ? "Epoch 1" : `Các epoch 1–${epoch}`} của nó chính là ${head} vừa huấn luyện xong: tiếp tục từ đó.`,
  },
};

const MESSAGES: Record<Lang, CliMessages> = { en, vi };

/** The console texts of a language. */
export function cliMessages(lang: Lang): CliMessages {
  return MESSAGES[lang];
}

type Errors = CliMessages["errors"];
export type CliErrorCode = keyof Errors;

/** `alreadyTrained` → `E_ALREADY_TRAINED`: a CliError's {@link ConvlabError} code, from its message key. */
const errorCode = (key: string) => `E_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * An error the CLI composes itself, or one of the library's said in the user's language: a message key and the
 * values its message needs. Its `code` is the key in convlab's form (`noSuchFolder` → `E_NO_SUCH_FOLDER`), or the
 * library error's own (`options.code`). `message` is English, as for errors from src/; `convlab`'s
 * top level prints {@link CliError.in} the chosen language instead, then the `notes` (lines already in that
 * language: what was kept, how to go on). Test the code, not the text.
 */
export class CliError<C extends CliErrorCode = CliErrorCode> extends ConvlabError {
  readonly args: Parameters<Errors[C]>;
  readonly notes: readonly string[];

  constructor(
    readonly key: C,
    args: Parameters<Errors[C]>,
    options?: ErrorOptions & { notes?: readonly string[]; code?: string },
  ) {
    super(options?.code ?? errorCode(key), errorText("en", key, args), options);
    this.args = args;
    this.notes = options?.notes ?? [];
  }

  /** The message in `lang`. */
  in(lang: Lang): string {
    return errorText(lang, this.key, this.args);
  }
}

function errorText<C extends CliErrorCode>(lang: Lang, key: C, args: Parameters<Errors[C]>): string {
  const text = cliMessages(lang).errors[key] as (...values: Parameters<Errors[C]>) => string;
  return text(...args);
}
