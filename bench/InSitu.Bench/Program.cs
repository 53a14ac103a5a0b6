// One timing of one model and phase, as a JSON line on stdout; bench/engine.py runs it next to PyTorch.
//   InSitu.Bench --model paper|resnet18 [--batch 16] [--iters 3] [--warmup 1]
//                --phase train|infer|infer_bf16|infer_onnx|infer_fused|infer_fused_bf16|infer_fused_int8
//                [--precision fp32|bf16] [--fold 0|1] [--channels-last 0|1] [--conv default|winograd|direct|auto]
//                [--describe 1]
// Defaults are InSitu's own paths (train: fp32 NCHW; infer: BN folded, channels-last); the options pin the
// precision, folding and layout so bench/engine.py can compare with PyTorch given exactly the same ones.
// infer_onnx exports the same network (batch norms folded) to ONNX and times it in ONNX Runtime instead of InSitu.
// The fused phases run the oneDNN plan (src/InSitu.Torch/InferencePlan.cs) compiled from the eval-mode model; int8
// calibrates its scales on 4 other random batches. Every inference line reports how far the logits moved from the
// plain fp32 eval output and the GFLOP/s the model's convolutions and head reached.
using System.Diagnostics;
using System.Globalization;
using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.NN;
using InSitu.Torch.Optim;
using InSitu.Training;

//   InSitu.Bench loader | synth-difficulty | stage-export | explain | legacy-replay | blas [...]: see the file of each
if (args.Length > 0 && !args[0].StartsWith('-'))
{
    var sub = new Dictionary<string, string>();
    for (int i = 1; i + 1 < args.Length; i += 2) sub[args[i].TrimStart('-')] = args[i + 1];
    return args[0] switch
    {
        "loader" => LoaderBench.Run(sub),
        "synth-difficulty" => SynthDifficulty.Run(sub),
        "stage-export" => StageExport.Run(sub),
        "explain" => ExplainBench.Run(sub),
        "legacy-replay" => LegacyReplay.Run(sub),
        "blas" => BlasBench.Run(sub),
        "segment-probe" => SegmentBench.Probe(sub),
        "segment-discs" => SegmentBench.Discs(sub),
        "segment-embryo" => SegmentBench.Embryo(sub),
        _ => throw new ArgumentException($"unknown benchmark '{args[0]}'"),
    };
}
var opts = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
string model = opts.GetValueOrDefault("model", "paper"), phase = opts.GetValueOrDefault("phase", "train");
string[] phases = ["train", "infer", "infer_bf16", "infer_onnx", "infer_fused", "infer_fused_bf16", "infer_fused_int8"];
if (!phases.Contains(phase)) throw new ArgumentException($"unknown phase '{phase}' ({string.Join(", ", phases)})");
int batch = int.Parse(opts.GetValueOrDefault("batch", "16")), iters = int.Parse(opts.GetValueOrDefault("iters", "3"));
int warmup = int.Parse(opts.GetValueOrDefault("warmup", "1"));
int channels = int.Parse(opts.GetValueOrDefault("channels", "1"));
// InSitu trains in NCHW (channels-last training crashes libtorch 1.13, see bench/channels_last_training_crash.py)
// and infers channels-last.
bool channelsLast = opts.GetValueOrDefault("channels-last", phase == "train" ? "0" : "1") == "1";
bool fold = opts.GetValueOrDefault("fold", "1") == "1";
string precision = opts.GetValueOrDefault("precision", phase == "infer_bf16" ? "bf16" : "fp32");
if (precision is not ("fp32" or "bf16")) throw new ArgumentException($"unknown precision '{precision}' (fp32, bf16)");

TorchRuntime.ManualSeed(0);
var config = model switch
{
    "paper" => ResNetConfig.Paper(channels, 14),
    "resnet18" => ResNetConfig.CifarResNet18(channels, 14),
    _ => throw new ArgumentException($"unknown model '{model}'"),
};
using var net = new ResNet(config);
using var x0 = Factory.Randn(new long[] { batch, channels, config.Height, config.Width });
using var y = Factory.RandInt(0, 14, new long[] { batch });
double seconds;
// warmup steps untimed (oneDNN builds its kernels on first use), then iters timed steps
double Time(Action step)
{
    for (int i = 0; i < warmup; i++) step();
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < iters; i++) step();
    return sw.Elapsed.TotalSeconds;
}
double maxDeviation = 0;
double LogitDeviation(float[] reference, float[] other)
{
    double scale = reference.Max(v => Math.Abs((double)v));
    return reference.Zip(other, (a, b) => Math.Abs((double)a - b)).Max() / Math.Max(scale, 1e-12);
}

