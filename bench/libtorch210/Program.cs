// One timing of one model, phase and configuration in libtorch 2.10 (TorchSharp-cpu 0.107.0), printed as one JSON
// line like bench/InSitu.Bench. bench/libtorch210.sh runs it next to InSitu.Bench (Debian's libtorch 1.13).
//   LibTorch210.Bench --model paper|resnet18 --phase train|infer [--precision fp32|bf16] [--channels-last 0|1]
//                     [--fold 0|1] [--batch 16] [--iters 3] [--warmup 1] [--threads N]
// train: SGD (lr 0.001, momentum 0.9, weight decay 5e-4) on cross-entropy; bf16 = autocast around forward and loss.
// infer: eval, inference mode; --fold folds BN into the convolutions; bf16 = autocast around the timed forwards.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using LibTorch210.Bench;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

var opts = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
string model = opts.GetValueOrDefault("model", "paper"), phase = opts.GetValueOrDefault("phase", "train");
string precision = opts.GetValueOrDefault("precision", "fp32");
if (phase is not ("train" or "infer")) throw new ArgumentException($"unknown phase '{phase}' (train, infer)");
if (precision is not ("fp32" or "bf16")) throw new ArgumentException($"unknown precision '{precision}' (fp32, bf16)");
bool channelsLast = opts.GetValueOrDefault("channels-last", "0") == "1";
bool fold = opts.GetValueOrDefault("fold", "0") == "1";
if (fold && phase == "train") throw new ArgumentException("--fold 1 is for inference only");
int batch = int.Parse(opts.GetValueOrDefault("batch", "16")), iters = int.Parse(opts.GetValueOrDefault("iters", "3"));
int warmup = int.Parse(opts.GetValueOrDefault("warmup", "1"));
torch.set_num_threads(int.Parse(opts.GetValueOrDefault("threads", Environment.ProcessorCount.ToString())));

torch.random.manual_seed(0);
const int Classes = 14;
using var net = model switch
{
    "paper" => ResNet.Paper(1, Classes),
    "resnet18" => ResNet.CifarResNet18(1, Classes),
    _ => throw new ArgumentException($"unknown model '{model}' (paper, resnet18)"),
};
using var x0 = torch.randn(batch, 1, 128, 320);
using var y = torch.randint(0, Classes, [batch]);
var result = new Dictionary<string, object?>
{
    ["runtime"] = "libtorch-2.10",
    ["torch_version"] = torch.__version__,
    ["model"] = model,
    ["phase"] = phase,
    ["precision"] = precision,
    ["channels_last"] = channelsLast,
    ["fold"] = fold,
    ["batch"] = batch,
    ["iters"] = iters,
    ["warmup"] = warmup,
    ["threads"] = torch.get_num_threads(),
};

// warm-up steps untimed (oneDNN builds its kernels on first use), then iters timed steps
double Time(Action step)
{
    for (int i = 0; i < warmup; i++) step();
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < iters; i++) step();
    return sw.Elapsed.TotalSeconds;
}

double seconds;
if (phase == "train")
{
    net.train();
    if (channelsLast) net.ToChannelsLast();
    using var x = channelsLast ? Layout.ChannelsLast(x0) : x0.alias();
    using var opt = torch.optim.SGD(net.parameters(), 0.001, momentum: 0.9, weight_decay: 5e-4);
    var losses = new List<double>();
    void Step()
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        Tensor loss;
        // bf16: autocast's mixed precision (bf16 convolutions, fp32 weights, optimizer state and loss)
        using (precision == "bf16" ? new Autocast() : null)
            loss = F.cross_entropy(net.forward(x), y);
        loss.backward();
        opt.step();
        losses.Add(loss.item<float>());
    }
    seconds = Time(Step);
    result["losses"] = losses;
    result["nan_loss"] = losses.Any(l => !double.IsFinite(l));
    result["weights_channels_last"] = net.parameters().Where(p => p.dim() == 4).All(Layout.IsChannelsLast);
}
else
{
    net.eval();
    // The plain fp32 eval output, to report how far the optimised path's logits move (folding, bf16).
    float[] reference;
    using (torch.inference_mode())
    using (var r = net.forward(x0)) reference = r.data<float>().ToArray();
    if (fold) net.FoldBatchNorms();
    if (channelsLast) net.ToChannelsLast();
    using var x = channelsLast ? Layout.ChannelsLast(x0) : x0.alias();
    using var inference = torch.inference_mode();
    using var autocast = precision == "bf16" ? new Autocast() : null;
    void Step()
    {
        using var scope = torch.NewDisposeScope();
        net.forward(x).Dispose();
    }
    seconds = Time(Step);
    using var output = net.forward(x);
    result["output_dtype"] = output.dtype.ToString();
    using var asFloat = output.to_type(ScalarType.Float32);
    var optimised = asFloat.data<float>().ToArray();
    double scale = reference.Max(v => Math.Abs((double)v));
    result["max_rel_logit_deviation"] =
        reference.Zip(optimised, (a, b) => Math.Abs((double)a - b)).Max() / Math.Max(scale, 1e-12);
}
result["autocast_seen"] = precision == "bf16" ? Autocast.ConvolutionRunsInBFloat16() : null;
result["ips"] = batch * iters / seconds;
result["seconds"] = seconds;
Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions
{
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
}));
return 0;
