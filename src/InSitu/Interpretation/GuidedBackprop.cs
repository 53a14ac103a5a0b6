using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Interpretation;

/// <summary>
/// Guided backpropagation (Springenberg et al.) on a model's <see cref="ReLU"/> modules: a backward hook on each
/// ReLU's output lets only positive gradients back, and ReLU's own backward then keeps only where its input was
/// positive. ReLUs applied as tensor operations (<c>x.Relu()</c>, <c>F.Relu</c>) are not guided.
/// </summary>
public static class GuidedBackprop
{
    /// <summary>Guides every ReLU module of the model until the returned handle is disposed.</summary>
    public static IDisposable Attach(Module model)
    {
        var hooks = new List<IDisposable>();
        foreach (var (_, module) in model.NamedModules())
            if (module is ReLU relu) hooks.Add(relu.RegisterBackwardHook((_, gradient) => gradient.ClampMin(0)));
        return new Handles(hooks);
    }

    private sealed class Handles(List<IDisposable> hooks) : IDisposable
    {
        public void Dispose()
        {
            foreach (var h in hooks) h.Dispose();
            hooks.Clear();
        }
    }
}
