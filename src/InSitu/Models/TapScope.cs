using InSitu.Torch;

namespace InSitu.Models;

/// <summary>
/// One stage of a forward pass that reads tap points: its intermediates are freed when it ends, except its output
/// and the tap outputs recorded inside it, which move to the enclosing scope.
/// </summary>
internal sealed class TapScope : IDisposable
{
    private readonly DisposeScope _scope = TorchRuntime.NewDisposeScope();
    private readonly TapRecorder? _recorder;
    private readonly HashSet<Tensor> _kept = new(ReferenceEqualityComparer.Instance);

    public TapScope(TapRecorder? recorder) => _recorder = recorder;

    /// <summary>True once every requested tap point has been recorded: the pass may stop.</summary>
    public bool Done { get; private set; }

    /// <summary>Records <paramref name="output"/> as tap point <paramref name="name"/> when it was asked for; returns it.</summary>
    public Tensor Tap(string name, Tensor output)
    {
        if (_recorder is not null && _recorder.Wants(name))
        {
            Keep(output);
            Done = _recorder.Offer(name, output);
        }
        return output;
    }

    /// <summary>Keeps <paramref name="t"/> beyond this stage (its output).</summary>
    public Tensor Keep(Tensor t)
    {
        if (_kept.Add(t)) _scope.MoveToOuter(t);
        return t;
    }

    public void Dispose() => _scope.Dispose();
}
