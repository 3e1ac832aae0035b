/**
 * Where a training run keeps its files (model.safetensors, metrics.json, checkpoint.safetensors, failed.json): a
 * folder on disk in Node (`FolderStorage` in src/node/run-storage.ts), IndexedDB in a browser (`IdbStorage` in
 * src/browser/idb-storage.ts), or memory. Names are file names within the run, such as `model.safetensors`.
 *
 * `write` must be atomic: after a crash a name holds its old bytes or its new ones, never a mix, so an interrupted
 * run always leaves a checkpoint that loads.
 */
export interface RunStorage {
  /** A short description of where the run lives (a folder's path, `indexeddb:<prefix>`), for messages. */
  readonly where: string;
  /** The bytes stored under `name`, or undefined when there are none. */
  read(name: string): Promise<Uint8Array | undefined>;
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Removes `name`; removing a name that is not there is not an error. */
  remove(name: string): Promise<void>;
}

/** A run kept in memory: for tests, and for a page that does not persist its runs. */
export class MemoryStorage implements RunStorage {
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly where = "memory") {}
  async read(name: string): Promise<Uint8Array | undefined> {
    return this.files.get(name);
  }
  async write(name: string, bytes: Uint8Array): Promise<void> {
    this.files.set(name, bytes.slice());
  }
  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `value` as pretty JSON with a final newline, as the CLI's metrics.json always was. */
export function writeJson(storage: RunStorage, name: string, value: unknown): Promise<void> {
  return storage.write(name, encoder.encode(JSON.stringify(value, null, 2) + "\n"));
}

/** Reads JSON written by {@link writeJson}; undefined when absent, an error naming the file when unreadable. */
export async function readJson<T>(storage: RunStorage, name: string): Promise<T | undefined> {
  const bytes = await storage.read(name);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (error) {
    throw new Error(`${storage.where}/${name}: not valid JSON (${(error as Error).message}); delete it or restore it`, {
      cause: error,
    });
  }
}
