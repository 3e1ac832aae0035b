import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { delimiter, join } from "node:path";
import { REPO, run, show } from "./cli.js";
import { scratch } from "./packed.js";

export { run };
export { installPackedConvlab } from "./packed.js";

/**
 * convlab as a user of Deno and Jupyter gets it: the packed tarball installed in a fresh npm project, Deno's binary
 * from the npm package `deno` (a devDependency), and Deno's Jupyter kernel registered in a scratch folder. Nothing
 * here writes to the user's home: Jupyter's data, config and runtime folders, Deno's cache and the kernelspec all
 * live in one temporary folder per test process, removed when it exits.
 *
 * Typical use:
 *   const project = await installPackedConvlab();              // node_modules/convlab, as `npm install convlab`
 *   const nb = await executeNotebook(path, { cwd: project });  // the notebook's JSON, executed on Deno's kernel
 *   const { byMime, errors } = notebookOutputs(nb);
 */

// ---------------------------------------------------------------------------------------------------------------
// Deno

/**
 * Deno's binary as the npm package `deno` ships it: its postinstall script copies (or hard-links) it to
 * node_modules/deno/deno; without that script, it is still in the platform's optional package @deno/<os>-<cpu>.
 */
export function denoBinary(): string | undefined {
  const exe = platform() === "win32" ? "deno.exe" : "deno";
  const target = `${platform()}-${arch()}${platform() === "linux" ? "-glibc" : ""}`;
  const candidates = [join(REPO, "node_modules", "deno", exe), join(REPO, "node_modules", "@deno", target, exe)];
  return candidates.find((path) => existsSync(path));
}

/** The `skip` option of a test that runs Deno: false, or why it cannot run here. */
export const denoMissing: false | string =
  denoBinary() === undefined ? "Deno's binary is not in node_modules (npm install; `deno` is a devDependency)" : false;

/** Deno's cache in the scratch folder, no update check, no colours (plain text/plain outputs), no prompts. */
function denoEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DENO_DIR: scratch("deno-dir"),
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Runs `deno <args>` (e.g. ["run", "--no-prompt", "main.ts"]) in `cwd`, with Deno's cache in the scratch folder. */
export function runDeno(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  const deno = denoBinary();
  if (deno === undefined) throw new Error(denoMissing || "no deno");
  return run(deno, args, { cwd: options.cwd, env: denoEnv(options.env), timeoutMs: options.timeoutMs });
}

// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Jupyter

/** Which executable `name` is on $PATH, if any. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, name);
    if (dir !== "" && existsSync(path)) return path;
  }
  return undefined;
}

/**
 * The Python that runs `jupyter` (its #! line), which has nbclient where Jupyter is installed: `python3` on $PATH
 * may be another one (a pyenv shim, a virtualenv) without it.
 */
export function jupyterPython(jupyter: string = onPath("jupyter") ?? "jupyter"): string {
  const line = readFileSync(jupyter, "utf8").split("\n", 1)[0];
  if (!line.startsWith("#!")) return "python3";
  const words = line.slice(2).trim().split(/\s+/);
  return words[0].endsWith("/env") ? (words.find((word, i) => i > 0 && !word.startsWith("-")) ?? "python3") : words[0];
}

let jupyterCheck: false | string | undefined;

/**
 * The `skip` option of a notebook test: false, or why notebooks cannot run here (no Deno, no `jupyter`, or no
 * nbclient for Jupyter's Python). .ci/run installs Debian's jupyter-nbconvert, python3-nbclient and python3-ipykernel.
 */
export function notebooksMissing(): false | string {
  if (jupyterCheck !== undefined) return jupyterCheck;
  const install = "apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel; .ci/run does";
  const jupyter = onPath("jupyter");
  if (denoMissing) jupyterCheck = denoMissing;
  else if (jupyter === undefined) jupyterCheck = `jupyter is not installed (${install})`;
  else {
    const python = jupyterPython(jupyter);
    const probe = spawnSync(python, ["-c", "import nbclient, nbformat, jupyter_client"], { encoding: "utf8" });
    jupyterCheck =
      probe.status === 0 ? false : `nbclient is not installed for ${python}, which runs ${jupyter} (${install})`;
  }
  return jupyterCheck;
}

