import { fmt, span } from "./format.js";
import type { Lang } from "./types.js";

/** A cell position as the tutorial writes it, "(i, j)". */
const at = (i: number, j: number) => `(${i}, ${j})`;

/** A list of cells "S(0, 2) = −1, S(1, 1) = −2". */
const cells = (name: string, list: readonly { i: number; j: number; value: number }[]) =>
  list.map(({ i, j, value }) => `${name}${at(i, j)} = ${fmt(value)}`).join(", ");

const en = {
  classes: ["7", "not 7"],
  agree: "agrees",
  disagree: "does NOT agree",
  printed: "printed",
  computed: "computed",
  tutorialTitle:
    'The tutorial\'s worked examples, computed live by convlab ("❖ Convolutional Neural Network (CNN)", §2–3)',
  customTitle: "Your numbers, computed live by convlab",
  source: (image: string, kernel: string) => `Image: ${image}. Kernel: ${kernel}.`,
  mnistSource: (index: number, label: number) => `MNIST test image ${index} (label ${label}), pixels in [0, 1]`,
  weightsSource: (file: string, channel: number, bias: number) =>
    `channel ${channel} of conv1.weight in ${file} (bias ${fmt(bias)})`,
  matrixSource: (flag: string) => `your ${flag}`,
  labelWindow: "window",
  labelProducts: "products",
  labelInput: "input",
  tutorialImage: 'the tutorial\'s 5×5 "7" (I)',
  tutorialKernel: "the tutorial's horizontal-edge kernel (K)",
  // §2.1 convolution
  convTitle: "2.1 Convolution: sliding the kernel over the image",
  convIntro: (h: number, w: number, f: string) =>
    `The image I is ${h}×${w}, the kernel (filter) K is ${f}. At each position the kernel covers a window of the ` +
    `image; multiply each cell of the window by the matching cell of K and add the products up: that sum is the ` +
    `value S(i, j) of the feature map.`,
  convPlan: (outH: number, outW: number, shown: number) =>
    shown === outH * outW
      ? `Every one of the ${outH}×${outW} positions, computed with conv2d (the map) and mul + sum (each window):`
      : `The map has ${outH}×${outW} = ${outH * outW} positions; here are ${shown} of them (the first, the largest ` +
        `and the smallest); --format json lists them all:`,
  window: (i: number, j: number, row: number, col: number, h: number, w: number) =>
    `S${at(i, j)}: the window at rows ${span(row, h)}, columns ${span(col, w)}`,
  windowSum: (i: number, j: number, line: string) => `Sum: ${line}  →  S${at(i, j)}`,
  withBias: (b: number) => ` (the last term is the bias b = ${fmt(b)})`,
  featureMap: (h: number, w: number) => `The feature map S (${h}×${w}), computed by conv2d:`,
  // checks of §2.1
  check: {
    "conv.window00": "the window at (0, 0)",
    "conv.products00": "its products with K",
    "conv.sum00": "S(0, 0) = 2",
    "conv.window11": "the window at (1, 1)",
    "conv.products11": "its products with K",
    "conv.sum11": "S(1, 1) = 0",
    "conv.featureMap": "the complete feature map S",
    "padding.outputSize": "output size 3 for H = W = 5, F = 3, P = 0, S = 1",
    "relu.featureMap": 'ReLU(S) of the "7", printed unchanged',
    "relu.negatives": "ReLU of the example with negative values",
    "pool.maxima": "the four window maxima 2, 1, 1, 2",
    "pool.output": "the pooled map",
    "fc.y0": "y₀ = 2.4",
    "fc.y1Line": 'the line "y₁ = … = -"',
    "fc.y": "y = [2.4, −0.5]",
    "fc.decision": 'the decision "7"',
    "pipeline.noNegatives": '"after ReLU: unchanged, because there is no negative value"',
  } as Record<string, string>,
  checkLine: (section: string, label: string, agrees: boolean, printed: string, computed: string) =>
    `§${section} ${label}: ${agrees ? "right" : "WRONG"} (printed ${printed}, computed ${computed})`,
  checksTitle: "Checking the tutorial's printed numbers",
  sumTerms:
    "The printed sum lists 8 terms for the 9 products (one 0 is left out); the total is still right, so this is " +
    "only a typo.",
  window11Wrong: (rows: string) =>
    `The window at (1, 1) is I(1+m, 1+n) for m, n = 0…2: rows 1–3, columns 1–3 of I. ${rows} The products printed ` +
    `next are those of the wrong window.`,
  rowDiffers: (row: number, printed: string, computed: string) =>
    `Its row ${row} is I(${row}, 1…3) = ${computed}; the tutorial prints ${printed}.`,
  sum11Right:
    "S(1, 1) = 0 is right all the same: the wrong last row [0, 1, 0] and the right one [0, 0, 1] each hold one 1, " +
    "which meets K's −1 either way.",
  featureMapWrong: (count: number, list: string) =>
    `The printed S does not follow from I and K: ${count} of its 9 numbers differ from the formula (${list}). ` +
    `The computed S is the one the formula gives; the window sums above add up to it cell by cell.`,
  featureMapExample: (i: number, j: number, rows: string, cols: string, line: string) =>
    `For example S${at(i, j)} reads rows ${rows}, columns ${cols}: ${line}.`,
  reluWrong: (list: string) =>
    `The tutorial says S has no negative number, so ReLU changes nothing. That holds for its printed S, but the S ` +
    `computed from I and K has ${list}, which ReLU sets to 0.`,
  pipelineWrong: (list: string) =>
    `The same claim in §3: the feature map of the "7" computed by the formula has ${list}, so ReLU does change it.`,
  y1Cut: (line: string) =>
    `The line is cut off after "= -". Its terms give ${line}, the −0.5 the tutorial then uses in y = [2.4, −0.5].`,
  // padding and stride
  paddingTitle: "2.1 Padding and stride",
  paddingIntro:
    "Padding P adds P rings of zeros around the image, so the kernel can also sit on the border (P = 1 with a 3×3 " +
    "kernel keeps the size). Stride S is how far the kernel moves at each step. The output size is:",
  paddingFloor:
    "The tutorial writes it without the floor ⌊ ⌋. That is exact when S divides H − F + 2P; otherwise the kernel " +
    "cannot take one more full step, and PyTorch (like conv2d here) drops the partial position: it rounds down.",
  sizeLine: (h: number, f: number, p: number, s: number, unfloored: number, floored: number) =>
    `H = ${h}, F = ${f}, P = ${p}, S = ${s}: (${h} − ${f} + 2·${p})/${s} + 1 = ${fmt(unfloored)}` +
    (Number.isInteger(unfloored) ? "" : ` → rounded down: ${floored}`),
  paddedConv: (p: number, s: number, h: number, w: number, outH: number, outW: number) =>
    `With P = ${p} and S = ${s}: the padded image is ${h}×${w}, and conv2d gives a ${outH}×${outW} feature map.`,
  positions: "Where each window sits in the padded image:",
  position: (i: number, j: number, rows: string, cols: string, value: number) =>
    `S${at(i, j)}: rows ${rows}, columns ${cols} → ${fmt(value)}`,
  unusedEdge: (count: number) =>
    `The last ${count} row(s) and column(s) of the padded image are never covered: that is the rounding down.`,
  // §2.2 ReLU
  reluTitle: "2.2 Activation function: ReLU",
  reluOf: (what: string) => `ReLU applied to ${what}:`,
  reluOfFeatureMap: 'the feature map S of the "7" (computed above)',
  reluOfNegatives: "the tutorial's example with negative values",
  reluOfInput: "your matrix",
  reluOfYourMap: "the feature map of your image and kernel",
  zeroed: (list: readonly { i: number; j: number; value: number }[]) =>
    list.length === 0 ? "No negative number: ReLU changes nothing." : `Set to 0: ${cells("S", list)}.`,
  // §2.3 pooling
  poolTitle: "2.3 Pooling layer: max pooling",
  poolIntro: (f: number, s: number, h: number, w: number, outH: number, outW: number) =>
    `Windows of ${f}×${f} with stride ${s}: each output is the largest number of its window. ` +
    `${h}×${w} → ⌊(${h} − ${f})/${s}⌋ + 1 = ${outH} by ⌊(${w} − ${f})/${s}⌋ + 1 = ${outW}.`,
  poolAssumed: 'The tutorial assumes this 4×4 map (it is not computed from the "7", whose feature map is 3×3).',
  poolWindow: (i: number, j: number, rows: string, cols: string, values: string, max: number) =>
    `P${at(i, j)}: rows ${rows}, columns ${cols}: max(${values}) = ${fmt(max)}`,
  pooled: "The pooled map, computed by maxPool2d:",
  // §2.4 fully connected
  fcTitle: "2.4 Fully connected layer",
  fcIntro: (n: number) =>
    `The pooled map is flattened ("duỗi") row by row into x (${n} numbers); each output y_o is the sum of ` +
    `W's row o times x, plus b_o.`,
  fcLine: (o: number, terms: string, products: string, total: number) =>
    `y${o} = ${terms} = ${products} = ${fmt(total)}`,
  decision: (o: number, value: number, name: string) => `The largest output is y${o} = ${fmt(value)}: class "${name}".`,
  // §3 pipeline
  pipelineTitle: "3. The whole pipeline: conv → ReLU → pool → fully connected",
  pipelineHow: (unpaddedMap: number, unpaddedPool: number | null, map: number, pooled: number) =>
    `The tutorial does not run the chain on its "7": without padding the ${unpaddedMap}×${unpaddedMap} feature map ` +
    `pools to ${unpaddedPool}×${unpaddedPool} = ${(unpaddedPool ?? 0) ** 2} number(s), where its W needs 4. So the ` +
    `convolution here uses padding P = 1 (the use of padding the tutorial gives: keep the size, ${map}×${map}); ` +
    `2×2 pooling with stride 2 then gives ${pooled}×${pooled} = ${pooled ** 2} numbers (a last odd row and column ` +
    `are dropped by the rounding down), and the tutorial's W and b apply.`,
  pipelineCustom:
    "Each step is the library's op on the previous step's output. The fully connected step needs a flattened " +
    "vector of 4 numbers (the tutorial's W); with other sizes the pipeline stops at the flattened vector.",
  stepConv: (p: number, s: number) => `1. Convolution (P = ${p}, S = ${s}):`,
  stepRelu: "2. ReLU:",
  stepPool: "3. Max pooling 2×2, stride 2:",
  stepFlat: (x: string) => `4. Flatten ("duỗi"): x = ${x}`,
  stepFc: "5. Fully connected, y = Wx + b with the tutorial's W and b:",
  stepNoFc: (n: number) => `5. Fully connected: skipped, the flattened vector has ${n} numbers and W expects 4.`,
};

