using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;

/// <summary>
/// The `infer_onnx` phase: the benchmark's network exported as InSitu exports models (eval mode, batch norms folded,
/// opset 17) and run by ONNX Runtime on the CPU with as many intra-op threads as InSitu uses (INSITU_THREADS), one
/// inter-op thread, all graph optimisations, on the same input batch. Its logits are compared with InSitu's plain
/// eval-mode network, as the other inference phases are.
/// </summary>
internal sealed class OnnxRuntimeBench : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"insitu-bench-{Environment.ProcessId}.onnx");
    private readonly float[] _reference;
    private readonly InferenceSession _session;
    private readonly OrtValue _input;
    private readonly RunOptions _run = new();
    private readonly string[] _inputNames = ["input"], _outputNames = ["output"];

    public OnnxRuntimeBench(ResNet net, Tensor x)
    {
        net.Eval();
        using (Autograd.InferenceMode())
        using (var r = net.Forward(x)) _reference = r.ToFloatArray();
        net.FuseForInference();
        var c = net.Config;
        OnnxExport.Save(net, new OnnxModelSpec("input", [OnnxDimension.Free("batch"), c.InChannels, c.Height, c.Width],
            "output", [OnnxDimension.Free("batch"), c.Classes]), _file, "bench");
        using var options = new SessionOptions
        {
            IntraOpNumThreads = TorchRuntime.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(_file, options);
        _input = OrtValue.CreateTensorValueFromMemory(x.ToFloatArray(), x.Shape);
    }

    public void Step()
    {
        using var outputs = _session.Run(_run, _inputNames, [_input], _outputNames);
    }

    /// <summary>Largest |ONNX Runtime - InSitu| over the logits, relative to InSitu's largest |logit|.</summary>
    public double MaxRelativeDeviation()
    {
        using var outputs = _session.Run(_run, _inputNames, [_input], _outputNames);
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        double scale = _reference.Max(v => Math.Abs((double)v));
        return _reference.Zip(logits, (a, b) => Math.Abs((double)a - b)).Max() / Math.Max(scale, 1e-12);
    }

    public void Dispose()
    {
        _input.Dispose();
        _session.Dispose();
        _run.Dispose();
        File.Delete(_file);
    }
}
