import type { ReportLang } from "./types.js";

/**
 * Every label and title of the run pictures and reports. The Vietnamese follows the tutorial's own wording where it
 * has one ("Biểu đồ mất mát qua các epoch", "Dự đoán: 7 / Thật: 7", "Ảnh gốc", "Feature Map 1", "Độ chính xác
 * trên tập test"); elsewhere it keeps the tutorial's habit of leaving the technical English terms (epoch, loss,
 * batch, feature map, kernel) as they are.
 */
const en = {
  lossTitle: "Loss over the epochs",
  epoch: "Epoch",
  loss: "Loss",
  series: "Series",
  batchLoss: "batch loss",
  smoothed: (alpha: number) => `smoothed (EMA, α = ${alpha})`,
  epochMean: "epoch mean",
  prediction: (predicted: number, label: number) => `Predicted: ${predicted} / True: ${label}`,
  predictionsTitle: (n: number) => `Predictions on the first ${n} test images (red frame: wrong)`,
  wrongTitle: (n: number) => `The ${n} most confidently wrong test images`,
  wrongPanel: (predicted: number, label: number, p: number, index: number) =>
    `#${index}: ${predicted} (${(100 * p).toFixed(0)}%), true ${label}`,
  noneWrong: "No test image is wrong.",
  original: "Original image",
  featureMap: (channel: number) => `Feature Map ${channel}`,
  featuresTitle: (layer: string, index: number, label: number, c: number, h: number, w: number) =>
    `${layer} feature maps after ReLU (${c} × ${h}×${w}) of test image ${index} (label ${label})`,
  kernelsTitle: (layer: string, n: number, size: string) =>
    `The ${n} learned ${layer} kernels (${size}), with their values`,
  kernel: (channel: number) => `Kernel ${channel}`,
  weight: "weight",
  confusionTitle: (accuracy: number) => `Confusion matrix on the test set (accuracy ${(100 * accuracy).toFixed(2)}%)`,
  predicted: "Predicted",
  actual: "True",
  count: "count",
  perClass: "Accuracy per class",
  accuracy: "Accuracy",
  digit: "Digit",
  reportTitle: (name: string) => `convlab run ${name}`,
  comparisonTitle: "convlab sweep: the runs compared",
  comparisonLoss: "Loss per epoch of every run",
  run: "Run",
  settings: "Settings",
  results: "Results",
  testAccuracy: "Test accuracy",
  testLoss: "Test loss",
  finalLoss: "Final training loss",
  parameters: "Parameters",
  seconds: "Seconds",
  featuresPair: (name: string, index: number) => `${name}: conv1 and conv2 feature maps of test image ${index}`,
  generated: "Written by convlab; every picture is also saved beside this file as SVG and PNG.",
  // convlab/plot: the same pictures of the user's own model and images, which need not come from a test set.
  mapsTitle: (layer: string, c: number, h: number, w: number, relu: boolean) =>
    `${layer} feature maps${relu ? " after ReLU" : ""} (${c} × ${h}×${w})`,
  predictionsOf: (n: number) => `Predictions on ${n} images (red frame: wrong)`,
  confusionOf: (accuracy: number) => `Confusion matrix (accuracy ${(100 * accuracy).toFixed(2)}%)`,
  inChannel: (k: number) => `, input channel ${k}`,
};

export type ReportMessages = typeof en;

const vi: ReportMessages = {
  lossTitle: "Biểu đồ mất mát qua các epoch",
  epoch: "Epoch",
  loss: "Loss",
  series: "Đường",
  batchLoss: "loss từng batch",
  smoothed: (alpha) => `làm mượt (EMA, α = ${alpha})`,
  epochMean: "trung bình epoch",
  prediction: (predicted, label) => `Dự đoán: ${predicted} / Thật: ${label}`,
  predictionsTitle: (n) => `Dự đoán trên ${n} ảnh test đầu tiên (khung đỏ: sai)`,
  wrongTitle: (n) => `${n} ảnh test sai mà mô hình tự tin nhất`,
  wrongPanel: (predicted, label, p, index) => `#${index}: ${predicted} (${(100 * p).toFixed(0)}%), thật ${label}`,
  noneWrong: "Không có ảnh test nào bị dự đoán sai.",
  original: "Ảnh gốc",
  featureMap: (channel) => `Feature Map ${channel}`,
  featuresTitle: (layer, index, label, c, h, w) =>
    `Feature map của ${layer} sau ReLU (${c} × ${h}×${w}) cho ảnh test ${index} (nhãn ${label})`,
  kernelsTitle: (layer, n, size) => `${n} kernel (bộ lọc) ${size} đã học của ${layer}, kèm giá trị`,
  kernel: (channel) => `Kernel ${channel}`,
  weight: "trọng số",
  confusionTitle: (accuracy) => `Ma trận nhầm lẫn trên tập test (độ chính xác ${(100 * accuracy).toFixed(2)}%)`,
  predicted: "Dự đoán",
  actual: "Thật",
  count: "số ảnh",
  perClass: "Độ chính xác từng lớp",
  accuracy: "Độ chính xác",
  digit: "Chữ số",
  reportTitle: (name) => `Lần huấn luyện convlab ${name}`,
  comparisonTitle: "So sánh các lần huấn luyện (convlab sweep)",
  comparisonLoss: "Mất mát qua các epoch của mọi lần chạy",
  run: "Lần chạy",
  settings: "Thiết lập",
  results: "Kết quả",
  testAccuracy: "Độ chính xác trên tập test",
  testLoss: "Loss trên tập test",
  finalLoss: "Loss huấn luyện cuối",
  parameters: "Số tham số",
  seconds: "Số giây",
  featuresPair: (name, index) => `${name}: feature map của conv1 và conv2 cho ảnh test ${index}`,
  generated: "Tạo bởi convlab; mọi hình cũng được lưu cạnh tệp này dưới dạng SVG và PNG.",
  mapsTitle: (layer, c, h, w, relu) => `Feature map của ${layer}${relu ? " sau ReLU" : ""} (${c} × ${h}×${w})`,
  predictionsOf: (n) => `Dự đoán trên ${n} ảnh (khung đỏ: sai)`,
  confusionOf: (accuracy) => `Ma trận nhầm lẫn (độ chính xác ${(100 * accuracy).toFixed(2)}%)`,
  inChannel: (k) => `, kênh vào ${k}`,
};

const MESSAGES: Record<ReportLang, ReportMessages> = { en, vi };

/** The report texts of a language. */
export function reportMessages(lang: ReportLang): ReportMessages {
  return MESSAGES[lang];
}
