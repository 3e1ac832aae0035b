import open from "open";
import { startLabServer, type LabServer } from "../../src/node/lab-server.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";
import { cliMessages } from "../messages.js";

export interface LabFlags {
  port: number;
  host: string;
  /** False with --no-open. */
  open: boolean;
  lang?: Lang;
}

/**
 * `convlab lab`: serves the lab page (the tutorial live: theory, training, drawing, homework) with the headers that
 * let it train on every core, prints its URL and opens it, until Ctrl+C.
 */
export async function labCommand(flags: LabFlags): Promise<LabServer> {
  const lang = flags.lang ?? localeLang();
  const m = cliMessages(lang).lab;
  const lab = await startLabServer({ port: flags.port, host: flags.host });
  const url = `${lab.url}?lang=${lang}`;
  console.log(m.serving(url));
  console.log(m.threads);
  if (flags.open) {
    open(url).catch(() => console.log(m.openFailed(url)));
  }
  return lab;
}