export type Messages = typeof en;

const vi: Messages = {
  classes: ["7", "không phải 7"],
  agree: "khớp",
  disagree: "KHÔNG khớp",
  printed: "bài in",
  computed: "tính được",
  tutorialTitle:
    'Các ví dụ của bài hướng dẫn, do convlab tính trực tiếp ("❖ Convolutional Neural Network (CNN)", §2–3)',
  customTitle: "Số liệu của bạn, do convlab tính trực tiếp",
  source: (image, kernel) => `Ảnh: ${image}. Bộ lọc: ${kernel}.`,
  mnistSource: (index, label) => `ảnh test MNIST số ${index} (nhãn ${label}), điểm ảnh trong [0, 1]`,
  weightsSource: (file, channel, bias) => `kênh ${channel} của conv1.weight trong ${file} (bias ${fmt(bias)})`,
  matrixSource: (flag) => `${flag} của bạn`,
  labelWindow: "vùng",
  labelProducts: "tích",
  labelInput: "đầu vào",
  tutorialImage: 'ảnh số "7" 5×5 của bài (I)',
  tutorialKernel: "bộ lọc tìm đường ngang của bài (K)",
  convTitle: "2.1 Tầng tích chập (Convolution Layer): trượt bộ lọc qua ảnh",
  convIntro: (h, w, f) =>
    `Ảnh I có kích thước ${h}×${w}, bộ lọc (filter/kernel) K có kích thước ${f}. Tại mỗi vị trí, bộ lọc phủ lên một ` +
    `vùng của ảnh; nhân từng số trong vùng với số tương ứng trong bộ lọc rồi cộng tất cả lại: tổng đó là giá trị ` +
    `S(i, j) của bản đồ đặc trưng (feature map).`,
  convPlan: (outH, outW, shown) =>
    shown === outH * outW
      ? `Tất cả ${outH}×${outW} vị trí, tính bằng conv2d (cả bản đồ) và mul + sum (từng vùng):`
      : `Bản đồ có ${outH}×${outW} = ${outH * outW} vị trí; dưới đây là ${shown} vị trí (đầu tiên, lớn nhất và nhỏ ` +
        `nhất); --format json liệt kê tất cả:`,
  window: (i, j, row, col, h, w) => `S${at(i, j)}: vùng ở hàng ${span(row, h)}, cột ${span(col, w)}`,
  windowSum: (i, j, line) => `Cộng lại: ${line}  →  S${at(i, j)}`,
  withBias: (b) => ` (số hạng cuối là bias b = ${fmt(b)})`,
  featureMap: (h, w) => `Bản đồ đặc trưng (feature map) S (${h}×${w}), tính bằng conv2d:`,
  check: {
    "conv.window00": "vùng 3×3 tại (0, 0)",
    "conv.products00": "tích từng phần tử với bộ lọc K",
    "conv.sum00": "S(0, 0) = 2",
    "conv.window11": "vùng 3×3 tại (1, 1)",
    "conv.products11": "tích từng phần tử với bộ lọc K",
    "conv.sum11": "S(1, 1) = 0",
    "conv.featureMap": "feature map hoàn chỉnh S",
    "padding.outputSize": "kích thước đầu ra 3 với H = W = 5, F = 3, P = 0, S = 1",
    "relu.featureMap": 'ReLU(S) của số "7", in ra không đổi',
    "relu.negatives": "ReLU của ví dụ có số âm",
    "pool.maxima": "giá trị lớn nhất của bốn vùng: 2, 1, 1, 2",
    "pool.output": "feature map sau pooling",
    "fc.y0": "y₀ = 2.4",
    "fc.y1Line": 'dòng "y₁ = … = -"',
    "fc.y": "y = [2.4, −0.5]",
    "fc.decision": 'kết luận "7"',
    "pipeline.noNegatives": '"Sau ReLU: giữ nguyên vì không có số âm"',
  },
  checkLine: (section, label, agrees, printed, computed) =>
    `§${section} ${label}: ${agrees ? "đúng" : "SAI"} (bài in ${printed}, tính được ${computed})`,
  checksTitle: "Kiểm tra các số mà bài hướng dẫn in ra",
  sumTerms: "Phép cộng in ra chỉ có 8 số hạng cho 9 tích (thiếu một số 0); tổng vẫn đúng, nên đây chỉ là lỗi đánh máy.",
  window11Wrong: (rows) =>
    `Vùng tại (1, 1) là I(1+m, 1+n) với m, n = 0…2: hàng 1–3, cột 1–3 của I. ${rows} Các tích in tiếp theo là tích ` +
    `của vùng sai này.`,
  rowDiffers: (row, printed, computed) => `Hàng ${row} của vùng là I(${row}, 1…3) = ${computed}; bài in ${printed}.`,
  sum11Right:
    "Dù vậy S(1, 1) = 0 vẫn đúng: hàng cuối sai [0, 1, 0] và hàng cuối đúng [0, 0, 1] đều có đúng một số 1, gặp số " +
    "−1 của K trong cả hai trường hợp.",
  featureMapWrong: (count, list) =>
    `S in trong bài không suy ra được từ I và K: ${count} trong 9 số khác với công thức (${list}). S tính được là ` +
    `kết quả đúng của công thức; tổng của từng vùng ở trên khớp với nó từng ô một.`,
  featureMapExample: (i, j, rows, cols, line) => `Ví dụ S${at(i, j)} lấy hàng ${rows}, cột ${cols}: ${line}.`,
  reluWrong: (list) =>
    `Bài viết rằng S không có số âm nên ReLU không đổi gì. Điều đó đúng với S in trong bài, nhưng S tính từ I và K ` +
    `có ${list}, và ReLU biến nó thành 0.`,
  pipelineWrong: (list) =>
    `Cùng nhận định đó ở §3: feature map của số "7" tính theo công thức có ${list}, nên ReLU có thay đổi nó.`,
  y1Cut: (line) =>
    `Dòng này bị cắt sau "= -". Các số hạng cho ${line}, đúng là số −0.5 mà bài dùng trong y = [2.4, −0.5].`,
  paddingTitle: "2.1 Padding và Stride",
  paddingIntro:
    "Padding P thêm P vòng số 0 quanh ảnh để bộ lọc đặt được cả lên viền (P = 1 với bộ lọc 3×3 giữ nguyên kích " +
    "thước). Stride S là bước trượt của bộ lọc. Công thức tính kích thước đầu ra:",
  paddingFloor:
    "Bài viết công thức không có phép làm tròn xuống ⌊ ⌋. Công thức đúng khi S chia hết H − F + 2P; nếu không, bộ " +
    "lọc không trượt thêm được một bước trọn vẹn, và PyTorch (cũng như conv2d ở đây) bỏ vị trí dở dang: làm tròn xuống.",
  sizeLine: (h, f, p, s, unfloored, floored) =>
    `H = ${h}, F = ${f}, P = ${p}, S = ${s}: (${h} − ${f} + 2·${p})/${s} + 1 = ${fmt(unfloored)}` +
    (Number.isInteger(unfloored) ? "" : ` → làm tròn xuống: ${floored}`),
  paddedConv: (p, s, h, w, outH, outW) =>
    `Với P = ${p} và S = ${s}: ảnh sau khi đệm có kích thước ${h}×${w}, conv2d cho feature map ${outH}×${outW}.`,
  positions: "Vị trí của từng vùng trong ảnh đã đệm:",
  position: (i, j, rows, cols, value) => `S${at(i, j)}: hàng ${rows}, cột ${cols} → ${fmt(value)}`,
  unusedEdge: (count) =>
    `${count} hàng và cột cuối của ảnh đã đệm không bao giờ được phủ: đó chính là phép làm tròn xuống.`,
  reluTitle: "2.2 Hàm kích hoạt (ReLU)",
  reluOf: (what) => `Áp dụng ReLU cho ${what}:`,
  reluOfFeatureMap: 'feature map S của số "7" (tính ở trên)',
  reluOfNegatives: "ví dụ có số âm của bài",
  reluOfInput: "ma trận của bạn",
  reluOfYourMap: "feature map của ảnh và bộ lọc của bạn",
  zeroed: (list) => (list.length === 0 ? "Không có số âm: ReLU không đổi gì." : `Biến thành 0: ${cells("S", list)}.`),
  poolTitle: "2.3 Tầng pooling (Pooling Layer): max pooling",
  poolIntro: (f, s, h, w, outH, outW) =>
    `Các vùng ${f}×${f} với stride ${s}: mỗi đầu ra là số lớn nhất trong vùng của nó. ` +
    `${h}×${w} → ⌊(${h} − ${f})/${s}⌋ + 1 = ${outH} nhân ⌊(${w} − ${f})/${s}⌋ + 1 = ${outW}.`,
  poolAssumed: 'Bài giả sử feature map 4×4 này (nó không được tính từ số "7", vốn có feature map 3×3).',
  poolWindow: (i, j, rows, cols, values, max) =>
    `P${at(i, j)}: hàng ${rows}, cột ${cols}: max(${values}) = ${fmt(max)}`,
  pooled: "Feature map sau pooling, tính bằng maxPool2d:",
  fcTitle: "2.4 Tầng fully connected (FC Layer)",
  fcIntro: (n) =>
    `Feature map sau pooling được duỗi theo từng hàng thành vector x (${n} phần tử); mỗi đầu ra y_o là tổng của ` +
    `hàng o của W nhân với x, cộng bias b_o.`,
  fcLine: (o, terms, products, total) => `y${o} = ${terms} = ${products} = ${fmt(total)}`,
  decision: (o, value, name) => `Đầu ra lớn nhất là y${o} = ${fmt(value)}: lớp "${name}".`,
  pipelineTitle: "3. Tổng hợp cả quy trình: tích chập → ReLU → pooling → fully connected",
  pipelineHow: (unpaddedMap, unpaddedPool, map, pooled) =>
    `Bài không chạy cả chuỗi trên số "7": không có padding, feature map ${unpaddedMap}×${unpaddedMap} sau pooling ` +
    `còn ${unpaddedPool}×${unpaddedPool} = ${(unpaddedPool ?? 0) ** 2} số, trong khi W cần 4 số. Vì vậy phép tích ` +
    `chập ở đây dùng padding P = 1 (đúng công dụng bài nêu: giữ kích thước, ${map}×${map}); max pooling 2×2 với ` +
    `stride 2 khi đó cho ${pooled}×${pooled} = ${pooled ** 2} số (hàng và cột lẻ cuối cùng bị bỏ do làm tròn ` +
    `xuống), và W, b của bài dùng được.`,
  pipelineCustom:
    "Mỗi bước là phép toán của thư viện trên đầu ra của bước trước. Bước fully connected cần vector duỗi có 4 số " +
    "(W của bài); với kích thước khác, quy trình dừng ở vector duỗi.",
  stepConv: (p, s) => `1. Tích chập (P = ${p}, S = ${s}):`,
  stepRelu: "2. ReLU:",
  stepPool: "3. Max pooling 2×2, stride 2:",
  stepFlat: (x) => `4. Duỗi: x = ${x}`,
  stepFc: "5. Fully connected, y = Wx + b với W và b của bài:",
  stepNoFc: (n) => `5. Fully connected: bỏ qua, vector duỗi có ${n} số mà W cần 4.`,
};

const MESSAGES: Record<Lang, Messages> = { en, vi };

/** The texts of a language. */
export function messages(lang: Lang): Messages {
  return MESSAGES[lang];
}
