import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RunStorage } from "../train/storage.js";
import { writeFileAtomic } from "./atomic.js";

/** A run's files in a folder on disk (created on the first write); every write is atomic (temporary file, rename). */
export class FolderStorage implements RunStorage {
  constructor(readonly where: string) {}
  async read(name: string): Promise<Uint8Array | undefined> {
    const path = join(this.where, name);
    return existsSync(path) ? readFileSync(path) : undefined;
  }
  async write(name: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(join(this.where, name), bytes);
  }
  async remove(name: string): Promise<void> {
    rmSync(join(this.where, name), { force: true });
  }
}
