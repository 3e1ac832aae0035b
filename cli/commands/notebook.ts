import { resolve } from "node:path";
import { homeworkNotebook, notebookJson } from "../../src/notebook/index.js";
import { writeFileAtomic } from "../../src/node/atomic.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";
import { cliMessages } from "../messages.js";

export interface NotebookFlags {
  lang?: Lang;
  out: string;
  epochs: number;
  homeworkEpochs: number;
  trainLimit: number;
  importFrom: string;
}

/** `convlab notebook homework`: writes the homework notebook (.ipynb) and says how to open and run it. */
export function notebookCommand(flags: NotebookFlags): void {
  const m = cliMessages(flags.lang ?? localeLang()).notebook;
  const path = resolve(flags.out);
  const notebook = homeworkNotebook({
    lang: flags.lang ?? localeLang(),
    epochs: flags.epochs,
    homeworkEpochs: flags.homeworkEpochs,
    trainLimit: flags.trainLimit,
    importFrom: flags.importFrom,
  });
  writeFileAtomic(path, notebookJson(notebook));
  console.log([m.wrote(path, notebook.cells.length), m.open, m.headless(flags.out)].join("\n"));
}
