import { convChecks, fcChecks, paddingChecks, pipelineChecks, poolChecks, reluChecks } from "./checks.js";
import { explainConv } from "./conv.js";
import { FC_CLASSES, TUTORIAL } from "./examples.js";
import { explainFc } from "./fc.js";
import { ExplainInputError } from "./matrix.js";
import { explainPadding } from "./padding.js";
import { explainPipeline } from "./pipeline.js";
import { explainPool } from "./pool.js";
import { explainRelu } from "./relu.js";
import type {
  Check,
  ConvResult,
  FcResult,
  Matrix,
  PaddingResult,
  PipelineResult,
  PoolResult,
  ReluResult,
  Topic,
} from "./types.js";
import { TOPICS } from "./types.js";

/**
 * The learner's own numbers. Without any, every topic explains the tutorial's examples and checks its printed
 * results; with them, the same walk-through runs on them (there is nothing printed to check).
 */
export interface ExplainInput {
  /** The image (default: the tutorial's "7"). */
  image?: Matrix;
  /** The kernel (default: the tutorial's horizontal-edge kernel). */
  kernel?: Matrix;
  /** Added to every sum of the convolution, as a trained conv1's bias (default 0). */
  bias?: number;
  stride?: number;
  padding?: number;
  /** Where the image and kernel come from, shown to the learner, e.g. "MNIST test image 0 (label 7)". */
  imageSource?: string;
  kernelSource?: string;
}

/** Each topic's computed results and the tutorial's printed numbers checked against them (none for custom input). */
export type TopicResult =
  | { topic: "conv"; conv: ConvResult; checks: Check[] }
  | { topic: "padding"; padding: PaddingResult; checks: Check[] }
  | { topic: "relu"; relus: { of: "featureMap" | "negatives" | "input"; result: ReluResult }[]; checks: Check[] }
  | { topic: "pool"; pool: PoolResult; checks: Check[] }
  | { topic: "fc"; fc: FcResult; checks: Check[] }
  | { topic: "pipeline"; pipeline: PipelineResult; checks: Check[] };

export interface Explanation {
  /** "tutorial": the tutorial's numbers, checked; "custom": the learner's. */
  mode: "tutorial" | "custom";
  /** Where the learner's image and kernel came from (custom mode). */
  imageSource?: string;
  kernelSource?: string;
  topics: TopicResult[];
}

/** Whether `input` holds any number of the learner's own (else: the tutorial's examples). */
export function isCustom(input: ExplainInput): boolean {
  return (
    input.image !== undefined ||
    input.kernel !== undefined ||
    input.stride !== undefined ||
    input.padding !== undefined ||
    input.bias !== undefined
  );
}

/**
 * Runs the worked examples of `topics` through the library's own ops (conv2d, relu, maxPool2d, linear, with mul,
 * sum and argmax for the intermediate steps), on the tutorial's numbers or the learner's `input`.
 *
 * With custom input, relu and pool take the feature map of `input.kernel` over `input.image` when a kernel is given
 * (the chain of §3), else `input.image` itself, read as a feature map; fc has no custom form.
 *
 * @throws ExplainInputError for input that cannot be explained (a kernel larger than the padded image, fc with custom
 * input, a map smaller than the pooling window).
 */
export function explain(topics: readonly Topic[], input: ExplainInput = {}): Explanation {
  const custom = isCustom(input);
  const image = input.image ?? TUTORIAL.image;
  const kernel = input.kernel ?? TUTORIAL.kernel;
  const conv = { stride: input.stride ?? 1, padding: input.padding ?? 0, bias: input.bias ?? 0 };
  const base = (): ConvResult => explainConv(image, kernel, conv);
  const results = topics.map((topic): TopicResult => {
    switch (topic) {
      case "conv": {
        const result = base();
        return { topic, conv: result, checks: custom ? [] : convChecks(result) };
      }
      case "padding": {
        if (custom) return { topic, padding: explainPadding(image, kernel, [conv], [conv]), checks: [] };
        const t = TUTORIAL.outputSize;
        // The tutorial's size, the size-keeping P = 1, then a stride that divides H − F + 2P and one that does not.
        const pairs = [
          { padding: t.padding, stride: t.stride },
          { padding: 1, stride: 1 },
          { padding: 1, stride: 2 },
          { padding: 1, stride: 3 },
        ];
        const padding = explainPadding(image, kernel, pairs, pairs.slice(2));
        return { topic, padding, checks: paddingChecks(padding.sizes[0]) };
      }
      case "relu": {
        if (custom) {
          const of = input.kernel === undefined ? image : base().featureMap;
          return { topic, relus: [{ of: "input", result: explainRelu(of) }], checks: [] };
        }
        const ofMap = explainRelu(base().featureMap);
        const ofNegatives = explainRelu(TUTORIAL.negativeMap);
        const relus = [
          { of: "featureMap" as const, result: ofMap },
          { of: "negatives" as const, result: ofNegatives },
        ];
        return { topic, relus, checks: reluChecks(ofMap, ofNegatives) };
      }
      case "pool": {
        if (custom) {
          const of = input.kernel === undefined ? image : explainRelu(base().featureMap).output;
          return { topic, pool: explainPool(of), checks: [] };
        }
        const pool = explainPool(TUTORIAL.poolMap);
        return { topic, pool, checks: poolChecks(pool) };
      }
      case "fc": {
        if (custom) {
          throw new ExplainInputError(
            "fc explains the tutorial's x, W and b; --image, --kernel, --stride, --padding, --mnist-index and " +
              "--weights apply to conv, padding, relu, pool and pipeline",
          );
        }
        const fc = explainFc([...TUTORIAL.x], TUTORIAL.weight, [...TUTORIAL.bias], FC_CLASSES);
        return { topic, fc, checks: fcChecks(fc) };
      }
      case "pipeline": {
        const fc = { weight: TUTORIAL.weight, bias: [...TUTORIAL.bias], classes: FC_CLASSES };
        // The tutorial's chain needs P = 1 to reach W's 4 inputs (see explainPipeline); the learner's runs as given.
        const pipeline = explainPipeline(image, kernel, custom ? conv : { ...conv, padding: 1 }, fc);
        const unpadded = custom ? [] : pipelineChecks(explainRelu(base().featureMap));
        return { topic, pipeline, checks: unpadded };
      }
    }
  });
  return {
    mode: custom ? "custom" : "tutorial",
    imageSource: input.imageSource,
    kernelSource: input.kernelSource,
    topics: results,
  };
}

/** Every topic, in the tutorial's order; with custom input, every topic but fc (which has no custom form). */
export function allTopics(custom: boolean): Topic[] {
  return TOPICS.filter((t) => !custom || t !== "fc");
}