let kernel: Promise<NodeJS.ProcessEnv> | undefined;

/**
 * Registers Deno's kernel as a user does, with `deno jupyter --install`, but into the scratch folder: Deno writes
 * the kernelspec to $XDG_DATA_HOME/jupyter/kernels/deno (it ignores $JUPYTER_DATA_DIR; $HOME points into the scratch
 * folder too, in case it ever stops honouring XDG). Resolves to the environment that makes Jupyter find that
 * kernelspec first and keep its config, runtime files and IPython folder in the scratch folder. Once per process.
 */
export function installDenoKernel(): Promise<NodeJS.ProcessEnv> {
  kernel ??= (async () => {
    const data = scratch("xdg-data");
    const home = scratch("home");
    await runDeno(["jupyter", "--install", "--force"], { cwd: home, env: { XDG_DATA_HOME: data, HOME: home } }).then(
      (result) => {
        if (result.code !== 0) throw new Error(`deno jupyter --install failed\n${show(result)}`);
      },
    );
    const spec = join(data, "jupyter", "kernels", "deno", "kernel.json");
    if (!existsSync(spec)) throw new Error(`deno jupyter --install wrote no ${spec}: where does it install now?`);
    const env = denoEnv({
      JUPYTER_DATA_DIR: join(data, "jupyter"),
      JUPYTER_CONFIG_DIR: scratch("jupyter-config"),
      JUPYTER_RUNTIME_DIR: scratch("jupyter-runtime"),
      IPYTHONDIR: scratch("ipython"),
    });
    delete env.JUPYTER_PATH; // searched before JUPYTER_DATA_DIR: another `deno` kernelspec there would win
    return env;
  })();
  return kernel;
}

/**
 * Runs a notebook like `jupyter nbconvert --to notebook --execute --allow-errors`, on nbclient (the library that
 * nbconvert's --execute runs), with one repair for Deno's kernel. Deno sends a cell's execute_result (the value of
 * its last expression, published from JavaScript) on a path of its own, and it can reach Jupyter after the status
 * message that ends the cell (idle). nbclient stops listening to a cell at that message and drops what comes later:
 * measured on Deno 2.9.6 with a 3-cell notebook, 3 runs in 10 lost one output under nbconvert, most often the first
 * cell's. This client files every message under the cell whose request it answers, however late it comes, and after
 * each cell sends an empty silent request and waits for its idle, so stragglers are in before the next cell starts
 * and after the last one (0 lost in 40 runs, also with the 2 cores busy).
 *
 * argv: notebook, output, working directory, kernel name, per-cell timeout in seconds.
 */
const RUN_NOTEBOOK_PY = String.raw`
import asyncio, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async

if not hasattr(NotebookClient, "_async_poll_output_msg"):
    sys.exit("nbclient changed: NotebookClient._async_poll_output_msg, which this runner overrides, is gone")

class LateOutputClient(NotebookClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cells_by_request = {}

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self.cells_by_request[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            request = msg["parent_header"].get("msg_id")
            if request not in self.cells_by_request:
                continue
            try:
                self.process_message(msg, *self.cells_by_request[request])
            except CellExecutionComplete:
                if request == parent_msg_id:
                    return

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and cell.source.strip():
            request = await ensure_async(self.kc.execute("", silent=True, store_history=False))
            scratch = nbformat.v4.new_code_cell(metadata={"execution": {}})
            await asyncio.wait_for(self._async_poll_output_msg(request, scratch, -1), self.iopub_timeout)
            while True:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.iopub_timeout))
                if reply["parent_header"].get("msg_id") == request:
                    break
        return cell

notebook, output, cwd, kernel, timeout = sys.argv[1:6]
nb = nbformat.read(notebook, as_version=4)
LateOutputClient(nb, kernel_name=kernel, timeout=int(timeout), allow_errors=True,
                 resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, output)
`;

