using InSitu.Torch;

namespace InSitu.Models;

/// <summary>
/// A network whose intermediate outputs (tap points) can be read by name: the features of METHODS.md §4 are taken
/// from one or several of them, and the layer comparison runs on any network that has them.
/// </summary>
public interface IHasTapPoints
{
    /// <summary>The canonical tap names, in the order the forward pass reaches them.</summary>
    IReadOnlyList<string> TapPoints { get; }

    /// <summary>Other names of tap points (alias to canonical name), e.g. layer numbers or framework module paths.</summary>
    IReadOnlyDictionary<string, string> TapAliases { get; }

    /// <summary>The canonical name of a tap point or of an alias of one (VGG16's "21" is "relu4_2").</summary>
    /// <exception cref="ArgumentException">no tap point has that name; the message lists the valid ones</exception>
    string ResolveTap(string name);

    /// <summary>
    /// Runs the network only as far as the deepest requested tap and returns each requested output, keyed by the name
    /// as it was asked for. The caller owns (and disposes) the returned tensors.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Taps(Tensor input, IReadOnlyCollection<string> names);
}
