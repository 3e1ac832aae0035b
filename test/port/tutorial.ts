// The tutorial's exercise, its PyTorch code ported line by line to convlab's PyTorch-style API, as the README's
// "Write your own model" shows it. test/pytorch-api.test.ts runs it with no useBackend call and checks that it
// prints what `convlab train` prints. EPOCHS (default 5) sets range(5); STEPS stops each epoch early; USE_BACKEND
// calls useBackend(name) first, to time the default choice against the explicit one:
//   EPOCHS=1 STEPS=300 node --import tsx test/port/tutorial.ts   vs   USE_BACKEND=wasm EPOCHS=1 STEPS=300 …
import {
  Module,
  Conv2d,
  MaxPool2d,
  Linear,
  CrossEntropyLoss,
  SGD,
  DataLoader,
  manualSeed,
  relu,
  noGrad,
  getBackend,
  type Tensor,
} from "../../src/index.js";
import { MNIST, useBackend } from "../../src/node/index.js";

const EPOCHS = Number(process.env.EPOCHS ?? 5);
const STEPS = Number(process.env.STEPS ?? Infinity);
if (process.env.USE_BACKEND !== undefined) await useBackend(process.env.USE_BACKEND);
manualSeed(0);

// 1. Tải dữ liệu MNIST
const trainDataset = await MNIST({ root: "./data", train: true });
const testDataset = await MNIST({ root: "./data", train: false });
const trainLoader = new DataLoader(trainDataset, { batchSize: 64, shuffle: true });
const testLoader = new DataLoader(testDataset, { batchSize: 64, shuffle: false });

// 2. Định nghĩa mô hình CNN
class MNIST_CNN extends Module {
  conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
  conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });
  pool = new MaxPool2d(2, { stride: 2 });
  fc1 = new Linear(32 * 5 * 5, 10);

  forward(x: Tensor): Tensor {
    x = this.pool(relu(this.conv1(x)));
    x = this.pool(relu(this.conv2(x)));
    x = x.view(-1, 32 * 5 * 5);
    x = this.fc1(x);
    return x;
  }
}

const model = new MNIST_CNN();
const criterion = new CrossEntropyLoss();
const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
console.log(String(model));

// 3. Huấn luyện mô hình
const lossValues: number[] = [];
const started = performance.now();
let steps = 0;
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  let runningLoss = 0.0;
  let batches = 0;
  for (const [images, labels] of trainLoader) {
    if (batches === STEPS) break;
    optimizer.zeroGrad();
    const outputs = model(images);
    const loss = criterion(outputs, labels);
    loss.backward();
    optimizer.step();
    runningLoss += loss.item();
    batches++;
  }
  steps += batches;
  const epochLoss = runningLoss / batches; // len(train_loader) when the epoch runs whole
  lossValues.push(epochLoss);
  console.log(`Epoch ${epoch + 1}, Loss: ${epochLoss.toFixed(4)}`);
}
const msPerStep = (performance.now() - started) / steps;

// 4. Đánh giá mô hình
let correct = 0;
let total = 0;
noGrad(() => {
  for (const [images, labels] of testLoader) {
    const outputs = model(images);
    const [, predicted] = outputs.max(1);
    total += labels.size(0);
    correct += predicted.eq(labels).sum().item();
  }
});
console.log(`Test accuracy: ${((100 * correct) / total).toFixed(2)}%`);
console.log(`backend: ${getBackend()}, ${msPerStep.toFixed(2)} ms per step`);
