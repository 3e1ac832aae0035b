import { setFlagsFromString } from "node:v8";

/**
 * The V8 flags of convlab's own processes (the CLI, and the training and report processes it starts): TurboFan
 * without inlining. A training step's JavaScript (autograd, the ops, the kernel calls) is small next to its kernels,
 * but optimizing it with inlining costs about 300 ms of background compilation in the first epoch, which on a
 * 2-core machine whose cores both run kernels comes straight out of the training: that epoch took ~12% longer than
 * the next. Without inlining, 200 ms of compilation; `convlab train`'s first epoch 2.32 → 2.19 s (medians of 4,
 * A B A B), the later epochs unchanged (2.02 and 2.00 s). Set for the processes convlab owns only: a program that
 * imports convlab keeps its own flags.
 */
export const JIT_FLAGS: readonly string[] = ["--no-turbo-inlining"];

/** Sets {@link JIT_FLAGS} in this process, before the code they concern is optimized. */
export function useConvlabJitFlags(): void {
  for (const flag of JIT_FLAGS) setFlagsFromString(flag);
}
