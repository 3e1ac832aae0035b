import { createStore, del, get, set, type UseStore } from "idb-keyval";
import type { RunStorage } from "../train/storage.js";

let database: UseStore | undefined;

/** convlab's IndexedDB store (database `convlab`, object store `files`), opened on first use. */
function store(): UseStore {
  database ??= createStore("convlab", "files");
  return database;
}

/**
 * A run's files in the page's IndexedDB, each under `<prefix>/<name>`, so a trained model and an interrupted
 * run's checkpoint survive a reload. Each write is one IndexedDB transaction: it lands whole or not at all.
 */
export class IdbStorage implements RunStorage {
  readonly where: string;
  constructor(readonly prefix: string) {
    this.where = `indexeddb:${prefix}`;
  }
  async read(name: string): Promise<Uint8Array | undefined> {
    const value: unknown = await get(`${this.prefix}/${name}`, store());
    return value instanceof Uint8Array ? value : undefined;
  }
  async write(name: string, bytes: Uint8Array): Promise<void> {
    await set(`${this.prefix}/${name}`, bytes, store());
  }
  async remove(name: string): Promise<void> {
    await del(`${this.prefix}/${name}`, store());
  }
}
