using InSitu.Torch;
using InSitu.Torch.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace InSitu.Cli;

/// <summary>
/// ONNX Runtime (CPU) behind <see cref="IOnnxRunner"/>, with as many intra-op threads as the engine uses
/// (INSITU_THREADS). One session per model file is kept until disposal, so a file run on several batches is loaded once.
/// </summary>
public sealed class OnnxRuntimeRunner : IOnnxRunner, IDisposable
{
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>"ONNX Runtime VERSION"; without the version when the native library does not load (the run then says why).</summary>
    public string Name
    {
        get
        {
            try
            {
                return $"ONNX Runtime {OrtEnv.Instance().GetVersionString()}";
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
                or OnnxRuntimeException)
            {
                return "ONNX Runtime";
            }
        }
    }

    public float[] Run(string modelPath, string inputName, float[] input, long[] shape)
    {
        if (!_sessions.TryGetValue(modelPath, out var session))
        {
            using var options = new SessionOptions { IntraOpNumThreads = TorchRuntime.Threads, InterOpNumThreads = 1 };
            session = new InferenceSession(modelPath, options);
            _sessions[modelPath] = session;
        }
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var run = new RunOptions();
        using var outputs = session.Run(run, [inputName], [value], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
