using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>
/// The tap-point plumbing the pretrained networks share: each lists its taps in forward order (and their aliases)
/// and runs its forward pass through an optional recorder, so a tap request stops at the deepest layer asked for and
/// the plain forward pass is the same code with no recorder.
/// </summary>
public abstract class TappedNetwork : Module<Tensor, Tensor>, IHasTapPoints
{
    /// <summary>The canonical tap names in forward order, filled by the subclass as it builds its layers.</summary>
    protected List<string> TapList { get; } = new();

    /// <summary>Other names of taps (alias to canonical name).</summary>
    protected Dictionary<string, string> AliasMap { get; } = new(StringComparer.Ordinal);

    /// <summary>The network's name in error messages ("VGG16").</summary>
    protected abstract string NetworkName { get; }

    public IReadOnlyList<string> TapPoints => TapList;

    public IReadOnlyDictionary<string, string> TapAliases => AliasMap;

    public string ResolveTap(string name) => TapRecorder.Resolve(name, TapList, AliasMap, NetworkName);

    public IReadOnlyDictionary<string, Tensor> Taps(Tensor input, IReadOnlyCollection<string> names)
    {
        var recorder = new TapRecorder(this, names);
        using var scope = TorchRuntime.NewDisposeScope();
        Run(input, recorder);
        return recorder.Collect(scope);
    }

    protected override Tensor ForwardCore(Tensor input)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        return scope.MoveToOuter(Run(input, null)!);
    }

    /// <summary>The forward pass, handing each tap's output to <paramref name="recorder"/> when there is one.</summary>
    private protected abstract Tensor? Run(Tensor input, TapRecorder? recorder);
}