/** One output of an executed notebook, as nbformat 4 stores it (multi-line strings may be lists of lines). */
export interface NotebookOutput {
  output_type: "execute_result" | "display_data" | "stream" | "error";
  data?: Record<string, string | string[] | unknown>;
  name?: "stdout" | "stderr";
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface ExecutedNotebook {
  cells: { cell_type: string; id?: string; source: string | string[]; outputs?: NotebookOutput[] }[];
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ExecuteOptions {
  /** The kernel's working directory: where Deno looks for package.json and node_modules. */
  cwd: string;
  /** Seconds each cell may take (nbconvert's --ExecutePreprocessor.timeout). Default 60. */
  timeoutSeconds?: number;
  /** Extra environment for the kernel, e.g. { CONVLAB_THREADS: "2" }. */
  env?: NodeJS.ProcessEnv;
  /** Kernel name. Default "deno". */
  kernelName?: string;
}

/**
 * Executes the notebook at `path` on Deno's kernel (registered by installDenoKernel) in `cwd` and resolves to the
 * executed notebook's JSON; the file itself is left as it was. A cell that throws does not stop the run: its error
 * is one of the outputs (see notebookOutputs). Rejects if a cell times out, the kernel dies or Jupyter fails, with
 * Jupyter's output. Check notebooksMissing() first.
 */
export async function executeNotebook(path: string, options: ExecuteOptions): Promise<ExecutedNotebook> {
  const missing = notebooksMissing();
  if (missing) throw new Error(missing);
  const env = { ...(await installDenoKernel()), ...options.env };
  const output = join(mkdtempSync(join(scratch("executed"), "nb-")), "executed.ipynb");
  const timeout = options.timeoutSeconds ?? 60;
  const args = ["-c", RUN_NOTEBOOK_PY, path, output, options.cwd, options.kernelName ?? "deno", String(timeout)];
  const result = await run(jupyterPython(onPath("jupyter")!), args, {
    cwd: options.cwd,
    env,
    // Every cell may take its timeout; beyond that, nbclient's own timeout should have ended the run.
    timeoutMs:
      60_000 + 1000 * timeout * (1 + (JSON.parse(readFileSync(path, "utf8")) as ExecutedNotebook).cells.length),
  });
  if (result.code !== 0 || !existsSync(output)) throw new Error(`executing ${path} failed\n${show(result)}`);
  return JSON.parse(readFileSync(output, "utf8")) as ExecutedNotebook;
}

/** nbformat's multi-line string: a string, or a list of lines to join. */
function joined(text: unknown): string {
  if (Array.isArray(text)) return text.join("");
  return typeof text === "string" ? text : JSON.stringify(text);
}

export interface OutputText {
  /** The cell's index in the notebook's `cells` (Markdown cells count). */
  cell: number;
  text: string;
}

export interface NotebookError {
  cell: number;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface NotebookOutputs {
  /** Every execute_result and display_data, by MIME type ("text/plain", "image/svg+xml", …), in notebook order. */
  byMime: Map<string, OutputText[]>;
  /** What cells printed, stdout and stderr together, in order. */
  streams: (OutputText & { name: string })[];
  /** Every error output (a cell that threw, or a display that failed). */
  errors: NotebookError[];
}

/** Lists an executed notebook's outputs by MIME type, its printed streams and its errors. */
export function notebookOutputs(notebook: ExecutedNotebook): NotebookOutputs {
  const outputs: NotebookOutputs = { byMime: new Map(), streams: [], errors: [] };
  notebook.cells.forEach((cell, index) => {
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "stream") {
        outputs.streams.push({ cell: index, name: output.name ?? "stdout", text: joined(output.text) });
      } else if (output.output_type === "error") {
        outputs.errors.push({
          cell: index,
          ename: output.ename ?? "",
          evalue: output.evalue ?? "",
          traceback: output.traceback ?? [],
        });
      } else {
        for (const [mime, value] of Object.entries(output.data ?? {})) {
          const list = outputs.byMime.get(mime) ?? [];
          list.push({ cell: index, text: joined(value) });
          outputs.byMime.set(mime, list);
        }
      }
    }
  });
  return outputs;
}

/** The errors of notebookOutputs as readable lines, for an assertion's message. */
export function formatErrors(errors: NotebookError[]): string {
  return errors.map((e) => `cell ${e.cell}: ${e.ename}: ${e.evalue}\n  ${e.traceback.join("\n  ")}`).join("\n");
}
