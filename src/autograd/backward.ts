import { isScoped } from "../tensor/scope.js";
import { Tensor, allocLike, shapeToString, type FloatStorage } from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/** Nodes reachable from `root` through recorded ops, each after every node that consumes it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long chains of ops) must not overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    const inputs = node.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const input = inputs[next];
      if (input.requiresGrad && !seen.has(input)) {
        seen.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

function accumulate(into: FloatStorage, add: FloatStorage): void {
  for (let i = 0; i < into.length; i++) into[i] += add[i];
}

/**
 * Reverse-mode differentiation from `root`. Gradients of intermediate results live only during this call;
 * leaves that require grad get theirs added (`+=`) to `.grad`, so calling backward twice accumulates, as in PyTorch.
 */
export function runBackward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) {
    throw new ConvlabError(
      "E_BACKWARD_NO_GRAD",
      "backward(): the tensor does not require grad (no input required grad, it was made in noGrad, or its inputs " +
        "were returned from a tidy() scope, which detaches them: call backward() inside the scope)",
    );
  }
  if (root.data instanceof Int32Array)
    throw new ConvlabError("E_DTYPE", "backward(): the tensor is not floating-point");
  let seedGrad: FloatStorage;
  if (gradient === undefined) {
    if (root.numel() !== 1) {
      throw new ConvlabError(
        "E_BACKWARD_GRADIENT",
        `backward(): a gradient is needed for a non-scalar output (shape ${shapeToString(root.shape)}), as in PyTorch`,
      );
    }
    seedGrad = allocLike(root.data, 1);
    seedGrad[0] = 1;
  } else {
    if (gradient.numel() !== root.numel() || gradient.data instanceof Int32Array) {
      throw new ConvlabError(
        "E_BACKWARD_GRADIENT",
        `backward(): gradient shape ${shapeToString(gradient.shape)} does not match output ${shapeToString(root.shape)}`,
      );
    }
    seedGrad = allocLike(root.data, root.numel());
    seedGrad.set(gradient.data);
  }

  const grads = new Map<Tensor, FloatStorage>([[root, seedGrad]]);
  for (const node of topologicalOrder(root)) {
    const g = grads.get(node);
    if (g === undefined) continue;
    grads.delete(node);
    if (node.gradFn === null) {
      // A leaf's gradient outlives the step's tidy() scope (the optimizer and the caller read it).
      if (node.grad === null) node.grad = new Tensor(isScoped(g) ? g.slice() : g, node.shape);
      else accumulate(node.grad.data as FloatStorage, g);
      continue;
    }
    const inputGrads = node.gradFn.backward(g);
    // A gradient kept for an input is later added into in place, so no two inputs may keep the same array: one that
    // an earlier input was given too is copied. One handed on as it came (reshape's, flatten's: g itself, no longer
    // anyone else's) is kept as it is: a copy would also move it out of the kernels' memory (see WasmArena) for the
    // next op to copy back in.
    node.gradFn.inputs.forEach((input, i) => {
      const ig = inputGrads[i];
      if (ig === null || !input.requiresGrad) return;
      const existing = grads.get(input);
      if (existing !== undefined) accumulate(existing, ig);
      else grads.set(input, inputGrads.indexOf(ig) < i ? ig.slice() : ig);
    });
  }
}
