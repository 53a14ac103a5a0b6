namespace InSitu.Torch;

/// <summary>
/// Deterministic tensor lifetime: every tensor created on this thread while a scope is open belongs to the
/// innermost scope and is freed when the scope is disposed, unless moved out first. A training step wrapped in
/// a scope therefore releases all its intermediates at once, and a long loop holds flat memory.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly DisposeScope? outer;
    private readonly HashSet<Tensor> owned = new(ReferenceEqualityComparer.Instance);
    private bool disposed;

    internal DisposeScope()
    {
        outer = current;
        current = this;
    }

    internal static DisposeScope? Current => current;

    internal void Add(Tensor t) => owned.Add(t);

    internal bool Remove(Tensor t) => owned.Remove(t);

    /// <summary>Number of live tensors this scope will free.</summary>
    public int Count => owned.Count;

    /// <summary>Keeps the tensors alive beyond this scope: they move to the enclosing scope, or to no scope.</summary>
    public T MoveToOuter<T>(T tensor) where T : Tensor
    {
        if (owned.Remove(tensor)) outer?.Add(tensor);
        tensor.Scope = outer;
        return tensor;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in owned)
        {
            t.Scope = null;
            t.Dispose();
        }
        owned.Clear();
        // Scopes close in LIFO order; a scope disposed out of order unlinks itself without orphaning inner ones.
        if (current == this) current = outer;
    }
}
