import { resolve } from "node:path";
import { homeworkNotebook, notebookJson } from "../../src/notebook/index.js";
import { writeFileAtomic } from "../../src/node/atomic.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";

export interface NotebookFlags {
  lang?: Lang;
  out?: string;
  epochs: number;
  homeworkEpochs: number;
  trainLimit: number;
  importFrom: string;
}

/** `convlab notebook homework`: writes the homework notebook (.ipynb) and says how to open and run it. */
export function notebookCommand(which: string, flags: NotebookFlags): void {
  if (which !== "homework") throw new Error(`unknown notebook '${which}'; the one there is: homework`);
  const lang = flags.lang ?? localeLang();
  const path = resolve(flags.out ?? "homework.ipynb");
  const notebook = homeworkNotebook({
    lang,
    epochs: flags.epochs,
    homeworkEpochs: flags.homeworkEpochs,
    trainLimit: flags.trainLimit,
    importFrom: flags.importFrom,
  });
  writeFileAtomic(path, notebookJson(notebook));
  const lines =
    lang === "vi"
      ? [
          `Đã ghi ${path} (${notebook.cells.length} ô, kernel Deno).`,
          "Mở bằng Jupyter và chọn kernel Deno (cài một lần: npm install deno && npx deno jupyter --install).",
          `Chạy không giao diện: jupyter nbconvert --to notebook --execute --inplace ${flags.out ?? "homework.ipynb"}`,
        ]
      : [
          `Wrote ${path} (${notebook.cells.length} cells, Deno kernel).`,
          "Open it in Jupyter and pick the Deno kernel (install once: npm install deno && npx deno jupyter --install).",
          `Run it headless: jupyter nbconvert --to notebook --execute --inplace ${flags.out ?? "homework.ipynb"}`,
        ];
  console.log(lines.join("\n"));
}