string runtime = "insitu";
if (phase == "infer_onnx")
{
    runtime = "onnxruntime";
    using var onnx = new OnnxRuntimeBench(net, x0);
    seconds = Time(onnx.Step);
    maxDeviation = onnx.MaxRelativeDeviation();
}
else if (phase == "train")
{
    if (channelsLast) net.ToChannelsLast();
    using var x = channelsLast ? x0.Contiguous(MemoryFormat.ChannelsLast) : x0.Alias();
    using var opt = new SGD(net.Parameters(), 0.001, momentum: 0.9, weightDecay: 5e-4);
    void Step()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        opt.ZeroGrad();
        Tensor loss;
        // bf16: autocast's mixed precision (bf16 convolutions, fp32 weights, optimizer state and loss)
        using (precision == "bf16" ? TorchRuntime.AutocastCpu(DType.BFloat16) : null)
            loss = F.CrossEntropy(net.Forward(x), y);
        loss.Backward();
        opt.Step();
    }
    seconds = Time(Step);
}
else if (phase.StartsWith("infer_fused", StringComparison.Ordinal))
{
    net.Eval();
    float[] reference;
    using (Autograd.InferenceMode())
    using (var r = net.Forward(x0)) reference = r.ToArray<float>();
    var planPrecision = phase switch
    {
        "infer_fused" => PlanPrecision.Float32,
        "infer_fused_bf16" => PlanPrecision.BFloat16,
        "infer_fused_int8" => PlanPrecision.Int8,
        _ => throw new ArgumentException($"unknown phase '{phase}'"),
    };
    ConvAlgorithm? algorithm = opts.GetValueOrDefault("conv", "default") switch
    {
        "default" => null,
        "winograd" => ConvAlgorithm.Winograd,
        "direct" => ConvAlgorithm.Direct,
        "auto" => ConvAlgorithm.Auto,
        var a => throw new ArgumentException($"unknown --conv '{a}'"),
    };
    using var runner = InferenceRunner.Create(net, new InferenceSettings(InferenceEngineKind.Fused, planPrecision, algorithm));
    for (int i = 0; i < 4 && runner.NeedsCalibration; i++)
        using (var calibration = Factory.Randn(new long[] { batch, channels, config.Height, config.Width }))
            runner.Calibrate(calibration);
    void Step()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        runner.Forward(x0).Dispose();
    }
    seconds = Time(Step);
    using (var outp = runner.Forward(x0)) maxDeviation = LogitDeviation(reference, outp.ToFloatArray());
    if (opts.GetValueOrDefault("describe", "0") == "1") Console.Error.WriteLine(runner.Description);
}
else if (phase is "infer" or "infer_bf16")
{
    // Inference as InSitu runs it: eval mode, BN folded into convolutions, channels-last, inference mode,
    // and for infer_bf16 bfloat16 autocast (oneDNN's AVX512-BF16 kernels).
    net.Eval();
    // The plain fp32 eval output, to report how far the optimised path's logits move (folding, bf16).
    float[] reference;
    using (Autograd.InferenceMode())
    using (var r = net.Forward(x0)) reference = r.ToArray<float>();
    if (fold) net.FuseForInference();
    if (channelsLast) net.ToChannelsLast();
    using var x = channelsLast ? x0.Contiguous(MemoryFormat.ChannelsLast) : x0.Alias();
    using var inference = Autograd.InferenceMode();
    using var autocast = precision == "bf16" ? TorchRuntime.AutocastCpu(DType.BFloat16) : null;
    void Step()
    {
        using var scope = TorchRuntime.NewDisposeScope();
        net.Forward(x).Dispose();
    }
    seconds = Time(Step);
    using var outp = net.Forward(x);
    maxDeviation = LogitDeviation(reference, outp.ToFloatArray());
}
else
{
    throw new ArgumentException($"unknown phase '{phase}'");
}
double ips = batch * iters / seconds;
double gflops = ips * ModelFlops.PerImage(config) / 1e9;
var rate = phase == "train" ? "" : string.Create(CultureInfo.InvariantCulture, $", \"gflops\": {gflops:F1}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"runtime\": \"{runtime}\", \"model\": \"{model}\", \"phase\": \"{phase}\", \"ips\": {ips:F3}, " +
    $"\"threads\": {TorchRuntime.Threads}, " +
    $"\"seconds\": {seconds:F3}, \"max_rel_logit_deviation\": {maxDeviation:E2}{rate}}}"));
return 0;
